import { describe, expect, it } from 'vitest';
import { anomalyMetrics, distribution, quantile } from '../../../../core/steps/model/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

describe('anomaly metrics', () => {
  const scores = f64([0.3, 1.7, 0.2, 5.5, 0.9, 0.4, 2.2, 0.1, 0.8, 3.3, 0.6]);

  it('describe the score distribution with NumPy-style linear quantiles', () => {
    // numpy.quantile (method 'linear') and numpy.std of these scores, from NumPy 2.4.
    const d = distribution(scores);
    expect(d.min).toBe(0.1);
    expect(d.max).toBe(5.5);
    expect([d.p01, d.p05, d.p25, d.p50, d.p75, d.p95, d.p99]).toEqual(
      [0.11, 0.15, 0.35, 0.8, 1.95, 4.4, 5.28].map((v) => expect.closeTo(v, 14)),
    );
    expect(d.mean).toBeCloseTo(16 / 11, 14);
    expect(d.std).toBeCloseTo(1.5870863162432631, 14);
    expect(Object.keys(d)).toEqual(['min', 'p01', 'p05', 'p25', 'p50', 'p75', 'p95', 'p99', 'max', 'mean', 'std']);
  });

  it('without labels, give the distribution only', () => {
    expect(anomalyMetrics({ scores }).metrics).toEqual({ score: distribution(scores) });
  });

  it('with labels, give precision and recall at the 0.95 quantile by default', () => {
    // Anomalies: 5.5, 3.3, 2.2 and 0.9. The 0.95 quantile is 4.4, so only 5.5 is flagged.
    const y = Float64Array.from(scores, (s) => (s === 5.5 || s === 3.3 || s === 2.2 || s === 0.9 ? 1 : 0));
    const { metrics } = anomalyMetrics({ scores, y });
    expect(metrics.threshold).toBeCloseTo(4.4, 14);
    expect(metrics).toMatchObject({ flagged: 1, precision: 1, recall: 1 / 4 });
    // 1.7 (normal) outranks 0.9 (anomaly): 1 of the 4 x 7 pairs lost.
    expect(metrics.roc_auc).toBeCloseTo(27 / 28, 15);
    // At a given threshold of 1: 5.5, 3.3, 2.2, 1.7 flagged, 3 of them anomalies.
    const at1 = anomalyMetrics({ scores, y, threshold: 1 }).metrics;
    expect(at1).toMatchObject({ threshold: 1, flagged: 4, precision: 3 / 4, recall: 3 / 4 });
    expect(anomalyMetrics({ scores, y, threshold: { quantile: 0.5 } }).metrics.threshold).toBe(0.8);
  });

  it('refuse a quantile outside [0, 1] and labels that are not 0/1', () => {
    expect(() => quantile(scores, 1.5)).toThrow('quantile 1.5 is outside [0, 1]');
    expect(() => anomalyMetrics({ scores: f64([1, 2]), y: f64([0, 2]) })).toThrow(
      'anomaly labels at row 1 is 2; binary labels must be 0 or 1',
    );
  });
});
