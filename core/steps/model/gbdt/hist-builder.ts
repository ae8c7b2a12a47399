/**
 * Builds node histograms on this thread and, for large fits, on worker threads too. A large node's rows are cut into
 * a fixed number of ranges (`PARTS`), each summed over every feature into its own histogram by whichever thread is
 * free, and the ranges' histograms are then added in order. The cut depends only on the node's size, never on the
 * thread count, and each range is summed in row order by the same kernel source, so the result is bit-identical
 * whatever the thread count or timing. Cutting by rows, not features, lets each thread read a row's record once for
 * all its features (cut by features, two threads spent 1.6x the time of one on the same histograms).
 *
 * Memory the workers read (row records, row numbers, histograms) is on SharedArrayBuffers. The workers run the
 * kernels' own source (`Function.prototype.toString`), so there is no separate worker file to find or bundle.
 */
import { Worker } from 'node:worker_threads';
import { histAll, histAllConst, histAllConstUncounted, histAllUncounted, histSome, histSomeConst } from './histogram.js';
import { loadGradients } from './records.js';
import { recordStride } from './records.js';

/**
 * Rows from which a node's histogram is summed in `PARTS` ranges. Adding the ranges' histograms costs a tenth of
 * summing the rows at this size, less above; on 1M x 20 this threshold beat 16,384 and 32,768 by 3-8% (2 threads).
 */
const SPLIT_MIN_ROWS = 8_192;
/** Row ranges of a large node: a constant, so the sums are the same for any thread count (fit.ts uses up to 4). */
const PARTS = 4;

// Control words, shared with the workers.
const SEQ = 0; // job number; workers sleep until it changes
const NEXT = 1; // next part to claim
const DONE = 2; // parts finished
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
const WORKER_CHUNKS = 13; // parts the workers did, for tests and measurements

const MODE_ALL = 0;
const MODE_SOME = 1;

interface Shared {
  ctl: Int32Array;
  rec: Uint32Array;
  recF: Float32Array;
  /** Words per row record. */
  stride: number;
  p: number;
  section: number;
  idx: Int32Array;
  feats: Int32Array;
  at: Int32Array;
  /** Histograms, `histLen` doubles each: the slots, then the `PARTS - 1` part histograms from `partsAt`. */
  store: ArrayBufferLike;
  histLen: number;
  partsAt: number;
}

interface Kernels {
  all: typeof histAll;
  allConst: typeof histAllConst;
  some: typeof histSome;
  someConst: typeof histSomeConst;
  allUncounted: typeof histAllUncounted;
  allConstUncounted: typeof histAllConstUncounted;
}

const KERNELS: Kernels = {
  all: histAll,
  allConst: histAllConst,
  some: histSome,
  someConst: histSomeConst,
  allUncounted: histAllUncounted,
  allConstUncounted: histAllConstUncounted,
};

export interface HistBuilderOptions {
  n: number;
  p: number;
  /** Doubles per feature in a histogram. */
  section: number;
  /** Gradient arrays (raw outputs). */
  outputs: number;
  constHess: boolean;
  /** Histograms alive at once at most; null when unbounded (then there are no worker threads). */
  slots: number | null;
  /** Threads in all, this one included. */
  threads: number;
}

export class HistBuilder {
  /** Row records (records.ts): `binMatrix` fills the bins, `loadGradients` the gradients. */
  readonly rec: Uint32Array;
  readonly recF: Float32Array;
  readonly stride: number;
  /** Row numbers, partitioned node by node: a node is a range of it. */
  readonly idx: Int32Array;
  /** Column-major bins: feature `f` of row `r` is `bins[f * n + r]`; `binMatrix` fills them, partitions read them. */
  readonly bins: Uint8Array;
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

