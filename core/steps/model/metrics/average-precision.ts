/**
 * PR-AUC as average precision, the way scikit-learn's `average_precision_score` defines it: the sum over the distinct
 * score thresholds, highest first, of the recall gained at each times the precision there,
 * `AP = sum_k (R_k - R_{k-1}) * P_k`. It is a step sum, not a trapezoid, so it does not overstate the area the way
 * linear interpolation of a PR curve does. Tied scores form one threshold.
 */
import { checkScored } from './check.js';
import { oneVsRestScore, type OneVsRest } from './one-vs-rest.js';
import { sweep } from './sweep.js';

/** Average precision of `scores` against 0/1 labels; null when no row is positive (recall is undefined). */
export function averagePrecision(y01: Float64Array, scores: Float64Array, weights?: Float64Array): number | null {
  checkScored(y01, scores, weights, 'average precision');
  const s = sweep(y01, scores, weights);
  if (s.positives === 0) return null;
  let ap = 0;
  let tpPrev = 0;
  for (let k = 0; k < s.thresholds.length; k++) {
    const tp = s.tp[k]!;
    ap += ((tp - tpPrev) / s.positives) * (tp / (tp + s.fp[k]!));
    tpPrev = tp;
  }
  return ap;
}

/** One-vs-rest average precision of `rows x classes` probabilities against class indices: per class, macro, weighted. */
export function averagePrecisionOneVsRest(y: Float64Array, proba: Float64Array, classes: number, weights?: Float64Array): OneVsRest {
  return oneVsRestScore(averagePrecision, y, proba, classes, weights);
}
