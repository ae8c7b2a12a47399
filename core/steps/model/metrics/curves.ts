/**
 * ROC and precision-recall curves as plots-file records (`template: roc` reads `fpr`/`tpr`, `template:
 * precision_recall` reads `recall`/`precision`), in drawing order: threshold falling, recall rising. Each point is one
 * distinct score used as the threshold (score >= threshold is positive); the leading point that predicts nothing
 * positive has `threshold: null`, since no score stands for it and JSON has no infinity.
 *
 * Curves are thinned to at most `maxPoints` (default 200): the ROC curve first drops points that lie on a straight
 * segment between their neighbours (the drawing is unchanged), then both are thinned evenly by position.
 */
import { checkScored } from './check.js';
import { sweep } from './sweep.js';
import { thin } from './thin.js';

export const DEFAULT_CURVE_POINTS = 200;

export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number | null;
}

export interface PrPoint {
  recall: number;
  precision: number;
  threshold: number | null;
}

export interface CurveInput {
  /** 0/1 labels: 1 is the positive class (one class against the rest, for multiclass: `oneVsRest`). */
  y01: Float64Array;
  /** Higher means positive: the positive class's probability, or an anomaly score. */
  scores: Float64Array;
  weights?: Float64Array;
  /** @default 200 */
  maxPoints?: number;
}

/** ROC points from (0, 0) to (1, 1); empty when the labels hold one class only (there is no rate to draw). */
export function rocPoints(input: CurveInput): RocPoint[] {
  const s = curveSweep(input);
  if (s.positives === 0 || s.negatives === 0) return [];
  // Counts, not rates, decide collinearity, so that rounding does not keep or drop a point.
  const counts: [number, number, number | null][] = [[0, 0, null]];
  for (let k = 0; k < s.thresholds.length; k++) counts.push([s.fp[k]!, s.tp[k]!, s.thresholds[k]!]);
  const kept = counts.filter((p, i) => {
    if (i === 0 || i === counts.length - 1) return true;
    const [x0, y0] = counts[i - 1]!;
    const [x2, y2] = counts[i + 1]!;
    return (p[0] - x0) * (y2 - p[1]) !== (p[1] - y0) * (x2 - p[0]);
  });
  const points = kept.map(([fp, tp, threshold]) => ({ fpr: fp / s.negatives, tpr: tp / s.positives, threshold }));
  return thin(points, input.maxPoints ?? DEFAULT_CURVE_POINTS);
}

/**
 * Precision-recall points, starting at recall 0 with precision 1 (as scikit-learn's `precision_recall_curve` ends);
 * empty when no row is positive (recall is undefined).
 */
export function prPoints(input: CurveInput): PrPoint[] {
  const s = curveSweep(input);
  if (s.positives === 0) return [];
  const points: PrPoint[] = [{ recall: 0, precision: 1, threshold: null }];
  for (let k = 0; k < s.thresholds.length; k++) {
    points.push({ recall: s.tp[k]! / s.positives, precision: s.tp[k]! / (s.tp[k]! + s.fp[k]!), threshold: s.thresholds[k]! });
  }
  return thin(points, input.maxPoints ?? DEFAULT_CURVE_POINTS);
}

function curveSweep(input: CurveInput) {
  const { y01, scores, weights } = input;
  checkScored(y01, scores, weights, 'curve');
  return sweep(y01, scores, weights);
}
