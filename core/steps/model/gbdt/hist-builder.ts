/**
 * Builds node histograms on this thread and, for large fits, on worker threads too: the features of a node are cut
 * into a fixed number of chunks that whichever thread is free claims, so a busy core never holds the fit up. Each
 * feature's sums are added by one thread, in row order, with the same kernel source, so the result is bit-identical
 * to a single-threaded fit whatever the thread count or timing.
 *
 * Memory the workers read (row records, row numbers, histograms) is on SharedArrayBuffers. The workers run the
 * kernels' own source (`Function.prototype.toString`), so there is no separate worker file to find or bundle.
 */
import { Worker } from 'node:worker_threads';
import { histAll, histAllConst, histAllConstUncounted, histAllUncounted, histSome, histSomeConst } from './histogram.js';
import { loadGradients } from './records.js';
import { recordStride } from './records.js';

/** Cells (rows x features) below which a histogram is built on this thread alone: waking workers costs more. */
const PARALLEL_MIN_CELLS = 200_000;

// Control words, shared with the workers.
const SEQ = 0; // job number; workers sleep until it changes
const NEXT = 1; // next chunk to claim
const DONE = 2; // chunks finished
const CHUNKS = 3;
const SLOT = 4;
const START = 5;
const END = 6;
const UNCOUNTED = 7; // 1: the counts are known, sum gradients (and hessians) only
const CONST = 8;
const MODE = 9; // MODE_ALL or MODE_SOME
const NF = 10;
const QUIT = 11;
const DEAD = 12;
const WORKER_CHUNKS = 13; // chunks the workers did, for tests and measurements

const MODE_ALL = 0;
const MODE_SOME = 1;

