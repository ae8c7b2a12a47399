import { closest, distance } from 'fastest-levenshtein';

/** The candidate `name` was most likely a typo of, or `undefined` when none is close enough to be worth suggesting. */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  if (!candidates.length) return undefined;
  const guess = closest(name, candidates as string[]);
  return distance(name, guess) <= Math.max(2, Math.floor(guess.length / 3)) ? guess : undefined;
}
