/**
 * The rows of a fit as its hot loops read them (row records, bins, row numbers, raw scores, gradients) and the
 * threads that work on them: this one and, for large fits, worker threads. Each job is cut into a fixed number of
 * row ranges (parts.ts) that whichever thread is free claims:
 *
 * - a node's histogram: each range summed over every feature into its own histogram, then added in order;
 * - the partition of a node's rows at a split: each range partitioned stably, then joined;
 * - adding a tree's leaf values to the raw scores of their rows;
 * - the binary loss pass: gradients, hessians, and each range's loss sum, added in order.
 *
 * The cut depends only on the job's size, and each range is worked in row order by the same source, so a fit is
 * bit-identical whatever the thread count or timing. Cutting by rows, not features, lets a thread read a row's record
 * once for all its features (cut by features, two threads spent 1.6x the time of one on the same histograms).
 *
 * Memory the workers touch is on SharedArrayBuffers. The workers run the kernels' own source
 * (`Function.prototype.toString`), so there is no separate worker file to find or bundle.
 */
import { Worker } from 'node:worker_threads';
import { histAll, histAllConst, histAllConstUncounted, histAllUncounted, histSome, histSomeConst } from './histogram.js';
import { binaryRange, binaryTotal, lossParts, weightSum, type Loss, type LossValue } from './loss.js';
import { PARTS, partStart } from './parts.js';
import { loadGradients, partitionRange, partitionRows, recordStride } from './records.js';

/**
 * Rows from which a node's histogram is summed in `PARTS` ranges. Adding the ranges' histograms costs a tenth of
 * summing the rows at this size, less above; on 1M x 20 this threshold beat 16,384 and 32,768 by 3-8% (2 threads).
 */
const SPLIT_MIN_ROWS = 8_192;
/** Rows from which a partition or a leaf update is shared out (the result is the same either way). */
const SHARE_MIN_ROWS = 32_768;

// Control words, shared with the workers.
const SEQ = 0; // job number; workers sleep until it changes
const NEXT = 1; // next range to claim
const DONE = 2; // ranges finished
const CHUNKS = 3; // PARTS
const SLOT = 4;
const START = 5;
const END = 6;
const UNCOUNTED = 7; // 1: the counts are known, sum gradients (and hessians) only
const CONST = 8;
const MODE = 9; // MODE_ALL or MODE_SOME
const NF = 10;
const QUIT = 11;
const DEAD = 12;
const WORKER_CHUNKS = 13; // ranges the workers did, for tests and measurements
const JOB = 14; // JOB_*
const FEATURE = 15; // partition: the feature, bin and missing bin (-1: missing values go right)
const BIN = 16;
const MISSING = 17;
const OUTPUT = 18; // leaves: the raw output, and the leaf count
const LEAVES = 19;
const CONTROL_WORDS = 20;

const MODE_ALL = 0;
const MODE_SOME = 1;

const JOB_HIST = 0;
const JOB_PARTITION = 1;
const JOB_LEAVES = 2;
const JOB_BINARY = 3;

interface Shared {
  ctl: Int32Array;
  rec: Uint32Array;
  recF: Float32Array;
  /** Words per row record. */
  stride: number;
  n: number;
  p: number;
  /** Raw outputs per row. */
  k: number;
  section: number;
  idx: Int32Array;
  tmp: Int32Array;
  bins: Uint8Array;
  raw: Float64Array;
  y: Float64Array;
  /** Row weights; empty when unweighted. */
  w: Float64Array;
  grads: Float32Array[];
  hess: Float32Array[];
  feats: Int32Array;
  at: Int32Array;
  /** Histograms, `histLen` doubles each: the slots, then the `PARTS - 1` part histograms from `partsAt`. */
  store: ArrayBufferLike;
  histLen: number;
  partsAt: number;
  /** Per range: the rows that went left (partition), or the loss sum and metric (binary loss). */
  sums: Float64Array;
  /** The leaves of the tree just grown: their ranges of `idx` and values. */
  leafStart: Int32Array;
  leafEnd: Int32Array;
  leafValue: Float64Array;
}

interface Kernels {
  all: typeof histAll;
  allConst: typeof histAllConst;
  some: typeof histSome;
  someConst: typeof histSomeConst;
  allUncounted: typeof histAllUncounted;
  allConstUncounted: typeof histAllConstUncounted;
  partStart: typeof partStart;
  partition: typeof partitionRange;
  binary: typeof binaryRange;
  addToRaw: typeof addToRaw;
}

