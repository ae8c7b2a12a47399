import { StepError } from '../step-error.js';
import { DatasetError, toDataset, type TableColumn, type TableDataset } from './dataset.js';
import { anomalyMetrics, classificationMetrics, parseThresholdRule, regressionMetrics, type ThresholdRule } from './metrics/index.js';
import type { ModelMetadata } from './model-dir.js';

/** A model's predictions on a table, scored: what evaluate writes and accept checks. */
export interface Scored {
  /** The metrics file's content (numbers, nested by dotted keys). */
  metrics: Record<string, unknown>;
  /** One line for the stage log. */
  summary: string;
  /** Classification: the predicted class index of each row (at the chosen threshold for binary tasks). */
  classes?: Float64Array;
}

/** Scores predictions by the model's task: classification at the threshold the rule picks, regression, anomaly. Pure. */
export function scoreModel(m: ModelMetadata, data: TableDataset, predicted: Float64Array, rule: ThresholdRule | undefined, note: (line: string) => void): Scored {
  const y = data.dataset.y;
  if (m.task === 'binary' || m.task === 'multiclass') {
    const report = classificationMetrics({ y: y!, proba: predicted, classes: m.classes!, ...(rule ? { threshold: rule } : {}) });
    for (const n of report.notes) note(n);
    const r = report.metrics;
    return {
      metrics: { ...r },
      summary: `accuracy ${fmt(r.accuracy)}${r.roc_auc !== undefined ? `, roc_auc ${fmt(r.roc_auc)}` : ''}`,
      classes: report.predicted,
    };
  }
  if (m.task === 'regression') {
    const report = regressionMetrics({ y: y!, predicted });
    for (const n of report.notes) note(n);
    return { metrics: { ...report.metrics }, summary: `rmse ${fmt(report.metrics.rmse)}, r2 ${fmt(report.metrics.r2)}` };
  }
  const report = anomalyMetrics({ scores: predicted, ...(data.anomalies ? { y: data.anomalies } : {}) });
  const r = report.metrics;
  return { metrics: { ...r }, summary: `score median ${fmt(r.score.p50)}${r.recall !== undefined ? `, recall ${fmt(r.recall)}` : ''}` };
}

function fmt(v: number): string {
  return Number(v.toPrecision(4)).toString();
}

/** The `threshold` setting as a rule; a bad one is an error pointing at it. */
export function thresholdRule(step: string, threshold: string | number | undefined): ThresholdRule | undefined {
  if (threshold === undefined) return undefined;
  const parsed = parseThresholdRule(threshold);
  if ('error' in parsed) throw new StepError(step, `threshold: ${parsed.error}`, { key: 'threshold' });
  return parsed.rule;
}

/** The table to score, read with the model's features and classes; the label is `label` or the model's own. */
export function scoringDataset(step: string, columns: TableColumn[], w: { input: string; label?: string }, m: ModelMetadata): TableDataset {
  const label = w.label ?? m.label;
  if (label === undefined && m.task !== 'anomaly') throw new StepError(step, 'the model has no label column; name the one to score against in `label`', { key: 'label' });
  try {
    return toDataset(columns, { task: m.task, ...(label !== undefined ? { label } : {}), features: m.features.map((f) => f.name), ...(m.classes ? { classes: m.classes } : {}) });
  } catch (err) {
    if (err instanceof DatasetError) throw new StepError(step, `${w.input}: ${err.message}`, { key: err.key === 'features' ? 'input' : 'label', ...(err.column ? { column: err.column } : {}) });
    throw err;
  }
}
