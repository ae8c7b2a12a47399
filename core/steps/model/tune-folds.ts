/**
 * k-fold cross-validation: which fold each row is held out in, seeded, and stratified by class for classification so
 * that every fold has about the class shares of the whole table. Pure.
 */
import type { Random } from './random.js';

/**
 * The fold (0..k-1) of each of `rows` rows. With `classes` (a class index per row), each class's rows are shuffled and
 * dealt to the folds in turn, the deal going on from class to class, so that fold sizes differ by at most one and
 * each class's count per fold by at most one. Without, the rows are shuffled and dealt.
 */
export function assignFolds(rows: number, k: number, random: Random, classes?: Float64Array): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be a whole number >= 2, got ${k}`);
  if (rows < k) throw new RangeError(`${rows} rows cannot be split into ${k} folds`);
  const fold = new Int32Array(rows);
  let next = 0;
  const deal = (members: Int32Array) => {
    random.shuffle(members);
    for (const r of members) {
      fold[r] = next;
      next = (next + 1) % k;
    }
  };
  if (!classes) {
    deal(random.permutation(rows));
    return fold;
  }
  const byClass = new Map<number, number[]>();
  for (let r = 0; r < rows; r++) {
    const c = classes[r]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(r);
  }
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) deal(Int32Array.from(byClass.get(c)!));
  return fold;
}

/** The rows a fold trains on (every other fold's) and is scored on (its own), each in row order. */
export function foldRows(fold: Int32Array, f: number): { train: Int32Array; test: Int32Array } {
  let held = 0;
  for (const v of fold) if (v === f) held++;
  const train = new Int32Array(fold.length - held);
  const test = new Int32Array(held);
  let a = 0;
  let b = 0;
  for (let r = 0; r < fold.length; r++) {
    if (fold[r] === f) test[b++] = r;
    else train[a++] = r;
  }
  return { train, test };
}