const KERNELS: Kernels = {
  all: histAll,
  allConst: histAllConst,
  some: histSome,
  someConst: histSomeConst,
  allUncounted: histAllUncounted,
  allConstUncounted: histAllConstUncounted,
  partStart,
  partition: partitionRange,
  binary: binaryRange,
  addToRaw,
};

export interface FitThreadsOptions {
  n: number;
  p: number;
  /** Doubles per feature in a histogram. */
  section: number;
  /** Raw outputs per row (gradient arrays). */
  outputs: number;
  constHess: boolean;
  /** Histograms alive at once at most; null when unbounded (then there are no worker threads). */
  slots: number | null;
  /** Threads in all, this one included. */
  threads: number;
  /** The targets (and weights) of the `n` rows, copied where the workers can read them. */
  y: Float64Array;
  w?: Float64Array;
}

/** A leaf as `addLeaves` takes it: rows `idx[start..end)` get `value` added. */
export interface LeafRange {
  start: number;
  end: number;
  value: number;
}

export class FitThreads {
  /** Row records (records.ts): `binMatrix` fills the bins, `loadGradients` the gradients. */
  readonly rec: Uint32Array;
  readonly recF: Float32Array;
  readonly stride: number;
  /** Row numbers, partitioned node by node: a node is a range of it. */
  readonly idx: Int32Array;
  /** Column-major bins: feature `f` of row `r` is `bins[f * n + r]`; `binMatrix` fills them, partitions read them. */
  readonly bins: Uint8Array;
  /** Raw scores, row-major `n x outputs`. */
  readonly raw: Float64Array;
  /** Gradients and hessians per raw output, as the loss computes them. */
  readonly grads: Float32Array[];
  readonly hess: Float32Array[];
  private readonly shared: Shared;
  private readonly views: Float64Array[] = [];
  /** Where ranges 1.. of a large node are summed before they are added to range 0's. */
  private readonly parts: Float64Array[] = [];
  private readonly free: number[] = [];
  private readonly workers: Worker[] = [];
  /** Slots below this are on shared memory (the workers can fill them). */
  private readonly sharedSlots: number;
  private nf: number;
  private readonly n: number;
  /**
   * Per feature and bin, the count of every row (`p` sections of `section / 3`), taken from the first histogram
   * built over all `n` rows: the bins do not change once histograms are built, so later ones (the root of each
   * tree when every row is fitted) need not count again.
   */
  private allCounts: Float64Array | null = null;

