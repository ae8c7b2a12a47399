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
  if (!weights) return unweightedSweep(y01, scores);
  const order = orderByScore(scores).filter((i) => weights[i] !== 0);
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const w = weights[i]!;
    if (y01[i] === 1) tp += w;
    else fp += w;
    // Close the step at the last row of each run of equal scores.
    if (k === order.length - 1 || scores[order[k + 1]!] !== scores[i]) {
      thresholds.push(scores[i]!);
      tps.push(tp);
      fps.push(fp);
    }
  }
  return {
    thresholds: Float64Array.from(thresholds),
    tp: Float64Array.from(tps),
    fp: Float64Array.from(fps),
    positives: tp,
    negatives: fp,
  };
}

/**
 * The same sweep without weights, from the positive and the negative scores each sorted natively (several times
 * faster than sorting row indices with a comparator), walked down together one distinct score at a time.
 */
function unweightedSweep(y01: Float64Array, scores: Float64Array): Sweep {
  let npos = 0;
  for (let i = 0; i < y01.length; i++) if (y01[i] === 1) npos++;
  const pos = new Float64Array(npos);
  const neg = new Float64Array(y01.length - npos);
  let a = 0;
  let b = 0;
  for (let i = 0; i < y01.length; i++) {
    if (y01[i] === 1) pos[a++] = scores[i]!;
    else neg[b++] = scores[i]!;
  }
  pos.sort();
  neg.sort();
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let i = pos.length - 1;
  let j = neg.length - 1;
  while (i >= 0 || j >= 0) {
    const t = i < 0 ? neg[j]! : j < 0 ? pos[i]! : Math.max(pos[i]!, neg[j]!);
    while (i >= 0 && pos[i] === t) i--;
    while (j >= 0 && neg[j] === t) j--;
    thresholds.push(t);
    tps.push(pos.length - 1 - i);
    fps.push(neg.length - 1 - j);
  }
  return {
    thresholds: Float64Array.from(thresholds),
    tp: Float64Array.from(tps),
    fp: Float64Array.from(fps),
    positives: pos.length,
    negatives: neg.length,
  };
}
