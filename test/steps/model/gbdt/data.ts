// Small generated data sets for the gbdt tests.
import { Random } from '../../../../core/steps/model/random.js';
import type { Dataset, Matrix } from '../../../../core/steps/model/types.js';

/** `rows x cols` uniform features in [-1, 1), labels from `label(row)`. */
export function makeData(rows: number, cols: number, seed: number, label: (x: Float64Array, r: Random) => number): Dataset {
  const r = new Random(seed);
  const data = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = data.subarray(i * cols, (i + 1) * cols);
    for (let f = 0; f < cols; f++) row[f] = r.next() * 2 - 1;
    y[i] = label(row, r);
  }
  return { x: { rows, cols, data }, y };
}

/** Predicted class per row from `rows x k` probabilities. */
export function argmax(p: Float64Array, k: number): Int32Array {
  const out = new Int32Array(p.length / k);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
    out[i] = best;
  }
  return out;
}

export function accuracy(p: Float64Array, k: number, y: Float64Array): number {
  const pred = argmax(p, k);
  let right = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === y[i]) right++;
  return right / pred.length;
}

/** Recall of class `c`: the share of its rows predicted as it. */
export function recall(p: Float64Array, k: number, y: Float64Array, c: number): number {
  const pred = argmax(p, k);
  let hit = 0;
  let total = 0;
  for (let i = 0; i < pred.length; i++) {
    if (y[i] !== c) continue;
    total++;
    if (pred[i] === c) hit++;
  }
  return hit / total;
}

export function rows(x: Matrix, values: number[][]): Matrix {
  return { rows: values.length, cols: x.cols, data: Float64Array.from(values.flat()) };
}

export function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
