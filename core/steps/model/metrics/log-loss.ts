/**
 * Log loss (cross-entropy): the mean of `-ln p`, `p` the probability given to each row's actual class. Probabilities
 * are clipped to `[1e-15, 1 - 1e-15]` first, as scikit-learn did before 1.3 (its `eps=1e-15`), so a confident wrong
 * answer costs about 34.5 instead of infinity and a perfect classifier scores about 1e-15. Rows are not renormalised
 * after clipping: `FittedModel.predict` already returns rows that sum to 1. Weighted by sample weights when given.
 */
import { checkClasses, checkRows, checkValues, checkWeights } from './check.js';

export const LOG_LOSS_EPS = 1e-15;

export function logLoss(y: Float64Array, proba: Float64Array, classes: number, weights?: Float64Array): number {
  checkRows(y.length, 'log loss');
  checkClasses(y, classes);
  checkValues(proba, y.length, 'probabilities', classes);
  checkWeights(weights, y.length);
  let sum = 0;
  let wsum = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(Math.max(proba[i * classes + y[i]!]!, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    const w = weights ? weights[i]! : 1;
    sum -= w * Math.log(p);
    wsum += w;
  }
  return sum / wsum;
}
