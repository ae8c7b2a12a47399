/**
 * The losses boosting fits: their starting raw score, gradients and hessians, the mean loss and metric reported per
 * round, and the link from raw scores to predictions. Raw scores are row-major `rows x treesPerRound`.
 */
import { PARTS, partStart } from './parts.js';
import type { GbdtTask } from './settings.js';

export interface LossValue {
  /** Weighted mean loss: log loss, cross-entropy, or mean squared error. */
  loss: number;
  /** Weighted accuracy for classification, RMSE for regression. */
  metric: number;
}

export interface Loss {
  /** Raw scores per row: 1 for binary and regression, the class count for multiclass. */
  readonly treesPerRound: number;
  /** The loss's pass over a row range, which worker threads can run (`binaryRange`), if it has one. */
  readonly rangeKernel?: 'binary';
  /** Whether every hessian is the same (1): unweighted squared error. */
  constantHessian(weights: Float64Array | undefined): boolean;
  /** The raw score every row starts from, per output. */
  baseline(y: Float64Array, w: Float64Array | undefined): Float64Array;
  /** Fills `grad[k]` and `hess[k]` from `raw`; returns the loss of `raw`. `hess` is left alone when constant. */
  gradients(
    raw: Float64Array,
    y: Float64Array,
    w: Float64Array | undefined,
    grad: Float32Array[],
    hess: Float32Array[],
    constHess: boolean,
  ): LossValue;
  evaluate(raw: Float64Array, y: Float64Array, w: Float64Array | undefined): LossValue;
  /** Raw scores to predictions: `rows x outputs` probabilities, or values. */
  link(raw: Float64Array, rows: number): Float64Array;
}

/** The smallest probability a log loss is taken of, so one sure mistake does not make the mean infinite. */
const EPS = 1e-15;

export function lossFor(task: GbdtTask, classes: number): Loss {
  if (task === 'regression') return squaredError;
  if (task === 'binary') return logLoss;
  return crossEntropy(classes);
}

/** The weights' sum; `n` when unweighted. */
export function weightSum(w: Float64Array | undefined, n: number): number {
  if (!w) return n;
  let s = 0;
  for (let i = 0; i < n; i++) s += w[i]!;
  return s;
}

const squaredError: Loss = {
  treesPerRound: 1,
  constantHessian: (w) => w === undefined,
  baseline(y, w) {
    const n = y.length;
    let s = 0;
    for (let i = 0; i < n; i++) s += w ? w[i]! * y[i]! : y[i]!;
    return Float64Array.of(s / weightSum(w, n) + 0);
  },
  gradients(raw, y, w, grad, hess, constHess) {
    const g = grad[0]!;
    const h = hess[0]!;
    const n = y.length;
    let sum = 0;
    if (w) {
      for (let i = 0; i < n; i++) {
        const d = raw[i]! - y[i]!;
        const wi = w[i]!;
        g[i] = wi * d;
        if (!constHess) h[i] = wi;
        sum += wi * d * d;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const d = raw[i]! - y[i]!;
        g[i] = d;
        sum += d * d;
      }
    }
    const mse = sum / weightSum(w, n);
    return { loss: mse, metric: Math.sqrt(mse) };
  },
  evaluate(raw, y, w) {
    const n = y.length;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const d = raw[i]! - y[i]!;
      sum += w ? w[i]! * d * d : d * d;
    }
    const mse = sum / weightSum(w, n);
    return { loss: mse, metric: Math.sqrt(mse) };
  },
  link: (raw) => Float64Array.from(raw),
};

/**
 * Sums of `-w log p` (p the probability of the true class) are taken as the log of running products, one log per
 * 16 rows when unweighted: the products cannot underflow (each p >= 1e-15) and the log is most of the cost.
 */
class LogSum {
  private prod = 1;
  private k = 0;
  sum = 0;
  add(p: number, w: number, weighted: boolean): void {
    if (weighted) {
      this.sum -= w * Math.log(p);
      return;
    }
    this.prod *= p;
    if (++this.k === 16) this.flush();
  }
  flush(): number {
    this.sum -= Math.log(this.prod);
    this.prod = 1;
    this.k = 0;
    return this.sum;
  }
}

/** Rows from which a loss pass is cut into `PARTS` ranges (parts.ts). */
export const LOSS_SPLIT_MIN_ROWS = 32_768;

/** Ranges a loss pass over `n` rows is cut into. */
export function lossParts(n: number): number {
  return n >= LOSS_SPLIT_MIN_ROWS ? PARTS : 1;
}

/** Log loss and accuracy of binary raw scores; fills gradients and hessians when `g` is given. */
function binaryPass(
  raw: Float64Array,
  y: Float64Array,
  w: Float64Array | undefined,
  g: Float32Array | null,
  h: Float32Array | null,
): LossValue {
  const n = y.length;
  const parts = lossParts(n);
  const out = new Float64Array(2 * parts);
  for (let c = 0; c < parts; c++) binaryRange(raw, y, w ?? null, g, h, partStart(0, n, parts, c), partStart(0, n, parts, c + 1), out, 2 * c);
  return binaryTotal(out, parts, weightSum(w, n));
}