  constructor(o: FitThreadsOptions) {
    const parallel = o.threads > 1 && o.slots !== null;
    const alloc = (bytes: number): ArrayBufferLike => (parallel ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const histLen = o.p * o.section;
    this.stride = recordStride(o.p);
    this.rec = new Uint32Array(alloc(o.n * this.stride * 4));
    this.recF = new Float32Array(this.rec.buffer);
    this.idx = new Int32Array(alloc(o.n * 4));
    this.bins = new Uint8Array(alloc(o.n * o.p));
    this.raw = new Float64Array(alloc(o.n * o.outputs * 8));
    this.grads = Array.from({ length: o.outputs }, () => new Float32Array(alloc(o.n * 4)));
    this.hess = Array.from({ length: o.outputs }, () => new Float32Array(alloc(o.constHess ? 0 : o.n * 4)));
    const copy = (a: Float64Array | undefined): Float64Array => {
      const out = new Float64Array(alloc((a?.length ?? 0) * 8));
      if (a) out.set(a);
      return out;
    };
    const partsAt = parallel ? o.slots! : 0;
    const store = parallel ? new SharedArrayBuffer((partsAt + PARTS - 1) * histLen * 8) : new ArrayBuffer(0);
    if (parallel) for (let s = 0; s < o.slots!; s++) this.views.push(new Float64Array(store, s * histLen * 8, histLen));
    for (let c = 1; c < PARTS; c++)
      this.parts.push(parallel ? new Float64Array(store, (partsAt + c - 1) * histLen * 8, histLen) : new Float64Array(histLen));
    this.sharedSlots = this.views.length;
    for (let s = this.views.length - 1; s >= 0; s--) this.free.push(s);
    const leaves = o.slots ?? 0;
    this.shared = {
      ctl: new Int32Array(alloc(CONTROL_WORDS * 4)),
      rec: this.rec,
      recF: this.recF,
      stride: this.stride,
      n: o.n,
      p: o.p,
      k: o.outputs,
      section: o.section,
      idx: this.idx,
      tmp: new Int32Array(alloc(o.n * 4)),
      bins: this.bins,
      raw: this.raw,
      // Only the workers read these.
      y: parallel ? copy(o.y) : o.y,
      w: parallel ? copy(o.w) : (o.w ?? new Float64Array(0)),
      grads: this.grads,
      hess: this.hess,
      feats: new Int32Array(alloc(o.p * 4)),
      at: new Int32Array(alloc(o.p * 4)),
      store,
      histLen,
      partsAt,
      sums: new Float64Array(alloc(2 * PARTS * 8)),
      leafStart: new Int32Array(alloc(leaves * 4)),
      leafEnd: new Int32Array(alloc(leaves * 4)),
      leafValue: new Float64Array(alloc(leaves * 8)),
    };
    this.shared.ctl[CHUNKS] = PARTS;
    this.nf = o.p;
    this.n = o.n;
    this.setFeatures(Int32Array.from({ length: o.p }, (_, i) => i));
    if (parallel) {
      const kernels = Object.entries(KERNELS)
        .map(([name, f]) => `${name}: ${f}`)
        .join(',\n');
      const source = `const k = {\n${kernels}\n};
${zeroSections}
${sumRows}
${runPart}
${runChunks}
(${workerLoop})(require('node:worker_threads').workerData, k);`;
      for (let t = 1; t < o.threads; t++) {
        const worker = new Worker(source, { eval: true, workerData: this.shared });
        // A worker that fails (out of memory, say) is reported by the next job that waits for it ("stopped"), not by
        // an 'error' event nobody listens to, which would end the process.
        worker.on('error', () => {
          Atomics.store(this.shared.ctl, DEAD, 1);
          Atomics.notify(this.shared.ctl, DONE);
        });
        worker.unref();
        this.workers.push(worker);
      }
    }
  }

  /**
   * Fills the gradients (and hessians) of every raw output from the raw scores; returns the loss of the raw scores.
   * The binary loss is shared out when large.
   */
  gradients(loss: Loss, y: Float64Array, w: Float64Array | undefined, constHess: boolean): LossValue {
    const parts = lossParts(this.n);
    if (loss.rangeKernel !== 'binary' || parts === 1 || this.workers.length === 0)
      return loss.gradients(this.raw, y, w, this.grads, this.hess, constHess);
    const ctl = this.shared.ctl;
    ctl[START] = 0;
    ctl[END] = this.n;
    this.share(JOB_BINARY);
    return binaryTotal(this.shared.sums, parts, weightSum(w, this.n));
  }

  /** The gradients of raw output `output` are the ones the next histograms sum. */
  useGradients(output: number, constHess: boolean): void {
    loadGradients(this.recF, this.stride, this.grads[output]!, this.hess[output]!, constHess);
  }

  /** The features the next histograms cover (sorted). */
  setFeatures(features: Int32Array): void {
    const { feats, at, section } = this.shared;
    feats.set(features);
    for (let k = 0; k < features.length; k++) at[k] = features[k]! * section;
    this.nf = features.length;
    this.shared.ctl[NF] = this.nf;
  }

  /** A histogram slot, zeroed over the current features. */
  take(): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.views.length;
      this.views.push(new Float64Array(this.shared.histLen));
    }
    zeroSections(this.shared, this.views[slot]!);
    return slot;
  }

  view(slot: number): Float64Array {
    return this.views[slot]!;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  /** Adds rows `idx[start..end)` into histogram `slot`. */
  build(slot: number, constHess: boolean, start: number, end: number): void {
    const s = this.shared;
    const every = start === 0 && end === this.n && this.nf === s.p;
    const known = every ? this.allCounts : null;
    this.sum(slot, constHess, start, end, known !== null);
    if (!every) return;
    const hist = this.views[slot]!;
    const bins = s.section / 3;
    if (known) for (let b = 0; b < known.length; b++) hist[3 * b + 2] = known[b]!;
    else {
      const counts = new Float64Array(s.p * bins);
      for (let b = 0; b < counts.length; b++) counts[b] = hist[3 * b + 2]!;
      this.allCounts = counts;
    }
  }

  /**
   * Stable partition of rows `idx[start..end)` on feature `f`: those with bin <= `bin` (and missing values when
   * `missing` is their bin; -1 sends them right) first. Returns how many went left.
   */
  partition(start: number, end: number, f: number, bin: number, missing: number): number {
    const s = this.shared;
    if (end - start < SHARE_MIN_ROWS || this.workers.length === 0)
      return partitionRows(s.idx, s.tmp, s.bins, s.n, start, end, f, bin, missing);
    const ctl = s.ctl;
    ctl[START] = start;
    ctl[END] = end;
    ctl[FEATURE] = f;
    ctl[BIN] = bin;
    ctl[MISSING] = missing;
    this.share(JOB_PARTITION);
    // Each range's left rows are at its start in `idx`, its right rows at its start in `tmp`: lefts in range order
    // (moving down, never over a range not yet moved), then rights.
    let to = start;
    for (let c = 0; c < PARTS; c++) {
      const a = partStart(start, end, PARTS, c);
      const left = s.sums[c]!;
      if (to !== a) s.idx.copyWithin(to, a, a + left);
      to += left;
    }
    const nLeft = to - start;
    for (let c = 0; c < PARTS; c++) {
      const a = partStart(start, end, PARTS, c);
      const right = partStart(start, end, PARTS, c + 1) - a - s.sums[c]!;
      s.idx.set(s.tmp.subarray(a, a + right), to);
      to += right;
    }
    return nLeft;
  }

  /** Adds each leaf's value to raw output `output` of its rows. */
  addLeaves(leaves: LeafRange[], output: number): void {
    const s = this.shared;
    // The leaves' ranges tile `idx[0..rows)`.
    const rows = leaves.reduce((a, l) => Math.max(a, l.end), 0);
    if (rows < SHARE_MIN_ROWS || this.workers.length === 0) {
      for (const leaf of leaves) addToRaw(s.raw, s.idx, s.k, output, leaf.start, leaf.end, leaf.value);
      return;
    }
    leaves.forEach((leaf, i) => {
      s.leafStart[i] = leaf.start;
      s.leafEnd[i] = leaf.end;
      s.leafValue[i] = leaf.value;
    });
    s.ctl[START] = 0;
    s.ctl[END] = rows;
    s.ctl[OUTPUT] = output;
    s.ctl[LEAVES] = leaves.length;
    this.share(JOB_LEAVES);
  }

  private sum(slot: number, constHess: boolean, start: number, end: number, uncounted: boolean): void {
    const s = this.shared;
    const ctl = s.ctl;
    ctl[SLOT] = slot;
    ctl[START] = start;
    ctl[END] = end;
    ctl[CONST] = constHess ? 1 : 0;
    ctl[UNCOUNTED] = uncounted ? 1 : 0;
    ctl[MODE] = this.nf < s.p ? MODE_SOME : MODE_ALL;
    const hist = this.views[slot]!;
    if (end - start < SPLIT_MIN_ROWS) {
      sumRows(s, KERNELS, hist, start, end);
      return;
    }
    ctl[JOB] = JOB_HIST;
    if (this.workers.length === 0 || slot >= this.sharedSlots) {
      for (let c = 0; c < PARTS; c++) runPart(s, KERNELS, c, c === 0 ? hist : this.parts[c - 1]!);
    } else this.share(JOB_HIST);
    const { feats, section } = s;
    for (const part of this.parts) {
      for (let k = 0; k < this.nf; k++) {
        for (let i = feats[k]! * section, e = i + section; i < e; i++) hist[i] = hist[i]! + part[i]!;
      }
    }
  }

  /** Runs the ranges of job `job` (parameters already in the control words) on every thread; returns when done. */
  private share(job: number): void {
    const ctl = this.shared.ctl;
    ctl[JOB] = job;
    // Parameters first, then the counters, then the job number: a worker that sees the new job sees all of it.
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, NEXT, 0);
    Atomics.add(ctl, SEQ, 1);
    Atomics.notify(ctl, SEQ);
    runChunks(this.shared, KERNELS, false);
    for (let done = Atomics.load(ctl, DONE); done < PARTS; done = Atomics.load(ctl, DONE)) {
      if (Atomics.load(ctl, DEAD)) throw new Error('a gbdt worker thread stopped; rerun with threads: 1');
      Atomics.wait(ctl, DONE, done, 1000);
    }
  }

  /** Ranges of jobs the worker threads have done so far. */
  workerChunks(): number {
    return Atomics.load(this.shared.ctl, WORKER_CHUNKS);
  }

  /** Lets the workers end. */
  close(): void {
    if (!this.workers.length) return;
    const ctl = this.shared.ctl;
    Atomics.store(ctl, QUIT, 1);
    Atomics.add(ctl, SEQ, 1);
    Atomics.notify(ctl, SEQ);
    this.workers.length = 0;
  }
}

