/**
 * The trials of a search over train settings: every combination of the listed values (grid), or seeded draws from
 * lists and ranges (random). Pure: the same space and seed give the same trials, in the same order.
 */
import { compareStrings } from '../../util/canonical.js';
import type { Random } from './random.js';

/** A numeric range to draw from: uniformly, or uniformly on a log scale; whole numbers when `int`. */
export interface SearchRange {
  min: number;
  max: number;
  log?: boolean;
  int?: boolean;
}

/** Setting -> the values to try (a list), or, for random search, a range. */
export type SearchSpace = Record<string, readonly unknown[] | SearchRange>;

/** One set of settings to cross-validate; trials are numbered from 1 in the order they are generated. */
export interface Trial {
  trial: number;
  settings: Record<string, unknown>;
}

/** Significant digits a drawn float keeps, so that the results and best files read cleanly. */
const DRAWN_DIGITS = 6;

export function isRange(v: unknown): v is SearchRange {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The searched settings in the order trials list them: by name. */
export function searchKeys(space: SearchSpace): string[] {
  return Object.keys(space).sort(compareStrings);
}

/** How many trials a grid search runs: the product of the list lengths. */
export function gridSize(space: SearchSpace): number {
  return searchKeys(space).reduce((n, k) => n * listOf(space, k).length, 1);
}

/** Every combination of the lists; the last setting (by name) varies fastest. */
export function gridTrials(space: SearchSpace): Trial[] {
  const keys = searchKeys(space);
  const total = gridSize(space);
  const trials: Trial[] = [];
  for (let i = 0; i < total; i++) trials.push({ trial: i + 1, settings: combination(space, keys, i) });
  return trials;
}

/**
 * `count` draws. When every setting is a list, the trials are distinct combinations (sampled without replacement, at
 * most the grid's size); with a range among them, each setting is drawn independently for each trial.
 */
export function randomTrials(space: SearchSpace, count: number, random: Random): Trial[] {
  const keys = searchKeys(space);
  if (keys.every((k) => !isRange(space[k]))) {
    const total = gridSize(space);
    // Partial Fisher-Yates over the grid's indices: distinct combinations, without listing a large grid.
    const n = Math.min(count, total);
    const swapped = new Map<number, number>();
    const trials: Trial[] = [];
    for (let i = 0; i < n; i++) {
      const j = i + random.int(total - i);
      const pick = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      trials.push({ trial: i + 1, settings: combination(space, keys, pick) });
    }
    return trials;
  }
  return Array.from({ length: count }, (_, i) => ({
    trial: i + 1,
    settings: Object.fromEntries(keys.map((k) => [k, draw(space[k]!, random)])),
  }));
}

/** One value of a list or a range. */
export function draw(values: readonly unknown[] | SearchRange, random: Random): unknown {
  if (!isRange(values)) return values[random.int(values.length)];
  const { min, max } = values;
  if (values.int) {
    if (values.log) {
      // Log-uniform over [min, max + 1), floored: each whole number weighs by the width of its share of the scale.
      const v = Math.floor(Math.exp(Math.log(min) + random.next() * (Math.log(max + 1) - Math.log(min))));
      return Math.min(max, Math.max(min, v));
    }
    return min + random.int(max - min + 1);
  }
  const v = values.log ? Math.exp(Math.log(min) + random.next() * (Math.log(max) - Math.log(min))) : min + random.next() * (max - min);
  return Math.min(max, Math.max(min, Number(v.toPrecision(DRAWN_DIGITS))));
}

function listOf(space: SearchSpace, key: string): readonly unknown[] {
  const v = space[key]!;
  if (isRange(v)) throw new Error(`search.${key} is a range; a grid takes lists`);
  return v;
}

/** The `index`-th combination, in mixed radix with the last key least significant. */
function combination(space: SearchSpace, keys: string[], index: number): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  let rest = index;
  for (let i = keys.length - 1; i >= 0; i--) {
    const list = listOf(space, keys[i]!);
    settings[keys[i]!] = list[rest % list.length];
    rest = Math.floor(rest / list.length);
  }
  return Object.fromEntries(keys.map((k) => [k, settings[k]]));
}
