/**
 * Precision, recall and F1 per class, with their macro and weighted averages, read off a confusion matrix.
 *
 * A ratio whose denominator is 0 (precision of a class never predicted, recall of a class never present) is 0, as
 * scikit-learn's default `zero_division` gives (without its warning). Macro averages run over the classes present
 * among the actual or predicted labels, as scikit-learn's do when no `labels` are given, so a class the test set does
 * not hold does not drag the average down; weighted averages weight each class by its support.
 */
import { actualTotal, predictedTotal, type ConfusionMatrix } from './confusion.js';

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** The weight (count, without weights) of rows actually in the class. */
  support: number;
}

export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

export interface PrecisionRecallF1 {
  /** One per class, in class-index order. */
  perClass: ClassScores[];
  macro: AveragedScores;
  weighted: AveragedScores;
}

/** The scores of class `k`: that class as positive, every other as negative. */
export function classScores(m: ConfusionMatrix, k: number): ClassScores {
  const tp = m.counts[k]![k]!;
  const support = actualTotal(m, k);
  const predicted = predictedTotal(m, k);
  const fn = support - tp;
  const fp = predicted - tp;
  return {
    precision: predicted === 0 ? 0 : tp / predicted,
    recall: support === 0 ? 0 : tp / support,
    // 2tp / (2tp + fp + fn) is the harmonic mean of precision and recall, and 0 when the class is never right.
    f1: tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn),
    support,
  };
}

export function precisionRecallF1(m: ConfusionMatrix): PrecisionRecallF1 {
  const perClass: ClassScores[] = [];
  for (let k = 0; k < m.classes; k++) perClass.push(classScores(m, k));
  const present = perClass.filter((s, k) => s.support > 0 || predictedTotal(m, k) > 0);
  const mean = (f: (s: ClassScores) => number) => present.reduce((a, s) => a + f(s), 0) / present.length;
  const supportSum = perClass.reduce((a, s) => a + s.support, 0);
  const weightedMean = (f: (s: ClassScores) => number) => perClass.reduce((a, s) => a + f(s) * s.support, 0) / supportSum;
  return {
    perClass,
    macro: { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) },
    weighted: { precision: weightedMean((s) => s.precision), recall: weightedMean((s) => s.recall), f1: weightedMean((s) => s.f1) },
  };
}
