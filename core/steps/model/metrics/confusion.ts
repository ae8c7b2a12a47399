/** The confusion matrix: how much weight (a count, without weights) of each actual class went to each predicted one. */
import { checkClasses, checkRows, checkWeights } from './check.js';
import { MetricsInputError } from './errors.js';

export interface ConfusionMatrix {
  /** Class count; rows and columns are class indices `0..classes-1`. */
  classes: number;
  /** `counts[actual][predicted]`: rows are actual classes, columns predicted ones. */
  counts: number[][];
}

/**
 * Counts `actual` (class indices) against `predicted` (class indices), each row adding its weight (1 without
 * `weights`). Every class has its row and column, zeros included.
 */
export function confusionMatrix(actual: Float64Array, predicted: Float64Array, classes: number, weights?: Float64Array): ConfusionMatrix {
  checkRows(actual.length, 'confusion matrix');
  if (predicted.length !== actual.length) {
    throw new MetricsInputError(`there are ${predicted.length} predicted classes for ${actual.length} labels; give one per row`, {
      predicted: predicted.length,
      actual: actual.length,
    });
  }
  checkClasses(actual, classes, 'y');
  checkClasses(predicted, classes, 'predicted class');
  checkWeights(weights, actual.length);
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) counts[actual[i]!]![predicted[i]!]! += weights ? weights[i]! : 1;
  return { classes, counts };
}

/** The weight of rows actually in class `k` (its support). */
export function actualTotal(m: ConfusionMatrix, k: number): number {
  return m.counts[k]!.reduce((a, b) => a + b, 0);
}

/** The weight of rows predicted as class `k`. */
export function predictedTotal(m: ConfusionMatrix, k: number): number {
  let sum = 0;
  for (let a = 0; a < m.classes; a++) sum += m.counts[a]![k]!;
  return sum;
}

/** The weight of all rows. */
export function total(m: ConfusionMatrix): number {
  let sum = 0;
  for (const row of m.counts) for (const v of row) sum += v;
  return sum;
}
