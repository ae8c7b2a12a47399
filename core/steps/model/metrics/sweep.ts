/**
 * The sweep every ranking metric is built on: rows sorted by score, highest first, with the weighted true and false
 * positives counted at each distinct score used as a threshold (a row is predicted positive when its score is >= the
 * threshold). Tied scores form one step, which is what makes the area under it equal to the Mann-Whitney statistic
 * (a tied positive-negative pair counts one half). Rows of weight 0 are left out, as scikit-learn does.
 */

export interface Sweep {
  /** The distinct scores, highest first. */
  thresholds: Float64Array;
  /** `tp[k]`: the weight of positive rows scoring >= `thresholds[k]`. */
  tp: Float64Array;
  /** `fp[k]`: the weight of negative rows scoring >= `thresholds[k]`. */
  fp: Float64Array;
  /** The weight of all positive rows, and of all negative rows. */
  positives: number;
  negatives: number;
}

/** Row indices ordered by score, highest first; equal scores keep row order, so the order is deterministic. */
export function orderByScore(scores: Float64Array): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** The sweep of `scores` against 0/1 labels `y01` (checked by the caller). */
export function sweep(y01: Float64Array, scores: Float64Array, weights?: Float64Array): Sweep {
  const order = orderByScore(scores);
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const w = weights ? weights[i]! : 1;
    if (w === 0) continue;
    if (y01[i] === 1) tp += w;
    else fp += w;
    const next = nextWeighted(order, k + 1, weights);
    // Close the step at the last row of each run of equal scores.
    if (next === -1 || scores[order[next]!] !== scores[i]) {
      thresholds.push(scores[i]!);
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { thresholds: Float64Array.from(thresholds), tp: Float64Array.from(tps), fp: Float64Array.from(fps), positives: tp, negatives: fp };
}

function nextWeighted(order: Uint32Array, from: number, weights: Float64Array | undefined): number {
  for (let k = from; k < order.length; k++) if (!weights || weights[order[k]!] !== 0) return k;
  return -1;
}
