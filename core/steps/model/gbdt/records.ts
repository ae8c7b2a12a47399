/**
 * Row records: the training rows as histograms read them, `stride` 32-bit words each:
 *
 *   word 0: the row's gradient (float32)   word 1: its hessian (float32)
 *   words 2..: its bins, four to a word: feature `f` is byte `f % 4`, from the low end, of word `2 + (f >> 2)`
 *
 * Records stay in row order; a node is a range of `idx` (row numbers), partitioned stably at each split. Moving the
 * records themselves instead made deep histograms sequential but cost more in moves than it saved (measured).
 */

/** Words before the bins. */
export const RECORD_HEAD = 2;

export function recordStride(features: number): number {
  return RECORD_HEAD + ((features + 3) >> 2);
}

/** Writes gradient `g` (and hessian `h` unless constant) of every row into its record. */
export function loadGradients(recF: Float32Array, stride: number, g: Float32Array, h: Float32Array, constHess: boolean): void {
  const n = g.length;
  if (constHess) {
    for (let i = 0, at = 0; i < n; i++, at += stride) recF[at] = g[i]!;
    return;
  }
  for (let i = 0, at = 0; i < n; i++, at += stride) {
    recF[at] = g[i]!;
    recF[at + 1] = h[i]!;
  }
}

/**
 * Stable partition of rows `idx[start..end)` on feature `f` of column-major `bins` (`n` rows): those with bin <= `bin`
 * (and missing ones when `missing` is their bin; -1 sends them right) first. Returns how many went left. The right
 * side is written to `tmp[start..)`: `partitionRows` puts it back; fit-threads.ts runs ranges of a node on several
 * threads and joins them. Uses nothing but its arguments (worker threads run its source).
 */
export function partitionRange(
  idx: Int32Array,
  tmp: Int32Array,
  bins: Uint8Array,
  n: number,
  start: number,
  end: number,
  f: number,
  bin: number,
  missing: number,
): number {
  const at = f * n;
  let l = start;
  let r = start;
  for (let i = start; i < end; i++) {
    const row = idx[i]!;
    const b = bins[at + row]!;
    // Written to both sides, only one cursor moves: no branch on the data to mispredict (4x faster).
    const left = +(b <= bin) | +(b === missing);
    idx[l] = row;
    tmp[r] = row;
    l += left;
    r += 1 - left;
  }
  return l - start;
}

/** `partitionRange`, with the right side put back after the left in `idx`. */
export function partitionRows(
  idx: Int32Array,
  tmp: Int32Array,
  bins: Uint8Array,
  n: number,
  start: number,
  end: number,
  f: number,
  bin: number,
  missing: number,
): number {
  const nLeft = partitionRange(idx, tmp, bins, n, start, end, f, bin, missing);
  idx.set(tmp.subarray(start, end - nLeft), start + nLeft);
  return nLeft;
}