/** The loss and metric from `binaryRange`'s sums of `parts` ranges, added in order. */
export function binaryTotal(out: Float64Array, parts: number, total: number): LossValue {
  let sum = 0;
  let right = 0;
  for (let c = 0; c < parts; c++) {
    sum += out[2 * c]!;
    right += out[2 * c + 1]!;
  }
  return { loss: sum / total, metric: right / total };
}

/**
 * Binary log loss over rows `start..end`: the sum of `-w log p` (p the probability of the true class, at least
 * 1e-15) into `out[o]` and the (weighted) count of right answers into `out[o + 1]`; gradients and hessians into `g`
 * and `h` when `g` is given. Unweighted, in blocks of 16 rows with one log of their product each (as `LogSum`): the
 * products cannot underflow, and the log is most of the cost. Uses nothing but its arguments: worker threads run
 * its source.
 */
export function binaryRange(
  raw: Float64Array,
  y: Float64Array,
  w: Float64Array | null,
  g: Float32Array | null,
  h: Float32Array | null,
  start: number,
  end: number,
  out: Float64Array,
  o: number,
): void {
  const eps = 1e-15; // EPS
  let sum = 0;
  let right = 0;
  if (w === null) {
    for (let s = start; s < end; s += 16) {
      const e = Math.min(end, s + 16);
      let prod = 1;
      for (let i = s; i < e; i++) {
        const r = raw[i]!;
        const p = 1 / (1 + Math.exp(-r));
        const positive = y[i] === 1;
        if (g) {
          g[i] = p - y[i]!;
          h![i] = p * (1 - p);
        }
        prod *= Math.max(eps, positive ? p : 1 - p);
        right += +(r > 0 === positive);
      }
      sum -= Math.log(prod);
    }
  } else {
    for (let i = start; i < end; i++) {
      const r = raw[i]!;
      const p = 1 / (1 + Math.exp(-r));
      const positive = y[i] === 1;
      const wi = w[i]!;
      if (g) {
        g[i] = wi * (p - y[i]!);
        h![i] = wi * p * (1 - p);
      }
      sum -= wi * Math.log(Math.max(eps, positive ? p : 1 - p));
      right += wi * +(r > 0 === positive);
    }
  }
  out[o] = sum;
  out[o + 1] = right;
}

const logLoss: Loss = {
  treesPerRound: 1,
  rangeKernel: 'binary',
  constantHessian: () => false,
  baseline(y, w) {
    const n = y.length;
    let s = 0;
    for (let i = 0; i < n; i++) s += w ? w[i]! * y[i]! : y[i]!;
    const p = Math.min(1 - EPS, Math.max(EPS, s / weightSum(w, n)));
    return Float64Array.of(Math.log(p / (1 - p)) + 0);
  },
  gradients: (raw, y, w, grad, hess) => binaryPass(raw, y, w, grad[0]!, hess[0]!),
  evaluate: (raw, y, w) => binaryPass(raw, y, w, null, null),
  link(raw, rows) {
    const out = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      const p = 1 / (1 + Math.exp(-raw[i]!));
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return out;
  },
};

function crossEntropy(k: number): Loss {
  // Softmax of row i into `p` (length k); returns nothing, the row's probabilities are left in `p`.
  const softmax = (raw: Float64Array, i: number, p: Float64Array): void => {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, raw[i * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(raw[i * k + c]! - max);
      p[c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) p[c] = p[c]! / sum;
  };
  const argmax = (p: Float64Array): number => {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[c]! > p[best]!) best = c;
    return best;
  };
  const p = new Float64Array(k);
  const pass = (
    raw: Float64Array,
    y: Float64Array,
    w: Float64Array | undefined,
    grad: Float32Array[] | null,
    hess: Float32Array[] | null,
  ): LossValue => {
    const n = y.length;
    const logs = new LogSum();
    const weighted = w !== undefined;
    let right = 0;
    for (let i = 0; i < n; i++) {
      softmax(raw, i, p);
      const yi = y[i]!;
      const wi = w ? w[i]! : 1;
      if (grad) {
        for (let c = 0; c < k; c++) {
          const pc = p[c]!;
          grad[c]![i] = wi * (pc - +(c === yi));
          hess![c]![i] = wi * pc * (1 - pc);
        }
      }
      logs.add(Math.max(EPS, p[yi]!), wi, weighted);
      right += wi * +(argmax(p) === yi);
    }
    const total = weightSum(w, n);
    return { loss: logs.flush() / total, metric: right / total };
  };
  return {
    treesPerRound: k,
    constantHessian: () => false,
    baseline(y, w) {
      const n = y.length;
      const counts = new Float64Array(k);
      for (let i = 0; i < n; i++) counts[y[i]!] = counts[y[i]!]! + (w ? w[i]! : 1);
      const total = weightSum(w, n);
      return counts.map((c) => Math.log(Math.max(EPS, c / total)) + 0);
    },
    gradients: (raw, y, w, grad, hess) => pass(raw, y, w, grad, hess),
    evaluate: (raw, y, w) => pass(raw, y, w, null, null),
    link(raw, rows) {
      const out = new Float64Array(rows * k);
      for (let i = 0; i < rows; i++) {
        softmax(raw, i, p);
        out.set(p, i * k);
      }
      return out;
    },
  };
}
