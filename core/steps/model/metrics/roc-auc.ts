/**
 * ROC-AUC: the chance that a random positive row scores above a random negative one, a tie counting one half (the
 * Mann-Whitney U statistic over positives x negatives, each pair weighted by the product of the rows' weights).
 * Computed as the trapezoid area under the ROC steps of the score sweep, where a run of tied scores is one diagonal
 * step, which is the same number. Binary, and one-vs-rest for multiclass.
 */
import { checkScored } from './check.js';
import { oneVsRestScore, type OneVsRest } from './one-vs-rest.js';
import { sweep } from './sweep.js';

/**
 * ROC-AUC of `scores` (higher means positive) against 0/1 labels. Null when the labels hold one class only: there is
 * no positive-negative pair to rank (scikit-learn raises an error there).
 */
export function rocAuc(y01: Float64Array, scores: Float64Array, weights?: Float64Array): number | null {
  checkScored(y01, scores, weights, 'ROC-AUC');
  const s = sweep(y01, scores, weights);
  if (s.positives === 0 || s.negatives === 0) return null;
  let area = 0;
  let tpPrev = 0;
  let fpPrev = 0;
  for (let k = 0; k < s.thresholds.length; k++) {
    area += (s.fp[k]! - fpPrev) * (s.tp[k]! + tpPrev);
    tpPrev = s.tp[k]!;
    fpPrev = s.fp[k]!;
  }
  return area / (2 * s.positives * s.negatives);
}

/** One-vs-rest ROC-AUC of row-major `rows x classes` probabilities against class indices: per class, macro, weighted. */
export function rocAucOneVsRest(y: Float64Array, proba: Float64Array, classes: number, weights?: Float64Array): OneVsRest {
  return oneVsRestScore(rocAuc, y, proba, classes, weights);
}
