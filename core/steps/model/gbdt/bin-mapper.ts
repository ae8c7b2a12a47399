/**
 * Feature binning: per feature, ascending real thresholds from quantiles of (a seeded subsample of) the training
 * rows, and the matrix mapped to one byte per value, column-major. A value `v` goes to the first bin `b` with
 * `v <= thresholds[b]` (the last bin when there is none), so "bin <= b" and "v <= thresholds[b]" are the same test:
 * a split found on bins is exactly a split on real values. NaN goes to its own bin, `missingBin` (= max_bins).
 */
import type { Matrix } from '../types.js';
import type { Random } from '../random.js';
import { RECORD_HEAD } from './records.js';

export interface BinMapper {
  /** Per feature: ascending, finite thresholds, one fewer than its non-missing bins. */
  thresholds: Float64Array[];
  /** Per feature: bins that hold non-missing values (`thresholds.length + 1`). */
  nonMissingBins: Int32Array;
  /** Per feature: 1 when the training rows had a missing value in it. */
  hasMissing: Uint8Array;
  /** The bin of NaN: `max_bins`, past every value bin. */
  missingBin: number;
}

/** Rows the thresholds are computed from at most, as scikit-learn does (2e5). */
export const BINNING_SUBSAMPLE = 200_000;

/**
 * Thresholds from the rows `rows` of `x` (all rows when null). With more distinct finite values than `maxBins`,
 * thresholds are the midpoint percentiles at 1/maxBins steps; otherwise the midpoints between distinct values.
 * Infinite values take no part in thresholds (they land in the first or last bin).
 */
export function fitBinMapper(x: Matrix, rows: Int32Array | null, maxBins: number, rng: Random): BinMapper {
  const n = rows ? rows.length : x.rows;
  let sample: Int32Array | null = rows;
  if (n > BINNING_SUBSAMPLE) {
    // A partial Fisher-Yates draw of BINNING_SUBSAMPLE positions, sorted so that reads go forward through memory.
    const pos = new Int32Array(n);
    for (let i = 0; i < n; i++) pos[i] = i;
    for (let i = 0; i < BINNING_SUBSAMPLE; i++) {
      const j = i + rng.int(n - i);
      const t = pos[i]!;
      pos[i] = pos[j]!;
      pos[j] = t;
    }
    sample = pos.subarray(0, BINNING_SUBSAMPLE).sort();
    if (rows) for (let i = 0; i < sample.length; i++) sample[i] = rows[sample[i]!]!;
  }
  const cols = x.cols;
  const data = x.data;
  const m = sample ? sample.length : n;
  // The finite values of each feature, gathered a row at a time (one pass over the sampled rows, not one per feature).
  const columns = new Float64Array(m * cols);
  const counts = new Int32Array(cols);
  for (let i = 0; i < m; i++) {
    const at = (sample ? sample[i]! : i) * cols;
    for (let f = 0; f < cols; f++) {
      const v = data[at + f]!;
      if (Number.isFinite(v)) columns[f * m + counts[f]!++] = v;
    }
  }
  const thresholds: Float64Array[] = [];
  const nonMissingBins = new Int32Array(cols);
  for (let f = 0; f < cols; f++) {
    const t = thresholdsOf(columns.subarray(f * m, f * m + counts[f]!).sort(), maxBins);
    thresholds.push(t);
    nonMissingBins[f] = t.length + 1;
  }
  return { thresholds, nonMissingBins, hasMissing: new Uint8Array(cols), missingBin: maxBins };
}

function thresholdsOf(sorted: Float64Array, maxBins: number): Float64Array {
  const k = sorted.length;
  let distinct = 0;
  for (let i = 0; i < k; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= maxBins) {
    const out = new Float64Array(Math.max(0, distinct - 1));
    let prev = sorted[0]!;
    let j = 0;
    for (let i = 1; i < k; i++) {
      const v = sorted[i]!;
      if (v !== prev) {
        out[j++] = midpoint(prev, v);
        prev = v;
      }
    }
    return out;
  }
  // numpy's percentile with method='midpoint': an exact element at a whole position, else the mean of its neighbours.
  const out = new Float64Array(maxBins - 1);
  for (let i = 1; i < maxBins; i++) {
    const at = (i / maxBins) * (k - 1);
    const lo = Math.floor(at);
    out[i - 1] = at === lo ? sorted[lo]! : midpoint(sorted[lo]!, sorted[lo + 1]!);
  }
  return out;
}

/** The midpoint, written so that it cannot overflow, with -0 made 0 (so thresholds print the same as they compare). */
function midpoint(a: number, b: number): number {
  return 0.5 * a + 0.5 * b + 0;
}

/**
 * The rows `rows` of `x` (all when null) as bins, column-major: the bin of row `i`, feature `f` is
 * `bins[f * n + i]` (in `out` when given). With `records`, also written into the row records (records.ts), which must be in row order. With `markMissing`, marks in `mapper.hasMissing` the features that have a
 * missing value here.
 */
export function binMatrix(
  x: Matrix,
  rows: Int32Array | null,
  mapper: BinMapper,
  markMissing = false,
  records?: { rec: Uint32Array; stride: number },
  out?: Uint8Array,
): Uint8Array {
  const n = rows ? rows.length : x.rows;
  const cols = x.cols;
  const data = x.data;
  const bins = out ?? new Uint8Array(n * cols);
  const rec = records?.rec;
  const stride = records?.stride ?? 0;
  const missing = mapper.missingBin;
  // Thresholds padded to 256 with +Infinity, so that the search is eight fixed steps without branches: the bin is
  // the count of thresholds below v (a branchy binary search measured 4x slower on random data).
  const padded = mapper.thresholds.map((t) => {
    const out = new Float64Array(256).fill(Infinity);
    out.set(t);
    return out;
  });
  // Blocks of rows, so that the block's values stay in cache while each feature's bins are written.
  const BLOCK = 2048;
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    for (let f = 0; f < cols; f++) {
      const t = padded[f]!;
      const out = f * n;
      const shift = (f & 3) << 3;
      const word = RECORD_HEAD + (f >> 2);
      let sawMissing = false;
      for (let i = start; i < end; i++) {
        const v = data[(rows ? rows[i]! : i) * cols + f]!;
        if (v !== v) {
          bins[out + i] = missing;
          if (rec) rec[i * stride + word] = rec[i * stride + word]! | (missing << shift);
          sawMissing = true;
          continue;
        }
        let b = +(t[127]! < v) << 7;
        b += +(t[b + 63]! < v) << 6;
        b += +(t[b + 31]! < v) << 5;
        b += +(t[b + 15]! < v) << 4;
        b += +(t[b + 7]! < v) << 3;
        b += +(t[b + 3]! < v) << 2;
        b += +(t[b + 1]! < v) << 1;
        b += +(t[b]! < v);
        bins[out + i] = b;
        if (rec) rec[i * stride + word] = rec[i * stride + word]! | (b << shift);
      }
      if (sawMissing && markMissing) mapper.hasMissing[f] = 1;
    }
  }
  return bins;
}
