/**
 * The best split of a node from its histogram: for each allowed feature, every bin boundary, with missing values
 * sent right and (when the node has any) sent left; the gain is scikit-learn's
 * `GL^2/(HL+l2) + GR^2/(HR+l2) - G^2/(H+l2)`. Ties keep the first found (lower feature, lower bin, missing right).
 */

export interface SplitInfo {
  gain: number;
  feature: number;
  /** Rows whose bin is <= this go left (missing values aside). */
  bin: number;
  missingLeft: boolean;
  gLeft: number;
  hLeft: number;
  nLeft: number;
  gRight: number;
  hRight: number;
  nRight: number;
}

export interface SplitRules {
  minSamplesLeaf: number;
  l2: number;
  /** Fewest hessian sum in a child (scikit-learn's 1e-3). */
  minHessian: number;
  binStride: number;
  missingBin: number;
  nonMissingBins: Int32Array;
  /** Unweighted squared error: the count is the hessian sum. */
  constHess: boolean;
}

export const MIN_HESSIAN_TO_SPLIT = 1e-3;

/** The node's best split over `features`, or null when none has positive gain within the rules. */
export function findBestSplit(
  hist: Float64Array,
  features: Int32Array,
  G: number,
  H: number,
  N: number,
  rules: SplitRules,
): SplitInfo | null {
  const { minSamplesLeaf, l2, minHessian, binStride, missingBin, nonMissingBins, constHess } = rules;
  const parent = (G * G) / (H + l2 + 1e-15);
  let bestGain = 0;
  let bestFeature = -1;
  let bestBin = 0;
  let bestMissingLeft = false;
  let bestGL = 0;
  let bestHL = 0;
  let bestNL = 0;
  for (let k = 0; k < features.length; k++) {
    const f = features[k]!;
    const at = f * binStride * 3;
    const nb = nonMissingBins[f]!;
    const m = at + missingBin * 3;
    const gm = hist[m]!;
    const nm = hist[m + 2]!;
    const hm = constHess ? nm : hist[m + 1]!;
    let gl = 0;
    let hl = 0;
    let nl = 0;
    // The last boundary (nb - 1) puts every value left and only missing values right.
    const last = nm > 0 ? nb - 1 : nb - 2;
    for (let b = 0; b <= last; b++) {
      const o = at + b * 3;
      const c = hist[o + 2]!;
      gl += hist[o]!;
      hl += constHess ? c : hist[o + 1]!;
      nl += c;
      if (N - nl < minSamplesLeaf) break; // the right side only shrinks from here
      // Missing values right.
      if (nl >= minSamplesLeaf && hl >= minHessian) {
        const hr = H - hl;
        if (hr >= minHessian) {
          const gr = G - gl;
          const gain = (gl * gl) / (hl + l2 + 1e-15) + (gr * gr) / (hr + l2 + 1e-15) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = b;
            bestMissingLeft = false;
            bestGL = gl;
            bestHL = hl;
            bestNL = nl;
          }
        }
      }
      // Missing values left.
      if (nm > 0 && b < nb - 1) {
        const nl2 = nl + nm;
        const hl2 = hl + hm;
        const hr = H - hl2;
        if (nl2 >= minSamplesLeaf && N - nl2 >= minSamplesLeaf && hl2 >= minHessian && hr >= minHessian) {
          const gl2 = gl + gm;
          const gr = G - gl2;
          const gain = (gl2 * gl2) / (hl2 + l2 + 1e-15) + (gr * gr) / (hr + l2 + 1e-15) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = b;
            bestMissingLeft = true;
            bestGL = gl2;
            bestHL = hl2;
            bestNL = nl2;
          }
        }
      }
    }
  }
  if (bestFeature < 0) return null;
  return {
    gain: bestGain,
    feature: bestFeature,
    bin: bestBin,
    missingLeft: bestMissingLeft,
    gLeft: bestGL,
    hLeft: bestHL,
    nLeft: bestNL,
    gRight: G - bestGL,
    hRight: H - bestHL,
    nRight: N - bestNL,
  };
}
