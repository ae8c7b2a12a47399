import { describe, expect, it } from 'vitest';
import { rocAuc, rocAucOneVsRest } from '../../../../core/steps/model/metrics/index.js';
import { Random } from '../../../../core/steps/model/random.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

/** Mann-Whitney by brute force: every positive-negative pair, a win 1, a tie 1/2, weighted by both rows' weights. */
function pairCount(y: Float64Array, s: Float64Array, w?: Float64Array): number {
  let won = 0;
  let pairs = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      const pw = (w ? w[i]! : 1) * (w ? w[j]! : 1);
      pairs += pw;
      won += pw * (s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0);
    }
  }
  return won / pairs;
}

describe('ROC-AUC', () => {
  it('equals the Mann-Whitney pair count on random data with many ties', () => {
    const rng = new Random(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + rng.int(150);
      const y = Float64Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
      // One decimal: about ten distinct scores, so most rows tie with others; positives score a little higher.
      const s = Float64Array.from(y, (v) => Math.round(Math.min(1, rng.next() * 0.8 + v * 0.2) * 10) / 10);
      expect(rocAuc(y, s)).toBeCloseTo(pairCount(y, s), 12);
      const w = Float64Array.from({ length: n }, () => rng.int(4) * 0.5);
      w[0] = 1;
      expect(rocAuc(y, s, w)).toBeCloseTo(pairCount(y, s, w), 12);
    }
  });

  it('gives the same number with weights all 1 as without weights', () => {
    const rng = new Random(12);
    const y = Float64Array.from({ length: 300 }, () => rng.int(2));
    const s = Float64Array.from({ length: 300 }, () => rng.int(20) / 20);
    expect(rocAuc(y, s, new Float64Array(300).fill(1))).toBe(rocAuc(y, s));
  });

  it('matches scikit-learn on a small case with ties, with and without weights', () => {
    // roc_auc_score from scikit-learn 1.9.1 on these inputs.
    const y = f64([1, 0, 1, 1, 0, 0, 1, 0, 1, 0]);
    const s = f64([0.9, 0.9, 0.7, 0.5, 0.5, 0.3, 0.3, 0.1, 0.1, 0.05]);
    const w = f64([1, 2, 0.5, 1, 1, 3, 1, 1, 2, 1]);
    expect(rocAuc(y, s)).toBeCloseTo(0.64, 15);
    expect(rocAuc(y, s, w)).toBeCloseTo(0.5, 15);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one, and null for one class only', () => {
    const y = f64([0, 0, 1, 1]);
    expect(rocAuc(y, f64([0.1, 0.2, 0.8, 0.9]))).toBe(1);
    expect(rocAuc(y, f64([0.9, 0.8, 0.2, 0.1]))).toBe(0);
    expect(rocAuc(f64([1, 1]), f64([0.1, 0.2]))).toBeNull();
  });

  it('averages one-vs-rest per class, macro and weighted by support', () => {
    // Class 0 is ranked perfectly, class 1 reversed, class 2 absent.
    const y = f64([0, 0, 0, 1]);
    const proba = f64([0.9, 0.1, 0, 0.8, 0.2, 0, 0.7, 0.3, 0, 0.2, 0.05, 0.75]);
    const r = rocAucOneVsRest(y, proba, 3);
    expect(r.perClass).toEqual([1, 0, null]);
    expect(r.macro).toBe(0.5);
    expect(r.weighted).toBe(0.75);
  });
});