/** Adds `value` to raw output `output` (of `k` per row) of rows `idx[start..end)`. Runs in the workers too. */
function addToRaw(raw: Float64Array, idx: Int32Array, k: number, output: number, start: number, end: number, value: number): void {
  for (let i = start; i < end; i++) {
    const at = idx[i]! * k + output;
    raw[at] = raw[at]! + value;
  }
}

/*
 * The functions below also run in the workers, from their source text: they use only their arguments and globals,
 * and their control-word indices are literals (SEQ.. above).
 */

/** Zeroes the sections of the current features in `hist`. */
function zeroSections(d: Shared, hist: Float64Array): void {
  const { feats, section } = d;
  for (let k = 0, nf = d.ctl[10]!; k < nf; k++) hist.fill(0, feats[k]! * section, (feats[k]! + 1) * section);
}

/** Adds rows `idx[start..end)` of the current histogram job (features, hessian, counts) into `hist`. */
function sumRows(d: Shared, k: Kernels, hist: Float64Array, start: number, end: number): void {
  const ctl = d.ctl;
  if (ctl[9] === 1) {
    if (ctl[8] === 1) k.someConst(hist, d.at, d.feats, 0, ctl[10]!, d.rec, d.recF, d.stride, d.idx, start, end);
    else k.some(hist, d.at, d.feats, 0, ctl[10]!, d.rec, d.recF, d.stride, d.idx, start, end);
  } else if (ctl[7] === 1) {
    if (ctl[8] === 1) k.allConstUncounted(hist, d.section, d.rec, d.recF, d.stride, 0, d.p, d.idx, start, end);
    else k.allUncounted(hist, d.section, d.rec, d.recF, d.stride, 0, d.p, d.idx, start, end);
  } else if (ctl[8] === 1) k.allConst(hist, d.section, d.rec, d.recF, d.stride, 0, d.p, d.idx, start, end);
  else k.all(hist, d.section, d.rec, d.recF, d.stride, 0, d.p, d.idx, start, end);
}

