/**
 * Anomaly detection metrics: the distribution of the scores (higher is more anomalous), and, when labels exist
 * (1 = anomaly, 0 = normal), precision, recall and F1 of flagging rows scoring >= a threshold, plus ROC-AUC and PR-AUC
 * of the scores. The threshold is a number, or a quantile of the scores (`{ quantile: 0.95 }` flags about the top 5%).
 */
import { averagePrecision } from './average-precision.js';
import { checkBinary, checkRows, checkValues } from './check.js';
import { distribution, quantile, type Distribution } from './distribution.js';
import { MetricsInputError } from './errors.js';
import { rocAuc } from './roc-auc.js';
import { binaryMetricsAt } from './threshold.js';

export type AnomalyThreshold = number | { quantile: number };

/** @default the 0.95 quantile of the scores */
export const DEFAULT_ANOMALY_THRESHOLD: AnomalyThreshold = { quantile: 0.95 };

export interface AnomalyMetrics {
  score: Distribution;
  /** The threshold used, when labels or a threshold were given. */
  threshold?: number;
  /** Rows scoring >= the threshold. */
  flagged?: number;
  /** With labels: of flagging at the threshold, the anomalies as the positive class. */
  precision?: number;
  recall?: number;
  f1?: number;
  /** With labels holding both kinds of row. */
  roc_auc?: number;
  pr_auc?: number;
}

export interface AnomalyReport {
  metrics: AnomalyMetrics;
  notes: string[];
}

export function anomalyMetrics(input: { scores: Float64Array; y?: Float64Array; threshold?: AnomalyThreshold }): AnomalyReport {
  const { scores, y } = input;
  checkRows(scores.length, 'anomaly metrics');
  checkValues(scores, scores.length, 'anomaly scores');
  const metrics: AnomalyMetrics = { score: distribution(scores, 'anomaly scores') };
  const notes: string[] = [];
  if (!y && input.threshold === undefined) return { metrics, notes };

  const rule = input.threshold ?? DEFAULT_ANOMALY_THRESHOLD;
  let threshold: number;
  if (typeof rule === 'number') {
    if (!Number.isFinite(rule)) throw new MetricsInputError(`anomaly threshold ${rule} is not a finite number`, { threshold: rule });
    threshold = rule;
  } else threshold = quantile(scores, rule.quantile);
  metrics.threshold = threshold;
  let flagged = 0;
  for (const s of scores) if (s >= threshold) flagged++;
  metrics.flagged = flagged;
  if (!y) return { metrics, notes };

  if (y.length !== scores.length) {
    throw new MetricsInputError(`there are ${y.length} labels for ${scores.length} anomaly scores; give one per row`, {
      labels: y.length,
      scores: scores.length,
    });
  }
  checkBinary(y, 'anomaly labels');
  const at = binaryMetricsAt(y, scores, threshold);
  metrics.precision = at.precision;
  metrics.recall = at.recall;
  metrics.f1 = at.f1;
  const auc = rocAuc(y, scores);
  const ap = averagePrecision(y, scores);
  if (auc === null) notes.push('roc_auc and pr_auc left out: the labels hold one kind of row only');
  else {
    metrics.roc_auc = auc;
    metrics.pr_auc = ap!;
  }
  return { metrics, notes };
}
