import { describe, expect, it } from 'vitest';
import { prPoints, rocAuc, rocPoints } from '../../../../core/steps/model/metrics/index.js';
import { Random } from '../../../../core/steps/model/random.js';
import { parsePlotData } from '../../../../core/plots/data.js';
import { resolveFields } from '../../../../core/plots/spec.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const y = f64([1, 0, 1, 1, 0, 0, 1, 0, 1, 0]);
const s = f64([0.9, 0.9, 0.7, 0.5, 0.5, 0.3, 0.3, 0.1, 0.1, 0.05]);

describe('ROC points', () => {
  it('are the points scikit-learn draws, collinear ones dropped, the first with a null threshold', () => {
    // roc_curve(drop_intermediate=True) from scikit-learn 1.9.1: fpr [0, .2, .2, .8, 1], tpr [0, .2, .4, 1, 1],
    // thresholds [inf, .9, .7, .1, .05].
    expect(rocPoints({ y01: y, scores: s })).toEqual([
      { fpr: 0, tpr: 0, threshold: null },
      { fpr: 0.2, tpr: 0.2, threshold: 0.9 },
      { fpr: 0.2, tpr: 0.4, threshold: 0.7 },
      { fpr: 0.8, tpr: 1, threshold: 0.1 },
      { fpr: 1, tpr: 1, threshold: 0.05 },
    ]);
  });

  it('are thinned to a bounded count, deterministically, from (0, 0) to (1, 1)', () => {
    const rng = new Random(9);
    const n = 5000;
    const labels = Float64Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
    const scores = Float64Array.from(labels, (v) => rng.next() + v * 0.5);
    const points = rocPoints({ y01: labels, scores, maxPoints: 100 });
    expect(points.length).toBe(100);
    expect(points[0]).toEqual({ fpr: 0, tpr: 0, threshold: null });
    expect(points[99]).toMatchObject({ fpr: 1, tpr: 1 });
    expect(rocPoints({ y01: labels, scores, maxPoints: 100 })).toEqual(points);
    for (let i = 1; i < points.length; i++) expect(points[i]!.threshold!).toBeLessThan(points[i - 1]!.threshold ?? Infinity);
    // The thinned curve still encloses about the same area.
    let area = 0;
    for (let i = 1; i < points.length; i++) area += ((points[i]!.fpr - points[i - 1]!.fpr) * (points[i]!.tpr + points[i - 1]!.tpr)) / 2;
    expect(area).toBeCloseTo(rocAuc(labels, scores)!, 2);
  });

  it('are what the roc template draws, after a JSON round trip', () => {
    const parsed = parsePlotData('roc.json', JSON.stringify(rocPoints({ y01: y, scores: s })));
    expect('records' in parsed).toBe(true);
    const records = (parsed as { records: Record<string, unknown>[] }).records;
    expect(resolveFields({ path: 'roc.json', options: { template: 'roc' }, series: [{ rev: 'workspace', records }] })).toEqual({
      x: 'fpr',
      y: ['tpr'],
    });
  });

  it('are empty when the labels hold one class only', () => {
    expect(rocPoints({ y01: f64([1, 1]), scores: f64([0.2, 0.4]) })).toEqual([]);
  });
});

describe('precision-recall points', () => {
  it('are the points of scikit-learn precision_recall_curve, in order of rising recall', () => {
    // precision_recall_curve from scikit-learn 1.9.1, read from the end: recall [0, .2, .4, .6, .8, 1, 1],
    // precision [1, .5, .6667, .6, .5714, .5556, .5], thresholds [-, .9, .7, .5, .3, .1, .05].
    const points = prPoints({ y01: y, scores: s });
    expect(points.map((p) => p.threshold)).toEqual([null, 0.9, 0.7, 0.5, 0.3, 0.1, 0.05]);
    expect(points.map((p) => p.recall)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1, 1]);
    expect(points.map((p) => p.precision)).toEqual([1, 0.5, 2 / 3, 0.6, 4 / 7, 5 / 9, 0.5].map((v) => expect.closeTo(v, 15)));
  });

  it('are thinned to the bound asked for, keeping both ends', () => {
    const n = 1000;
    const labels = Float64Array.from({ length: n }, (_, i) => i % 2);
    const scores = Float64Array.from({ length: n }, (_, i) => i / n);
    const points = prPoints({ y01: labels, scores, maxPoints: 50 });
    expect(points.length).toBe(50);
    expect(points[0]).toEqual({ recall: 0, precision: 1, threshold: null });
    expect(points[49]).toEqual({ recall: 1, precision: 0.5, threshold: 0 });
  });
});
