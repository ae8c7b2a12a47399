/**
 * Every classification metric of one scoring, composed for the `evaluate`, `tune` and `accept` steps: label metrics
 * (accuracy, balanced accuracy, precision/recall/F1 per class, macro and weighted), ranking metrics (ROC-AUC and
 * PR-AUC; one-vs-rest for multiclass), log loss, and the confusion matrix.
 *
 * Predicted classes are the argmax of the probabilities for multiclass. For a binary task they come from the decision
 * threshold the declared rule picks (`threshold.ts`), so the label metrics are those of the decision a user would
 * deploy; when the rule cannot be met the default 0.5 is used and `notes` says so.
 */
import { accuracy, balancedAccuracy } from './accuracy.js';
import { averagePrecision, averagePrecisionOneVsRest } from './average-precision.js';
import { checkClasses, checkRows, checkValues, checkWeights } from './check.js';
import { confusionMatrix, type ConfusionMatrix } from './confusion.js';
import { MetricsInputError } from './errors.js';
import { logLoss } from './log-loss.js';
import { argmaxClasses, classesAtThreshold, column } from './predict-classes.js';
import { precisionRecallF1 } from './precision-recall-f1.js';
import { rocAuc, rocAucOneVsRest } from './roc-auc.js';
import { chooseThreshold, DEFAULT_THRESHOLD, DEFAULT_THRESHOLD_RULE, type ThresholdChoice, type ThresholdRule } from './threshold.js';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /** One-vs-rest, multiclass only, when the class occurs among the labels. */
  roc_auc?: number;
  pr_auc?: number;
}

/** The metrics file's content: numbers only, so that `metrics diff`, gates and `better:` maps can read every key. */
export interface ClassificationMetrics {
  accuracy: number;
  balanced_accuracy: number;
  /** Binary: of the positive class (index 1). */
  precision?: number;
  recall?: number;
  f1?: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  precision_weighted: number;
  recall_weighted: number;
  f1_weighted: number;
  /** Binary: of the positive class's score. Left out when the labels hold one class only. */
  roc_auc?: number;
  pr_auc?: number;
  /** Multiclass: one-vs-rest averages. */
  roc_auc_macro?: number;
  roc_auc_weighted?: number;
  pr_auc_macro?: number;
  pr_auc_weighted?: number;
  log_loss: number;
  /** Binary: the decision threshold the label metrics were computed at. */
  threshold?: number;
  /** Keyed by class name, in class order. */
  per_class: Record<string, ClassMetrics>;
}

export interface ClassificationReport {
  metrics: ClassificationMetrics;
  /** Rows are actual classes, columns predicted ones, in the order of `classes`. */
  confusion: ConfusionMatrix;
  /** The predicted class index of each row. */
  predicted: Float64Array;
  /** Binary: how the threshold was chosen. */
  threshold?: ThresholdChoice;
  /** What was left out or fallen back on, and why. */
  notes: string[];
}

export interface ClassificationInput {
  /** Actual class indices, `0..classes.length-1`. */
  y: Float64Array;
  /** Row-major `rows x classes` probabilities, as `FittedModel.predict` returns them. */
  proba: Float64Array;
  /** Class names in index order: 2 for binary (the second is the positive class), more for multiclass. */
  classes: string[];
  weights?: Float64Array;
  /** Binary only. @default `{ kind: 'fixed', value: 0.5 }` */
  threshold?: ThresholdRule;
}

export function classificationMetrics(input: ClassificationInput): ClassificationReport {
  const { y, proba, classes, weights } = input;
  const k = classes.length;
  checkRows(y.length, 'classification metrics');
  checkClasses(y, k);
  checkValues(proba, y.length, 'probabilities', k);
  checkWeights(weights, y.length);
  const duplicate = classes.find((c, i) => classes.indexOf(c) !== i);
  if (duplicate !== undefined)
    throw new MetricsInputError(`class \`${duplicate}\` is named twice; class names must be distinct`, { classes });
  const binary = k === 2;
  if (!binary && input.threshold) {
    throw new MetricsInputError(`a decision threshold applies to binary tasks only; this task has ${k} classes`, { classes: k });
  }

  const notes: string[] = [];
  let predicted: Float64Array;
  let choice: ThresholdChoice | undefined;
  let threshold: number | undefined;
  // Binary: the positive class's probability is the score every ranking metric and the threshold use.
  const scores = binary ? column(proba, 2, 1) : undefined;
  if (scores) {
    choice = chooseThreshold({ y01: y, scores, weights, rule: input.threshold ?? DEFAULT_THRESHOLD_RULE });
    if (choice.metrics) threshold = choice.metrics.threshold;
    else {
      threshold = DEFAULT_THRESHOLD;
      notes.push(`${choice.note}; the label metrics are at the default threshold ${threshold}`);
    }
    predicted = classesAtThreshold(scores, threshold);
  } else predicted = argmaxClasses(proba, k);

  const confusion = confusionMatrix(y, predicted, k, weights);
  const prf = precisionRecallF1(confusion);
  const per_class: Record<string, ClassMetrics> = {};
  prf.perClass.forEach((s, i) => {
    per_class[classes[i]!] = { precision: s.precision, recall: s.recall, f1: s.f1, support: s.support };
  });

  const metrics: ClassificationMetrics = {
    accuracy: accuracy(confusion),
    balanced_accuracy: balancedAccuracy(confusion),
    precision_macro: prf.macro.precision,
    recall_macro: prf.macro.recall,
    f1_macro: prf.macro.f1,
    precision_weighted: prf.weighted.precision,
    recall_weighted: prf.weighted.recall,
    f1_weighted: prf.weighted.f1,
    log_loss: logLoss(y, proba, k, weights),
    per_class,
  };

  if (scores) {
    const positive = prf.perClass[1]!;
    metrics.precision = positive.precision;
    metrics.recall = positive.recall;
    metrics.f1 = positive.f1;
    const auc = rocAuc(y, scores, weights);
    const ap = averagePrecision(y, scores, weights);
    if (auc === null) notes.push('roc_auc left out: the labels hold one class only, so there is no pair to rank');
    else metrics.roc_auc = auc;
    if (ap === null) notes.push(`pr_auc left out: no row is of the positive class \`${classes[1]}\``);
    else metrics.pr_auc = ap;
    metrics.threshold = threshold!;
  } else {
    const auc = rocAucOneVsRest(y, proba, k, weights);
    const ap = averagePrecisionOneVsRest(y, proba, k, weights);
    classes.forEach((name, i) => {
      const a = auc.perClass[i];
      const p = ap.perClass[i];
      if (a !== null && a !== undefined) per_class[name]!.roc_auc = a;
      if (p !== null && p !== undefined) per_class[name]!.pr_auc = p;
      if (p === null) notes.push(`roc_auc and pr_auc of class \`${name}\` left out: no row is of that class`);
      else if (a === null) notes.push(`roc_auc of class \`${name}\` left out: every row is of that class, so there is no pair to rank`);
    });
    if (auc.macro !== null) metrics.roc_auc_macro = auc.macro;
    if (auc.weighted !== null) metrics.roc_auc_weighted = auc.weighted;
    if (ap.macro !== null) metrics.pr_auc_macro = ap.macro;
    if (ap.weighted !== null) metrics.pr_auc_weighted = ap.weighted;
  }

  const report: ClassificationReport = { metrics, confusion, predicted, notes };
  if (choice) report.threshold = choice;
  return report;
}
