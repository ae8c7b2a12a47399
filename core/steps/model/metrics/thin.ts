/**
 * Deterministic thinning, so a plots file stays small however many rows were scored: at most `max` items, evenly
 * spaced by position, the first and the last always kept. No randomness: the same input keeps the same items.
 */
import { MetricsInputError } from './errors.js';

/** The positions kept out of `n` when at most `max` may be: all of them when `n <= max`. */
export function thinIndices(n: number, max: number): number[] {
  if (!Number.isInteger(max) || max < 2)
    throw new MetricsInputError(`at most ${max} points is too few; keep at least 2 (the first and the last)`, { max });
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(Math.round((i * (n - 1)) / (max - 1)));
  return out;
}

export function thin<T>(items: T[], max: number): T[] {
  return thinIndices(items.length, max).map((i) => items[i]!);
}
