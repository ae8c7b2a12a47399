/** Small generated datasets for the neural model tests. */
import { Random } from '../../../../core/steps/model/random.js';
import type { Dataset } from '../../../../core/steps/model/types.js';

/** `rows` points around `classes` well-separated centres in `cols` dimensions; `y` is the centre's index. */
export function blobs(rows: number, cols: number, classes: number, seed: number, spread = 1): Dataset {
  const random = new Random(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: cols }, () => random.normal() * 3));
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const k = r % classes;
    y[r] = k;
    for (let c = 0; c < cols; c++) x[r * cols + c] = centres[k]![c]! + random.normal() * spread;
  }
  return { x: { rows, cols, data: x }, y };
}

/** y = 3 x0 - 2 x1 + 0.5 x2 + 10 + small noise, features on different scales. */
export function linearData(rows: number, seed: number): Dataset {
  const random = new Random(seed);
  const cols = 3;
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = random.normal();
    const b = random.normal() * 10;
    const c = random.normal() * 0.1 + 5;
    x.set([a, b, c], r * cols);
    y[r] = 3 * a - 2 * b + 0.5 * c + 10 + random.normal() * 0.1;
  }
  return { x: { rows, cols, data: x }, y };
}

/** Accuracy of class probabilities against labels. */
export function accuracy(probs: Float64Array, y: Float64Array, classes: number): number {
  let right = 0;
  for (let r = 0; r < y.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c]! > probs[r * classes + best]!) best = c;
    if (best === y[r]) right++;
  }
  return right / y.length;
}
