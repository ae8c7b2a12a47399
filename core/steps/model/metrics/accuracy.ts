/** Accuracy and balanced accuracy, read off a confusion matrix (so sample weights carry through it). */
import { actualTotal, total, type ConfusionMatrix } from './confusion.js';

/** The share of the weight on the diagonal: rows predicted as their actual class. */
export function accuracy(m: ConfusionMatrix): number {
  let right = 0;
  for (let k = 0; k < m.classes; k++) right += m.counts[k]![k]!;
  return right / total(m);
}

/**
 * The mean recall over the classes that occur among the actual labels (as scikit-learn's `balanced_accuracy_score`):
 * a constant predictor scores 1/classes however imbalanced the data. A class absent from the labels has no recall and
 * is left out of the mean.
 */
export function balancedAccuracy(m: ConfusionMatrix): number {
  let sum = 0;
  let n = 0;
  for (let k = 0; k < m.classes; k++) {
    const support = actualTotal(m, k);
    if (support === 0) continue;
    sum += m.counts[k]![k]! / support;
    n++;
  }
  return sum / n;
}
