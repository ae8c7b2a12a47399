/**
 * Regression metrics: MSE, RMSE, MAE, R² and MAPE, each weighted by sample weights when given.
 *
 * - R² is `1 - SS_res / SS_tot` around the (weighted) mean of the targets. With constant targets SS_tot is 0: R² is
 *   then 1 for exact predictions and 0 otherwise, as scikit-learn's `r2_score` gives (`force_finite`).
 * - MAPE is a fraction (0.1 is 10%), as scikit-learn's `mean_absolute_percentage_error`. A percentage of a zero target
 *   is undefined, so rows whose target is 0 are left out of it and counted in `mape_zero_targets`; when every target is
 *   0, `mape` is left out and a note says why. (scikit-learn divides by machine epsilon there instead, which turns one
 *   zero target into a value near 1e15 that hides every other row.)
 */
import { checkRows, checkValues, checkWeights } from './check.js';

export interface RegressionMetrics {
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  /** Absent when every target is 0. */
  mape?: number;
  /** Rows left out of `mape` because their target is 0. */
  mape_zero_targets: number;
}

export interface RegressionReport {
  metrics: RegressionMetrics;
  notes: string[];
}

export function regressionMetrics(input: { y: Float64Array; predicted: Float64Array; weights?: Float64Array }): RegressionReport {
  const { y, predicted, weights } = input;
  checkRows(y.length, 'regression metrics');
  checkValues(y, y.length, 'y');
  checkValues(predicted, y.length, 'predictions');
  checkWeights(weights, y.length);
  let wsum = 0;
  let wy = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights ? weights[i]! : 1;
    wsum += w;
    wy += w * y[i]!;
  }
  const mean = wy / wsum;
  let sq = 0;
  let abs = 0;
  let tot = 0;
  let pct = 0;
  let pctWeight = 0;
  let zeros = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights ? weights[i]! : 1;
    const e = y[i]! - predicted[i]!;
    sq += w * e * e;
    abs += w * Math.abs(e);
    tot += w * (y[i]! - mean) ** 2;
    if (y[i] === 0) zeros++;
    else {
      pct += (w * Math.abs(e)) / Math.abs(y[i]!);
      pctWeight += w;
    }
  }
  const mse = sq / wsum;
  const metrics: RegressionMetrics = {
    mse,
    rmse: Math.sqrt(mse),
    mae: abs / wsum,
    r2: tot === 0 ? (sq === 0 ? 1 : 0) : 1 - sq / tot,
    mape_zero_targets: zeros,
  };
  const notes: string[] = [];
  if (pctWeight > 0) metrics.mape = pct / pctWeight;
  else notes.push('mape left out: every target is 0 (or weighs 0), and a percentage of 0 is undefined');
  if (zeros > 0 && pctWeight > 0) notes.push(`mape leaves out ${zeros} row${zeros === 1 ? '' : 's'} whose target is 0`);
  if (tot === 0) notes.push('r2 is 1 for exact predictions and 0 otherwise: every target has the same value');
  return { metrics, notes };
}