interface Shared {
  ctl: Int32Array;
  rec: Uint32Array;
  recF: Float32Array;
  /** Words per row record. */
  stride: number;
  /** Words of bins per row. */
  nw: number;
  p: number;
  section: number;
  idx: Int32Array;
  feats: Int32Array;
  at: Int32Array;
  store: ArrayBufferLike;
  histLen: number;
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
    const nw = (o.p + 3) >> 2;
    this.stride = recordStride(o.p);
    this.rec = new Uint32Array(alloc(o.n * this.stride * 4));
    this.recF = new Float32Array(this.rec.buffer);
    this.idx = new Int32Array(alloc(o.n * 4));
    this.bins = new Uint8Array(o.n * o.p);
    this.grads = Array.from({ length: o.outputs }, () => new Float32Array(o.n));
    this.hess = Array.from({ length: o.outputs }, () => new Float32Array(o.constHess ? 0 : o.n));
    const store = parallel ? new SharedArrayBuffer(o.slots! * histLen * 8) : new ArrayBuffer(0);
    if (parallel) for (let s = 0; s < o.slots!; s++) this.views.push(new Float64Array(store, s * histLen * 8, histLen));
    this.sharedSlots = this.views.length;
    for (let s = this.views.length - 1; s >= 0; s--) this.free.push(s);
    this.shared = {
      ctl: new Int32Array(alloc(16 * 4)),
      rec: this.rec,
      recF: this.recF,
      stride: this.stride,
      nw,
      p: o.p,
      section: o.section,
      idx: this.idx,
      feats: new Int32Array(alloc(o.p * 4)),
      at: new Int32Array(alloc(o.p * 4)),
      store,
      histLen,
    };
    this.shared.ctl[CHUNKS] = Math.max(4, 2 * o.threads);
    this.nf = o.p;
    this.n = o.n;
    this.setFeatures(Int32Array.from({ length: o.p }, (_, i) => i));
    if (parallel) {
      const source = `const k = { all: ${histAll}, allConst: ${histAllConst}, some: ${histSome}, someConst: ${histSomeConst},
  allUncounted: ${histAllUncounted}, allConstUncounted: ${histAllConstUncounted} };
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
  }

  /** A histogram slot, zeroed over the current features. */
  take(): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.views.length;
      this.views.push(new Float64Array(this.shared.histLen));
    }
    const hist = this.views[slot]!;
    const { feats, section } = this.shared;
    for (let k = 0; k < this.nf; k++) hist.fill(0, feats[k]! * section, (feats[k]! + 1) * section);
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
    const chunks = ctl[CHUNKS]!;
    const mode = this.nf < s.p ? MODE_SOME : MODE_ALL;
    ctl[SLOT] = slot;
    ctl[START] = start;
    ctl[END] = end;
    ctl[CONST] = constHess ? 1 : 0;
    ctl[UNCOUNTED] = uncounted ? 1 : 0;
    ctl[MODE] = mode;
    ctl[NF] = this.nf;
    if (this.workers.length === 0 || slot >= this.sharedSlots || (end - start) * this.nf < PARALLEL_MIN_CELLS) {
      const hist = this.views[slot]!;
      if (mode === MODE_SOME) {
        if (constHess) histSomeConst(hist, s.at, s.feats, 0, this.nf, s.rec, s.recF, s.stride, s.idx, start, end);
        else histSome(hist, s.at, s.feats, 0, this.nf, s.rec, s.recF, s.stride, s.idx, start, end);
      } else if (uncounted) {
        if (constHess) histAllConstUncounted(hist, s.section, s.rec, s.recF, s.stride, 0, s.p, s.idx, start, end);
        else histAllUncounted(hist, s.section, s.rec, s.recF, s.stride, 0, s.p, s.idx, start, end);
      } else if (constHess) histAllConst(hist, s.section, s.rec, s.recF, s.stride, 0, s.p, s.idx, start, end);
      else histAll(hist, s.section, s.rec, s.recF, s.stride, 0, s.p, s.idx, start, end);
      return;
    }
    // Parameters first, then the counters, then the job number: a worker that sees the new job sees all of it.
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, NEXT, 0);
    Atomics.add(ctl, SEQ, 1);
    Atomics.notify(ctl, SEQ);
    runChunks(s, KERNELS, false);
    for (let done = Atomics.load(ctl, DONE); done < chunks; done = Atomics.load(ctl, DONE)) {
      if (Atomics.load(ctl, DEAD)) throw new Error('a gbdt histogram worker thread stopped; rerun with threads: 1');
      Atomics.wait(ctl, DONE, done, 1000);
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

/**
 * Claims chunks of the current job until none is left. Runs in the workers from its source text: it uses only its
 * arguments and globals, and its control-word indices are literals (SEQ.. above).
 */
function runChunks(d: Shared, k: Kernels, worker: boolean): void {
  const ctl = d.ctl;
  const chunks = ctl[3]!;
  for (;;) {
    const c = Atomics.add(ctl, 1, 1);
    // The chunk count never changes, so a claim left over from a finished job is always out of range.
    if (c >= chunks) return;
    const slot = ctl[4]!;
    const start = ctl[5]!;
    const end = ctl[6]!;
    const mode = ctl[9]!;
    // A feature list is cut by position in it; all features by word, so each chunk starts on a word.
    const units = mode === 0 ? d.nw : ctl[10]!;
    const a = Math.floor((c * units) / chunks);
    const b = Math.floor(((c + 1) * units) / chunks);
    if (a < b) {
      const hist = new Float64Array(d.store, slot * d.histLen * 8, d.histLen);
      if (mode === 1) {
        if (ctl[8] === 1) k.someConst(hist, d.at, d.feats, a, b, d.rec, d.recF, d.stride, d.idx, start, end);
        else k.some(hist, d.at, d.feats, a, b, d.rec, d.recF, d.stride, d.idx, start, end);
      } else if (ctl[7] === 1) {
        const f0 = 4 * a;
        const f1 = Math.min(d.p, 4 * b);
        if (ctl[8] === 1) k.allConstUncounted(hist, d.section, d.rec, d.recF, d.stride, f0, f1, d.idx, start, end);
        else k.allUncounted(hist, d.section, d.rec, d.recF, d.stride, f0, f1, d.idx, start, end);
      } else if (ctl[8] === 1) k.allConst(hist, d.section, d.rec, d.recF, d.stride, 4 * a, Math.min(d.p, 4 * b), d.idx, start, end);
      else k.all(hist, d.section, d.rec, d.recF, d.stride, 4 * a, Math.min(d.p, 4 * b), d.idx, start, end);
    }
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