/**
 * Range `c` of the current job. A histogram's range 0 goes into the node's own histogram (zeroed by `take`), the
 * others into `hist` from zero.
 */
function runPart(d: Shared, k: Kernels, c: number, hist: Float64Array | null): void {
  const ctl = d.ctl;
  const parts = ctl[3]!;
  const job = ctl[14]!;
  const start = ctl[5]!;
  const end = ctl[6]!;
  const a = k.partStart(start, end, parts, c);
  const b = k.partStart(start, end, parts, c + 1);
  if (job === 0) {
    if (c > 0) zeroSections(d, hist!);
    sumRows(d, k, hist!, a, b);
  } else if (job === 1) {
    d.sums[c] = k.partition(d.idx, d.tmp, d.bins, d.n, a, b, ctl[15]!, ctl[16]!, ctl[17]!);
  } else if (job === 2) {
    // Rows `idx[a..b)` of the leaves (each a range of idx) get their leaf's value.
    for (let l = 0, count = ctl[19]!; l < count; l++) {
      k.addToRaw(d.raw, d.idx, d.k, ctl[18]!, Math.max(a, d.leafStart[l]!), Math.min(b, d.leafEnd[l]!), d.leafValue[l]!);
    }
  } else {
    k.binary(d.raw, d.y, d.w.length ? d.w : null, d.grads[0]!, d.hess[0]!, a, b, d.sums, 2 * c);
  }
}

/** Claims ranges of the current job until none is left. */
function runChunks(d: Shared, k: Kernels, worker: boolean): void {
  const ctl = d.ctl;
  const parts = ctl[3]!;
  for (;;) {
    const c = Atomics.add(ctl, 1, 1);
    // The range count never changes, so a claim left over from a finished job is always out of range.
    if (c >= parts) return;
    let hist: Float64Array | null = null;
    if (ctl[14] === 0) hist = new Float64Array(d.store, (c === 0 ? ctl[4]! : d.partsAt + c - 1) * d.histLen * 8, d.histLen);
    runPart(d, k, c, hist);
    if (worker) Atomics.add(ctl, 13, 1);
    Atomics.add(ctl, 2, 1);
    Atomics.notify(ctl, 2);
  }
}

/** A worker's life: sleep until a job, help with it, until told to quit. Runs from its source text. */
function workerLoop(d: Shared, k: Kernels): void {
  const ctl = d.ctl;
  let seen = Atomics.load(ctl, 0);
  try {
    for (;;) {
      Atomics.wait(ctl, 0, seen);
      seen = Atomics.load(ctl, 0);
      if (Atomics.load(ctl, 11) === 1) return;
      runChunks(d, k, true);
    }
  } finally {
    if (Atomics.load(ctl, 11) !== 1) {
      Atomics.store(ctl, 12, 1);
      Atomics.notify(ctl, 2);
    }
  }
}
