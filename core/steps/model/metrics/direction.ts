/**
 * Which way is better for each metric this library emits, so the steps can write `better:` maps for `metrics diff`,
 * gates and reports. Keys are looked up by their last dotted segment (`per_class.cat.recall` is a `recall`).
 * Counts, thresholds and distribution statistics have no better direction: they are listed as `null`.
 */

export type Direction = 'higher' | 'lower';

/** Every metric name emitted here, and which way is better (`null`: neither). */
export const METRIC_DIRECTIONS: Readonly<Record<string, Direction | null>> = {
  // classification
  accuracy: 'higher',
  balanced_accuracy: 'higher',
  precision: 'higher',
  recall: 'higher',
  f1: 'higher',
  precision_macro: 'higher',
  recall_macro: 'higher',
  f1_macro: 'higher',
  precision_weighted: 'higher',
  recall_weighted: 'higher',
  f1_weighted: 'higher',
  roc_auc: 'higher',
  roc_auc_macro: 'higher',
  roc_auc_weighted: 'higher',
  pr_auc: 'higher',
  pr_auc_macro: 'higher',
  pr_auc_weighted: 'higher',
  log_loss: 'lower',
  support: null,
  threshold: null,
  tp: null,
  fp: null,
  tn: null,
  fn: null,
  // regression
  mse: 'lower',
  rmse: 'lower',
  mae: 'lower',
  mape: 'lower',
  r2: 'higher',
  mape_zero_targets: null,
  // anomaly detection: the score distribution, and flagged rows
  min: null,
  p01: null,
  p05: null,
  p25: null,
  p50: null,
  p75: null,
  p95: null,
  p99: null,
  max: null,
  mean: null,
  std: null,
  flagged: null,
  // permutation importance
  baseline: null,
  importance: null,
};

/** `higher` or `lower` for a metric key (dotted or not); undefined for a key with no better direction or unknown here. */
export function metricDirection(name: string): Direction | undefined {
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  return Object.hasOwn(METRIC_DIRECTIONS, leaf) ? (METRIC_DIRECTIONS[leaf] ?? undefined) : undefined;
}

/**
 * The `better:` map of a metrics object: dotted key -> direction for every numeric leaf that has one, in the object's
 * key order (nested objects are walked depth first).
 */
export function betterMap(metrics: object, prefix = ''): Record<string, Direction> {
  const out: Record<string, Direction> = {};
  for (const [key, value] of Object.entries(metrics)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'number') {
      const d = metricDirection(path);
      if (d) out[path] = d;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
      Object.assign(out, betterMap(value, path));
    }
  }
  return out;
}
