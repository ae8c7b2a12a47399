/** Turning predicted probabilities into predicted classes. */

/**
 * The class of each row: the column with the highest probability, the first one on a tie (as NumPy's `argmax`).
 * `proba` is row-major `rows x classes`, as `FittedModel.predict` returns it.
 */
export function argmaxClasses(proba: Float64Array, classes: number): Float64Array {
  const rows = proba.length / classes;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let top = proba[r * classes]!;
    for (let c = 1; c < classes; c++) {
      const p = proba[r * classes + c]!;
      if (p > top) {
        top = p;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/** 1 where `scores[i] >= threshold`, else 0: a binary decision at a threshold. */
export function classesAtThreshold(scores: Float64Array, threshold: number): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i]! >= threshold ? 1 : 0;
  return out;
}

/** Column `k` of a row-major `rows x classes` matrix: the score of class `k` for every row. */
export function column(proba: Float64Array, classes: number, k: number): Float64Array {
  const rows = proba.length / classes;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = proba[r * classes + k]!;
  return out;
}

/** 1 where `y[i] === k`, else 0: the labels of class `k` against the rest. */
export function oneVsRest(y: Float64Array, k: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y[i] === k ? 1 : 0;
  return out;
}
