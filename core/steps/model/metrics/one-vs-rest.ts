/**
 * A binary ranking metric extended to several classes one-vs-rest: class `k`'s probability column scored against
 * "label is `k`", then averaged. Macro is the plain mean, weighted weights each class by its support (the weight of
 * rows in it), as scikit-learn's `average='macro'`/`'weighted'`. A class absent from the labels has no score (null)
 * and is left out of both averages.
 */
import { checkClasses, checkRows, checkValues, checkWeights } from './check.js';
import { column, oneVsRest } from './predict-classes.js';

export interface OneVsRest {
  /** One per class, in class-index order; null for a class that no row (or every row) has. */
  perClass: (number | null)[];
  macro: number | null;
  weighted: number | null;
}

export type BinaryScore = (y01: Float64Array, scores: Float64Array, weights?: Float64Array) => number | null;

export function oneVsRestScore(
  metric: BinaryScore,
  y: Float64Array,
  proba: Float64Array,
  classes: number,
  weights?: Float64Array,
): OneVsRest {
  checkRows(y.length, 'one-vs-rest score');
  checkClasses(y, classes);
  checkValues(proba, y.length, 'probabilities', classes);
  checkWeights(weights, y.length);
  const perClass: (number | null)[] = [];
  const support: number[] = [];
  for (let k = 0; k < classes; k++) {
    const labels = oneVsRest(y, k);
    perClass.push(metric(labels, column(proba, classes, k), weights));
    let s = 0;
    for (let i = 0; i < y.length; i++) if (labels[i] === 1) s += weights ? weights[i]! : 1;
    support.push(s);
  }
  let sum = 0;
  let n = 0;
  let wsum = 0;
  let wtotal = 0;
  perClass.forEach((v, k) => {
    if (v === null) return;
    sum += v;
    n++;
    wsum += v * support[k]!;
    wtotal += support[k]!;
  });
  return { perClass, macro: n ? sum / n : null, weighted: wtotal ? wsum / wtotal : null };
}
