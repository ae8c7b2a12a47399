import { describe, expect, it } from 'vitest';
import { MetricsInputError, regressionMetrics } from '../../../../core/steps/model/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

describe('regression metrics', () => {
  const y = f64([3, -0.5, 2, 7, 4.2]);
  const predicted = f64([2.5, 0, 2.1, 7.8, 3.9]);

  it('work out by hand', () => {
    // Errors 0.5, -0.5, -0.1, -0.8, 0.3; mean target 3.14.
    const sse = 0.25 + 0.25 + 0.01 + 0.64 + 0.09;
    const sst = [3, -0.5, 2, 7, 4.2].reduce((a, v) => a + (v - 3.14) ** 2, 0);
    const { metrics, notes } = regressionMetrics({ y, predicted });
    expect(metrics.mse).toBeCloseTo(sse / 5, 14);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(sse / 5), 14);
    expect(metrics.mae).toBeCloseTo((0.5 + 0.5 + 0.1 + 0.8 + 0.3) / 5, 14);
    expect(metrics.r2).toBeCloseTo(1 - sse / sst, 14);
    expect(metrics.mape).toBeCloseTo((0.5 / 3 + 0.5 / 0.5 + 0.1 / 2 + 0.8 / 7 + 0.3 / 4.2) / 5, 14);
    expect(metrics.mape_zero_targets).toBe(0);
    expect(notes).toEqual([]);
  });

  it('match scikit-learn, with and without sample weights', () => {
    // mean_squared_error, mean_absolute_error, r2_score, mean_absolute_percentage_error from scikit-learn 1.9.1.
    const plain = regressionMetrics({ y, predicted }).metrics;
    expect([plain.mse, plain.mae, plain.r2, plain.mape]).toEqual(
      [0.24799999999999994, 0.44000000000000006, 0.9594665271966527, 0.2804761904761905].map((v) => expect.closeTo(v, 14)),
    );
    const weighted = regressionMetrics({ y, predicted, weights: f64([1, 2, 1, 0.5, 1]) }).metrics;
    expect([weighted.mse, weighted.mae, weighted.r2, weighted.mape]).toEqual(
      [0.2127272727272727, 0.4181818181818182, 0.9619523443504996, 0.4264069264069264].map((v) => expect.closeTo(v, 14)),
    );
  });

  it('leave zero targets out of MAPE and count them', () => {
    const r = regressionMetrics({ y: f64([0, 2, 4]), predicted: f64([1, 1, 5]) });
    expect(r.metrics.mape).toBeCloseTo((1 / 2 + 1 / 4) / 2, 15);
    expect(r.metrics.mape_zero_targets).toBe(1);
    expect(r.notes).toEqual(['mape leaves out 1 row whose target is 0']);
    const allZero = regressionMetrics({ y: f64([0, 0]), predicted: f64([1, 0]) });
    expect(allZero.metrics.mape).toBeUndefined();
    expect(allZero.metrics.mape_zero_targets).toBe(2);
    expect(allZero.notes[0]).toBe('mape left out: every target is 0 (or weighs 0), and a percentage of 0 is undefined');
  });

  it('give R² 1 for exact predictions of constant targets and 0 otherwise', () => {
    expect(regressionMetrics({ y: f64([5, 5, 5]), predicted: f64([5, 5, 5]) }).metrics.r2).toBe(1);
    const off = regressionMetrics({ y: f64([5, 5, 5]), predicted: f64([5, 6, 5]) });
    expect(off.metrics.r2).toBe(0);
    expect(off.notes).toContain('r2 is 1 for exact predictions and 0 otherwise: every target has the same value');
  });

  it('refuse predictions that do not line up with the targets', () => {
    expect(() => regressionMetrics({ y: f64([1, 2]), predicted: f64([1]) })).toThrow(MetricsInputError);
    expect(() => regressionMetrics({ y: f64([1, 2]), predicted: f64([1, Infinity]) })).toThrow(
      'predictions at row 1 is Infinity; every value must be a finite number',
    );
  });
});
