/**
 * Plots-file records for the other charts an evaluation writes: the confusion matrix (`template: confusion`),
 * predicted against actual values and residuals for regression (`template: scatter`), and feature importance
 * (`template: bar`). Plain objects, ready for `JSON.stringify`; deterministic.
 */
import { checkRows, checkValues } from './check.js';
import { confusionMatrix } from './confusion.js';
import { MetricsInputError } from './errors.js';
import type { FeatureImportance } from './importance.js';
import { thinIndices } from './thin.js';

export const DEFAULT_SCATTER_POINTS = 1000;

export interface ConfusionRecord {
  actual: string;
  predicted: string;
}

/**
 * One `{actual, predicted}` record per row, which is what the `confusion` template counts (it reads no count field).
 * Records are grouped by actual then predicted class, in class order, so the file does not depend on row order.
 * Sample weights do not apply: the chart shows head counts.
 */
export function confusionRecords(y: Float64Array, predicted: Float64Array, classes: string[]): ConfusionRecord[] {
  const m = confusionMatrix(y, predicted, classes.length);
  const out: ConfusionRecord[] = [];
  for (let a = 0; a < m.classes; a++) {
    for (let p = 0; p < m.classes; p++) {
      const n = m.counts[a]![p]!;
      for (let i = 0; i < n; i++) out.push({ actual: classes[a]!, predicted: classes[p]! });
    }
  }
  return out;
}

export interface PredictedActualRecord {
  actual: number;
  predicted: number;
}

export interface ResidualRecord {
  predicted: number;
  /** actual - predicted: positive where the model predicts too low. */
  residual: number;
}

/** `{actual, predicted}` per row (x actual, y predicted under `scatter`), at most `maxPoints` rows evenly spread. */
export function predictedVsActualRecords(
  y: Float64Array,
  predicted: Float64Array,
  maxPoints = DEFAULT_SCATTER_POINTS,
): PredictedActualRecord[] {
  checkPairs(y, predicted);
  return thinIndices(y.length, maxPoints).map((i) => ({ actual: y[i]!, predicted: predicted[i]! }));
}

/** `{predicted, residual}` per row (x predicted, y residual under `scatter`), at most `maxPoints` rows evenly spread. */
export function residualRecords(y: Float64Array, predicted: Float64Array, maxPoints = DEFAULT_SCATTER_POINTS): ResidualRecord[] {
  checkPairs(y, predicted);
  return thinIndices(y.length, maxPoints).map((i) => ({ predicted: predicted[i]!, residual: y[i]! - predicted[i]! }));
}

export interface ImportanceRecord {
  feature: string;
  importance: number;
  std: number;
}

/** `{feature, importance, std}` per feature, most important first (ties by name), for a `bar` plot. */
export function importanceRecords(features: FeatureImportance[]): ImportanceRecord[] {
  return features
    .map((f) => ({ feature: f.feature, importance: f.mean, std: f.std }))
    .sort((a, b) => b.importance - a.importance || (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0));
}

function checkPairs(y: Float64Array, predicted: Float64Array): void {
  checkRows(y.length, 'regression plot');
  checkValues(y, y.length, 'y');
  if (predicted.length !== y.length) {
    throw new MetricsInputError(`there are ${predicted.length} predictions for ${y.length} targets; give one per row`, {
      predicted: predicted.length,
      y: y.length,
    });
  }
  checkValues(predicted, y.length, 'predictions');
}