  constructor(o: HistBuilderOptions) {
    const parallel = o.threads > 1 && o.slots !== null;
    const alloc = (bytes: number): ArrayBufferLike => (parallel ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const histLen = o.p * o.section;
    this.stride = recordStride(o.p);
    this.rec = new Uint32Array(alloc(o.n * this.stride * 4));
    this.recF = new Float32Array(this.rec.buffer);
    this.idx = new Int32Array(alloc(o.n * 4));
    this.bins = new Uint8Array(o.n * o.p);
    this.grads = Array.from({ length: o.outputs }, () => new Float32Array(o.n));
    this.hess = Array.from({ length: o.outputs }, () => new Float32Array(o.constHess ? 0 : o.n));
    const partsAt = parallel ? o.slots! : 0;
    const store = parallel ? new SharedArrayBuffer((partsAt + PARTS - 1) * histLen * 8) : new ArrayBuffer(0);
    if (parallel) for (let s = 0; s < o.slots!; s++) this.views.push(new Float64Array(store, s * histLen * 8, histLen));
    for (let c = 1; c < PARTS; c++)
      this.parts.push(parallel ? new Float64Array(store, (partsAt + c - 1) * histLen * 8, histLen) : new Float64Array(histLen));
    this.sharedSlots = this.views.length;
    for (let s = this.views.length - 1; s >= 0; s--) this.free.push(s);
    this.shared = {
      ctl: new Int32Array(alloc(16 * 4)),
      rec: this.rec,
      recF: this.recF,
      stride: this.stride,
      p: o.p,
      section: o.section,
      idx: this.idx,
      feats: new Int32Array(alloc(o.p * 4)),
      at: new Int32Array(alloc(o.p * 4)),
      store,
      histLen,
      partsAt,
    };
    this.shared.ctl[CHUNKS] = PARTS;
    this.nf = o.p;
    this.n = o.n;
    this.setFeatures(Int32Array.from({ length: o.p }, (_, i) => i));
    if (parallel) {
      const source = `const k = { all: ${histAll}, allConst: ${histAllConst}, some: ${histSome}, someConst: ${histSomeConst},
  allUncounted: ${histAllUncounted}, allConstUncounted: ${histAllConstUncounted} };
${zeroSections}
${sumRows}
${sumPart}
${runChunks}
(${workerLoop})(require('node:worker_threads').workerData, k);`;
      for (let t = 1; t < o.threads; t++) {
        const worker = new Worker(source, { eval: true, workerData: this.shared });
        worker.unref();
        this.workers.push(worker);
      }
    }
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
    if (this.workers.length === 0 || slot >= this.sharedSlots) {
      for (let c = 0; c < PARTS; c++) sumPart(s, KERNELS, c === 0 ? hist : this.parts[c - 1]!, c);
    } else {
      // Parameters first, then the counters, then the job number: a worker that sees the new job sees all of it.
      Atomics.store(ctl, DONE, 0);
      Atomics.store(ctl, NEXT, 0);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
      runChunks(s, KERNELS, false);
      for (let done = Atomics.load(ctl, DONE); done < PARTS; done = Atomics.load(ctl, DONE)) {
        if (Atomics.load(ctl, DEAD)) throw new Error('a gbdt histogram worker thread stopped; rerun with threads: 1');
        Atomics.wait(ctl, DONE, done, 1000);
      }
    }
    const { feats, section } = s;
    for (const part of this.parts) {
      for (let k = 0; k < this.nf; k++) {
        for (let i = feats[k]! * section, e = i + section; i < e; i++) hist[i] = hist[i]! + part[i]!;
      }
    }
  }

  /** Chunks of histograms the worker threads have built so far. */
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

/*
 * The functions below also run in the workers, from their source text: they use only their arguments and globals,
 * and their control-word indices are literals (SEQ.. above).
 */

/** Zeroes the sections of the current features in `hist`. */
function zeroSections(d: Shared, hist: Float64Array): void {
  const { feats, section } = d;
  for (let k = 0, nf = d.ctl[10]!; k < nf; k++) hist.fill(0, feats[k]! * section, (feats[k]! + 1) * section);
}

/** Adds rows `idx[start..end)` of the current job (features, hessian, counts) into `hist`. */
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

/** Sums range `c` of the current job's rows into `hist`: range 0 into the node's own (zeroed by `take`), others from zero. */
function sumPart(d: Shared, k: Kernels, hist: Float64Array, c: number): void {
  const ctl = d.ctl;
  const parts = ctl[3]!;
  const start = ctl[5]!;
  const rows = ctl[6]! - start;
  if (c > 0) zeroSections(d, hist);
  sumRows(d, k, hist, start + Math.floor((c * rows) / parts), start + Math.floor(((c + 1) * rows) / parts));
}

/** Claims ranges of the current job until none is left. */
function runChunks(d: Shared, k: Kernels, worker: boolean): void {
  const ctl = d.ctl;
  const parts = ctl[3]!;
  for (;;) {
    const c = Atomics.add(ctl, 1, 1);
    // The part count never changes, so a claim left over from a finished job is always out of range.
    if (c >= parts) return;
    const slot = c === 0 ? ctl[4]! : d.partsAt + c - 1;
    sumPart(d, k, new Float64Array(d.store, slot * d.histLen * 8, d.histLen), c);
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
