import { describe, expect, it } from 'vitest';
import {
  anomalyMetrics,
  betterMap,
  chooseThreshold,
  classificationMetrics,
  METRIC_DIRECTIONS,
  metricDirection,
  regressionMetrics,
} from '../../../../core/steps/model/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

/** Every dotted key of a nested object's numeric leaves. */
function leafKeys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return typeof v === 'number' ? [path] : v && typeof v === 'object' ? leafKeys(v, path) : [];
  });
}

describe('metric directions', () => {
  const binary = classificationMetrics({
    y: f64([0, 1, 1, 0]),
    proba: f64([0.8, 0.2, 0.3, 0.7, 0.4, 0.6, 0.6, 0.4]),
    classes: ['n', 'p'],
  }).metrics;
  const multi = classificationMetrics({
    y: f64([0, 1, 2]),
    proba: f64([0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.1, 0.1, 0.8]),
    classes: ['a', 'b', 'c'],
  }).metrics;
  const regression = regressionMetrics({ y: f64([1, 2, 0]), predicted: f64([1, 2.5, 0.5]) }).metrics;
  const anomaly = anomalyMetrics({ scores: f64([0.1, 0.9, 0.3, 0.2]), y: f64([0, 1, 0, 1]) }).metrics;
  const threshold = chooseThreshold({ y01: f64([0, 1]), scores: f64([0.2, 0.9]) }).metrics!;

  it('cover every metric name emitted', () => {
    for (const m of [binary, multi, regression, anomaly, threshold]) {
      for (const key of leafKeys(m)) expect(Object.hasOwn(METRIC_DIRECTIONS, key.slice(key.lastIndexOf('.') + 1)), key).toBe(true);
    }
  });

  it('say which way is better, by the last segment of a dotted key', () => {
    expect(metricDirection('accuracy')).toBe('higher');
    expect(metricDirection('log_loss')).toBe('lower');
    expect(metricDirection('per_class.cat.recall')).toBe('higher');
    expect(metricDirection('rmse')).toBe('lower');
    expect(metricDirection('r2')).toBe('higher');
    expect(metricDirection('per_class.cat.support')).toBeUndefined();
    expect(metricDirection('score.p95')).toBeUndefined();
    expect(metricDirection('no_such_metric')).toBeUndefined();
  });

  it('give the better: map of a metrics object, leaving out counts and thresholds', () => {
    const map = betterMap(binary);
    expect(map).toMatchObject({ accuracy: 'higher', log_loss: 'lower', roc_auc: 'higher', 'per_class.p.f1': 'higher' });
    expect(map['threshold']).toBeUndefined();
    expect(map['per_class.n.support']).toBeUndefined();
    expect(betterMap(regression)).toEqual({ mse: 'lower', rmse: 'lower', mae: 'lower', r2: 'higher', mape: 'lower' });
    expect(betterMap({ eval: anomaly }, '')).toMatchObject({ 'eval.precision': 'higher', 'eval.roc_auc': 'higher' });
    expect(Object.keys(betterMap(anomaly)).some((k) => k.startsWith('score.'))).toBe(false);
  });
});
