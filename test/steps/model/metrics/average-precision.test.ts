import { describe, expect, it } from 'vitest';
import { averagePrecision, averagePrecisionOneVsRest } from '../../../../core/steps/model/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

describe('average precision', () => {
  it('works out by hand on four rows (the example scikit-learn documents, 0.8333...)', () => {
    // Highest first: 0.8 (pos) -> P 1, R 1/2; 0.4 (neg) -> no recall gained; 0.35 (pos) -> P 2/3, R 1; 0.1 (neg).
    // AP = (1/2)(1) + (1/2)(2/3) = 5/6.
    const ap = averagePrecision(f64([0, 0, 1, 1]), f64([0.1, 0.4, 0.35, 0.8]));
    expect(ap).toBeCloseTo(5 / 6, 15);
  });

  it('treats tied scores as one threshold, and weights rows, as scikit-learn does', () => {
    // average_precision_score from scikit-learn 1.9.1 on these inputs.
    const y = f64([1, 0, 1, 1, 0, 0, 1, 0, 1, 0]);
    const s = f64([0.9, 0.9, 0.7, 0.5, 0.5, 0.3, 0.3, 0.1, 0.1, 0.05]);
    const w = f64([1, 2, 0.5, 1, 1, 3, 1, 1, 2, 1]);
    expect(averagePrecision(y, s)).toBeCloseTo(0.5787301587301587, 15);
    expect(averagePrecision(y, s, w)).toBeCloseTo(0.4091973735992875, 15);
    // By hand, unweighted: thresholds 0.9 (P 1/2, R 1/5), 0.7 (2/3, 2/5), 0.5 (3/5, 3/5), 0.3 (4/7, 4/5), 0.1 (5/9, 1).
    expect(averagePrecision(y, s)).toBeCloseTo((1 / 5) * (1 / 2 + 2 / 3 + 3 / 5 + 4 / 7 + 5 / 9), 15);
  });

  it('is the prevalence for a constant score, and null without positives', () => {
    expect(averagePrecision(f64([1, 0, 0, 0]), f64([0.5, 0.5, 0.5, 0.5]))).toBe(0.25);
    expect(averagePrecision(f64([0, 0]), f64([0.3, 0.5]))).toBeNull();
  });

  it('averages one-vs-rest for multiclass', () => {
    const y = f64([0, 1, 1, 2]);
    // Class 0: its row scores highest -> 1. Class 1: rows 1, 2 rank 1st and 3rd -> (1/2)(1) + (1/2)(2/3). Class 2 -> 1.
    const proba = f64([0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.4, 0.3, 0.3, 0.1, 0.4, 0.5]);
    const r = averagePrecisionOneVsRest(y, proba, 3);
    expect(r.perClass).toEqual([1, expect.closeTo(5 / 6, 15), 1]);
    expect(r.macro).toBeCloseTo((1 + 5 / 6 + 1) / 3, 15);
    expect(r.weighted).toBeCloseTo((1 + 2 * (5 / 6) + 1) / 4, 15);
  });
});
