/**
 * Row records: the training rows as the tree grower keeps them, `stride` 32-bit words each:
 *
 *   word 0: the row's gradient (float32)   word 1: its hessian (float32)   word 2: the row's number
 *   words 3..: its bins, four to a word: feature `f` is byte `f % 4`, from the low end, of word `3 + (f >> 2)`
 *
 * Splitting a node moves its records so that each child's rows lie together (a stable partition), so every node is
 * a range of positions and its histogram is one sequential read, however deep the node.
 */

/** Words before the bins. */
export const RECORD_HEAD = 3;

export function recordStride(features: number): number {
  return RECORD_HEAD + ((features + 3) >> 2);
}

/** Records for `n` rows, in row order, bins zero. */
export function newRecords(n: number, stride: number, shared: boolean): Uint32Array {
  const rec = new Uint32Array(shared ? new SharedArrayBuffer(n * stride * 4) : new ArrayBuffer(n * stride * 4));
  for (let i = 0; i < n; i++) rec[i * stride + 2] = i;
  return rec;
}

/** Writes gradient `g` (and hessian `h` unless constant) of each record's row into it. */
export function loadGradients(
  rec: Uint32Array,
  recF: Float32Array,
  stride: number,
  n: number,
  g: Float32Array,
  h: Float32Array,
  constHess: boolean,
): void {
  if (constHess) {
    for (let i = 0, at = 0; i < n; i++, at += stride) recF[at] = g[rec[at + 2]!]!;
    return;
  }
  for (let i = 0, at = 0; i < n; i++, at += stride) {
    const row = rec[at + 2]!;
    recF[at] = g[row]!;
    recF[at + 1] = h[row]!;
  }
}

/**
 * Stable partition of records `start..end-1` on feature `f`: those with bin <= `bin` (and missing ones when
 * `missingLeft`) first. Returns how many went left. `tmp` holds the right side meanwhile.
 */
export function partitionRecords(
  rec: Uint32Array,
  tmp: Uint32Array,
  stride: number,
  start: number,
  end: number,
  f: number,
  bin: number,
  missingLeft: boolean,
  missingBin: number,
): number {
  const word = RECORD_HEAD + (f >> 2);
  const shift = (f & 3) << 3;
  const missing = missingLeft ? missingBin : -1;
  let l = start * stride;
  let r = 0;
  for (let at = start * stride, stop = end * stride; at < stop; at += stride) {
    const b = (rec[at + word]! >>> shift) & 255;
    // Written to both sides, only one cursor moves: no branch on the data to mispredict.
    const left = +(b <= bin) | +(b === missing);
    for (let w = 0; w < stride; w++) {
      const v = rec[at + w]!;
      rec[l + w] = v;
      tmp[r + w] = v;
    }
    l += left * stride;
    r += (1 - left) * stride;
  }
  rec.set(tmp.subarray(0, r), l);
  return l / stride - start;
}

/** Moves the records of rows with `keep[row] === 1` to the front, in order; the others follow. */
export function frontRecords(rec: Uint32Array, tmp: Uint32Array, stride: number, n: number, keep: Uint8Array): void {
  let l = 0;
  let r = 0;
  for (let at = 0, stop = n * stride; at < stop; at += stride) {
    const left = keep[rec[at + 2]!]!;
    for (let w = 0; w < stride; w++) {
      const v = rec[at + w]!;
      rec[l + w] = v;
      tmp[r + w] = v;
    }
    l += left * stride;
    r += (1 - left) * stride;
  }
  rec.set(tmp.subarray(0, r), l);
}
