/** Checks of the data a fit is given, and the seeded (stratified for classes) split early stopping scores on. */
import type { Random } from '../random.js';
import type { Dataset } from '../types.js';
import { GbdtDataError } from './errors.js';
import type { GbdtTask } from './settings.js';

/**
 * Checks sizes, labels and weights; returns the class count (0 for regression): `classes` when given, else 2 for
 * binary and the largest label + 1 for multiclass. `name` says which data set a message is about.
 */
export function checkDataset(d: Dataset, task: GbdtTask, classes: number | undefined, name: string, features?: number): number {
  const { x, y, weights } = d;
  if (!Number.isInteger(x.rows) || !Number.isInteger(x.cols) || x.data.length !== x.rows * x.cols) {
    throw new GbdtDataError(`${name}: the matrix says ${x.rows} x ${x.cols} but holds ${x.data.length} values`);
  }
  if (x.rows === 0) throw new GbdtDataError(`${name}: no rows to fit on`);
  if (x.cols === 0) throw new GbdtDataError(`${name}: no feature columns`);
  if (features !== undefined && x.cols !== features) {
    throw new GbdtDataError(
      `${name}: ${x.cols} feature columns, but the training data has ${features}; pass the same features in the same order`,
    );
  }
  if (!y) throw new GbdtDataError(`${name}: labels (y) are required for ${task}`);
  if (y.length !== x.rows) throw new GbdtDataError(`${name}: ${y.length} labels for ${x.rows} rows`);
  if (weights) {
    if (weights.length !== x.rows) throw new GbdtDataError(`${name}: ${weights.length} weights for ${x.rows} rows`);
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (!(w >= 0) || !Number.isFinite(w))
        throw new GbdtDataError(`${name}: weight ${w} of row ${i} is not a finite number >= 0`, { row: i });
      total += w;
    }
    if (!(total > 0)) throw new GbdtDataError(`${name}: every weight is 0; at least one row must count`);
  }
  if (task === 'regression') {
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i]!))
        throw new GbdtDataError(`${name}: label ${y[i]} of row ${i} is not a finite number; drop or fill rows without a label`, { row: i });
    }
    return 0;
  }
  let max = 0;
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    if (!Number.isInteger(c) || c < 0)
      throw new GbdtDataError(`${name}: label ${c} of row ${i} is not a class index (0, 1, ...)`, { row: i });
    if (c > max) max = c;
  }
  const k = classes ?? (task === 'binary' ? 2 : Math.max(2, max + 1));
  if (max >= k) {
    throw new GbdtDataError(
      task === 'binary'
        ? `${name}: label ${max} in a binary task; labels must be 0 or 1`
        : `${name}: label ${max} but classes is ${k}; labels must be 0..${k - 1}`,
      { label: max },
    );
  }
  return k;
}

/**
 * Splits rows `0..n-1` into sorted training and validation positions: `fraction` of them (rounded up) to validation,
 * drawn with `rng`, per class for classification so that each class keeps its share.
 */
export function validationSplit(
  y: Float64Array,
  classification: boolean,
  fraction: number,
  rng: Random,
): { train: Int32Array; val: Int32Array } {
  const n = y.length;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = classification ? y[i]! : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const inVal = new Uint8Array(n);
  let nVal = 0;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = rng.shuffle(groups.get(key)!) as number[];
    const take = Math.ceil(fraction * rows.length);
    for (let i = 0; i < take; i++) inVal[rows[i]!] = 1;
    nVal += take;
  }
  if (nVal === 0 || nVal === n) {
    throw new GbdtDataError(
      `${n} rows are too few to hold out ${fraction} of them for early stopping; pass a validation set or set early_stopping: false`,
    );
  }
  const train = new Int32Array(n - nVal);
  const val = new Int32Array(nVal);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (inVal[i]) val[b++] = i;
    else train[a++] = i;
  }
  return { train, val };
}
