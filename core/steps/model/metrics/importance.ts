/**
 * Permutation importance: how much the score worsens when one feature's column is shuffled, breaking its link to the
 * label while keeping its distribution. Each column is shuffled `repeats` times; the drop (baseline score minus
 * shuffled score, sign turned so that a positive drop always means the feature helps) is averaged.
 *
 * Deterministic: a `Random(seed)` forks one generator per column, in column order, so a column's shuffles depend on
 * the seed and its position only. The caller's matrix is never changed; shuffles are made on a copy and undone.
 */
import { Random } from '../random.js';
import type { Matrix } from '../types.js';
import { checkRows, checkValues } from './check.js';
import { MetricsInputError } from './errors.js';

export const DEFAULT_REPEATS = 5;

export interface PermutationImportanceInput {
  x: Matrix;
  y: Float64Array;
  /** The fitted model's `predict`. */
  predict: (x: Matrix) => Float64Array;
  /** A metric of labels and predictions, e.g. accuracy of argmax classes or RMSE. */
  score: (y: Float64Array, predicted: Float64Array) => number;
  /** Whether a larger score is better (accuracy) or worse (RMSE, log loss). */
  higherIsBetter: boolean;
  seed: number;
  /** @default 5 */
  repeats?: number;
  /** Column names in order. @default `x0`, `x1`, ... */
  features?: string[];
}

export interface FeatureImportance {
  feature: string;
  column: number;
  /** Mean score drop over the repeats: positive when shuffling the feature hurts, so the model relies on it. */
  mean: number;
  /** Population standard deviation of the drops. */
  std: number;
  /** Each repeat's drop, in order. */
  drops: number[];
}

export interface PermutationImportance {
  /** The score on the data as given. */
  baseline: number;
  /** One per column, in column order. */
  features: FeatureImportance[];
}

export function permutationImportance(input: PermutationImportanceInput): PermutationImportance {
  const { x, y, predict, higherIsBetter } = input;
  const repeats = input.repeats ?? DEFAULT_REPEATS;
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new MetricsInputError(`repeats must be a whole number >= 1, got ${repeats}`, { repeats });
  checkRows(x.rows, 'permutation importance');
  checkValues(y, x.rows, 'y');
  if (x.data.length !== x.rows * x.cols) {
    throw new MetricsInputError(`the matrix holds ${x.data.length} values where ${x.rows} x ${x.cols} are expected`, {
      rows: x.rows,
      cols: x.cols,
    });
  }
  const names = input.features ?? Array.from({ length: x.cols }, (_, j) => `x${j}`);
  if (names.length !== x.cols)
    throw new MetricsInputError(`${names.length} feature names are given for ${x.cols} columns; give one per column`, {});

  const score = (m: Matrix, what: string): number => {
    const s = input.score(y, predict(m));
    if (!Number.isFinite(s))
      throw new MetricsInputError(`the score ${what} is ${s}; the score function must return a finite number`, { score: s });
    return s;
  };
  const baseline = score(x, 'on the data as given');
  const work: Matrix = { rows: x.rows, cols: x.cols, data: Float64Array.from(x.data) };
  const original = new Float64Array(x.rows);
  const root = new Random(input.seed);
  const features: FeatureImportance[] = [];
  for (let j = 0; j < x.cols; j++) {
    const rng = root.fork();
    for (let r = 0; r < x.rows; r++) original[r] = x.data[r * x.cols + j]!;
    const drops: number[] = [];
    for (let t = 0; t < repeats; t++) {
      const perm = rng.permutation(x.rows);
      for (let r = 0; r < x.rows; r++) work.data[r * x.cols + j] = original[perm[r]!]!;
      const s = score(work, `with \`${names[j]}\` shuffled`);
      drops.push(higherIsBetter ? baseline - s : s - baseline);
    }
    for (let r = 0; r < x.rows; r++) work.data[r * x.cols + j] = original[r]!;
    const mean = drops.reduce((a, b) => a + b, 0) / repeats;
    const std = Math.sqrt(drops.reduce((a, d) => a + (d - mean) ** 2, 0) / repeats);
    features.push({ feature: names[j]!, column: j, mean, std, drops });
  }
  return { baseline, features };
}
