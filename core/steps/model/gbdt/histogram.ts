/**
 * Gradient/hessian histograms. A node's histogram holds, per feature and bin, the sums of gradients and hessians
 * and the row count: `hist[f * section + bin * 3 + {0, 1, 2}]`. With a constant hessian the hessian sums are left at
 * 0 and the count stands for them.
 *
 * Kernels read the row records (records.ts) of the node's rows `idx[start..end)`: a row costs one cache line however
 * scattered the node's rows are (separate gradient arrays and column-major bins cost a miss per array and feature in
 * deep nodes), one load brings four bins, and four features per step give the CPU independent updates to overlap.
 * Measured on 1M x 20, this is 2-3x faster than a pass per column over the node's rows. Each kernel sees one shape of arguments, so the
 * engine keeps it monomorphic, and uses nothing but its arguments: worker threads run the same source
 * (fit-threads.ts), so a range's sums are the same whichever thread adds them.
 */

/**
 * Features `f0..f1-1` (`f0` a multiple of 4), rows `idx[start..end)`, two rows a step: the second row's adds come after
 * the first's, so each bin still sums its rows in row order. An odd last row is paired with itself adding zeros
 * (`x + 0` is `x`: sums that start at +0 are never -0), so the sums are the same bits as one row at a time.
 */
export function histAll(
  hist: Float64Array,
  section: number,
  rec: Uint32Array,
  recF: Float32Array,
  stride: number,
  f0: number,
  f1: number,
  idx: Int32Array,
  start: number,
  end: number,
): void {
  const full = f0 + ((f1 - f0) & ~3);
  const s1 = section;
  const s2 = 2 * section;
  const s3 = 3 * section;
  const s4 = 4 * section;
  for (let i = start; i < end; i += 2) {
    const pair = i + 1 < end;
    const base = idx[i]! * stride;
    const base2 = pair ? idx[i + 1]! * stride : base;
    const gi = recF[base]!;
    const gj = pair ? recF[base2]! : 0;
    const hi = recF[base + 1]!;
    const hj = pair ? recF[base2 + 1]! : 0;
    const cj = pair ? 1 : 0;
    let k = f0;
    let a = f0 * section;
    for (; k < full; k += 4, a += s4) {
      const w = rec[base + 2 + (k >> 2)]!;
      const v = rec[base2 + 2 + (k >> 2)]!;
      const b0 = a + (w & 255) * 3;
      const b1 = a + s1 + ((w >>> 8) & 255) * 3;
      const b2 = a + s2 + ((w >>> 16) & 255) * 3;
      const b3 = a + s3 + (w >>> 24) * 3;
      hist[b0] = hist[b0]! + gi;
      hist[b0 + 1] = hist[b0 + 1]! + hi;
      hist[b0 + 2] = hist[b0 + 2]! + 1;
      hist[b1] = hist[b1]! + gi;
      hist[b1 + 1] = hist[b1 + 1]! + hi;
      hist[b1 + 2] = hist[b1 + 2]! + 1;
      hist[b2] = hist[b2]! + gi;
      hist[b2 + 1] = hist[b2 + 1]! + hi;
      hist[b2 + 2] = hist[b2 + 2]! + 1;
      hist[b3] = hist[b3]! + gi;
      hist[b3 + 1] = hist[b3 + 1]! + hi;
      hist[b3 + 2] = hist[b3 + 2]! + 1;
      const c0 = a + (v & 255) * 3;
      const c1 = a + s1 + ((v >>> 8) & 255) * 3;
      const c2 = a + s2 + ((v >>> 16) & 255) * 3;
      const c3 = a + s3 + (v >>> 24) * 3;
      hist[c0] = hist[c0]! + gj;
      hist[c0 + 1] = hist[c0 + 1]! + hj;
      hist[c0 + 2] = hist[c0 + 2]! + cj;
      hist[c1] = hist[c1]! + gj;
      hist[c1 + 1] = hist[c1 + 1]! + hj;
      hist[c1 + 2] = hist[c1 + 2]! + cj;
      hist[c2] = hist[c2]! + gj;
      hist[c2 + 1] = hist[c2 + 1]! + hj;
      hist[c2 + 2] = hist[c2 + 2]! + cj;
      hist[c3] = hist[c3]! + gj;
      hist[c3 + 1] = hist[c3 + 1]! + hj;
      hist[c3 + 2] = hist[c3 + 2]! + cj;
    }
    if (k < f1) {
      let w = rec[base + 2 + (k >> 2)]!;
      let v = rec[base2 + 2 + (k >> 2)]!;
      for (; k < f1; k++, a += s1, w >>>= 8, v >>>= 8) {
        const b = a + (w & 255) * 3;
        hist[b] = hist[b]! + gi;
        hist[b + 1] = hist[b + 1]! + hi;
        hist[b + 2] = hist[b + 2]! + 1;
        const c = a + (v & 255) * 3;
        hist[c] = hist[c]! + gj;
        hist[c + 1] = hist[c + 1]! + hj;
        hist[c + 2] = hist[c + 2]! + cj;
      }
    }
  }
}

/** `histAll` with a constant hessian. */
export function histAllConst(
  hist: Float64Array,
  section: number,
  rec: Uint32Array,
  recF: Float32Array,
  stride: number,
  f0: number,
  f1: number,
  idx: Int32Array,
  start: number,
  end: number,
): void {
  const full = f0 + ((f1 - f0) & ~3);
  const s1 = section;
  const s2 = 2 * section;
  const s3 = 3 * section;
  const s4 = 4 * section;
  for (let i = start; i < end; i += 2) {
    const pair = i + 1 < end;
    const base = idx[i]! * stride;
    const base2 = pair ? idx[i + 1]! * stride : base;
    const gi = recF[base]!;
    const gj = pair ? recF[base2]! : 0;
    const cj = pair ? 1 : 0;
    let k = f0;
    let a = f0 * section;
    for (; k < full; k += 4, a += s4) {
      const w = rec[base + 2 + (k >> 2)]!;
      const v = rec[base2 + 2 + (k >> 2)]!;
      const b0 = a + (w & 255) * 3;
      const b1 = a + s1 + ((w >>> 8) & 255) * 3;
      const b2 = a + s2 + ((w >>> 16) & 255) * 3;
      const b3 = a + s3 + (w >>> 24) * 3;
      hist[b0] = hist[b0]! + gi;
      hist[b0 + 2] = hist[b0 + 2]! + 1;
      hist[b1] = hist[b1]! + gi;
      hist[b1 + 2] = hist[b1 + 2]! + 1;
      hist[b2] = hist[b2]! + gi;
      hist[b2 + 2] = hist[b2 + 2]! + 1;
      hist[b3] = hist[b3]! + gi;
      hist[b3 + 2] = hist[b3 + 2]! + 1;
      const c0 = a + (v & 255) * 3;
      const c1 = a + s1 + ((v >>> 8) & 255) * 3;
      const c2 = a + s2 + ((v >>> 16) & 255) * 3;
      const c3 = a + s3 + (v >>> 24) * 3;
      hist[c0] = hist[c0]! + gj;
      hist[c0 + 2] = hist[c0 + 2]! + cj;
      hist[c1] = hist[c1]! + gj;
      hist[c1 + 2] = hist[c1 + 2]! + cj;
      hist[c2] = hist[c2]! + gj;
      hist[c2 + 2] = hist[c2 + 2]! + cj;
      hist[c3] = hist[c3]! + gj;
      hist[c3 + 2] = hist[c3 + 2]! + cj;
    }
    if (k < f1) {
      let w = rec[base + 2 + (k >> 2)]!;
      let v = rec[base2 + 2 + (k >> 2)]!;
      for (; k < f1; k++, a += s1, w >>>= 8, v >>>= 8) {
        const b = a + (w & 255) * 3;
        hist[b] = hist[b]! + gi;
        hist[b + 2] = hist[b + 2]! + 1;
        const c = a + (v & 255) * 3;
        hist[c] = hist[c]! + gj;
        hist[c + 2] = hist[c + 2]! + cj;
      }
    }
  }
}

/**
 * The features `features[k0..k1-1]` only (a column sample); `at[k]` is where feature `features[k]` starts in
 * `hist`.
 */
export function histSome(
  hist: Float64Array,
  at: Int32Array,
  features: Int32Array,
  k0: number,
  k1: number,
  rec: Uint32Array,
  recF: Float32Array,
  stride: number,
  idx: Int32Array,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) {
    const base = idx[i]! * stride;
    const gi = recF[base]!;
    const hi = recF[base + 1]!;
    for (let k = k0; k < k1; k++) {
      const f = features[k]!;
      const b = at[k]! + ((rec[base + 2 + (f >> 2)]! >>> ((f & 3) << 3)) & 255) * 3;
      hist[b] = hist[b]! + gi;
      hist[b + 1] = hist[b + 1]! + hi;
      hist[b + 2] = hist[b + 2]! + 1;
    }
  }
}

/** `histSome` with a constant hessian. */
export function histSomeConst(
  hist: Float64Array,
  at: Int32Array,
  features: Int32Array,
  k0: number,
  k1: number,
  rec: Uint32Array,
  recF: Float32Array,
  stride: number,
  idx: Int32Array,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) {
    const base = idx[i]! * stride;
    const gi = recF[base]!;
    for (let k = k0; k < k1; k++) {
      const f = features[k]!;
      const b = at[k]! + ((rec[base + 2 + (f >> 2)]! >>> ((f & 3) << 3)) & 255) * 3;
      hist[b] = hist[b]! + gi;
      hist[b + 2] = hist[b + 2]! + 1;
    }
  }
}

/** `big -= small` over the given features' sections: the sibling's histogram from its parent's. */
export function histSubtract(big: Float64Array, small: Float64Array, features: Int32Array, section: number): void {
  for (let k = 0; k < features.length; k++) {
    const at = features[k]! * section;
    for (let i = at, end = at + section; i < end; i++) big[i] = big[i]! - small[i]!;
  }
}

/**
 * `histAll` without the counts, for a node whose counts are known already: the root, when every row is fitted, has
 * the same counts each tree (fit-threads.ts keeps them). One add fewer per feature and row.
 */
export function histAllUncounted(
  hist: Float64Array,
  section: number,
  rec: Uint32Array,
  recF: Float32Array,
  stride: number,
  f0: number,
  f1: number,
  idx: Int32Array,
  start: number,
  end: number,
): void {
  const full = f0 + ((f1 - f0) & ~3);
  const s1 = section;
  const s2 = 2 * section;
  const s3 = 3 * section;
  const s4 = 4 * section;
  for (let i = start; i < end; i += 2) {
    const pair = i + 1 < end;
    const base = idx[i]! * stride;
    const base2 = pair ? idx[i + 1]! * stride : base;
    const gi = recF[base]!;
    const gj = pair ? recF[base2]! : 0;
    const hi = recF[base + 1]!;
    const hj = pair ? recF[base2 + 1]! : 0;
    let k = f0;
    let a = f0 * section;
    for (; k < full; k += 4, a += s4) {
      const w = rec[base + 2 + (k >> 2)]!;
      const v = rec[base2 + 2 + (k >> 2)]!;
      const b0 = a + (w & 255) * 3;
      const b1 = a + s1 + ((w >>> 8) & 255) * 3;
      const b2 = a + s2 + ((w >>> 16) & 255) * 3;
      const b3 = a + s3 + (w >>> 24) * 3;
      hist[b0] = hist[b0]! + gi;
      hist[b0 + 1] = hist[b0 + 1]! + hi;
      hist[b1] = hist[b1]! + gi;
      hist[b1 + 1] = hist[b1 + 1]! + hi;
      hist[b2] = hist[b2]! + gi;
      hist[b2 + 1] = hist[b2 + 1]! + hi;
      hist[b3] = hist[b3]! + gi;
      hist[b3 + 1] = hist[b3 + 1]! + hi;
      const c0 = a + (v & 255) * 3;
      const c1 = a + s1 + ((v >>> 8) & 255) * 3;
      const c2 = a + s2 + ((v >>> 16) & 255) * 3;
      const c3 = a + s3 + (v >>> 24) * 3;
      hist[c0] = hist[c0]! + gj;
      hist[c0 + 1] = hist[c0 + 1]! + hj;
      hist[c1] = hist[c1]! + gj;
      hist[c1 + 1] = hist[c1 + 1]! + hj;
      hist[c2] = hist[c2]! + gj;
      hist[c2 + 1] = hist[c2 + 1]! + hj;
      hist[c3] = hist[c3]! + gj;
      hist[c3 + 1] = hist[c3 + 1]! + hj;
    }
    if (k < f1) {
      let w = rec[base + 2 + (k >> 2)]!;
      let v = rec[base2 + 2 + (k >> 2)]!;
      for (; k < f1; k++, a += s1, w >>>= 8, v >>>= 8) {
        const b = a + (w & 255) * 3;
        hist[b] = hist[b]! + gi;
        hist[b + 1] = hist[b + 1]! + hi;
        const c = a + (v & 255) * 3;
        hist[c] = hist[c]! + gj;
        hist[c + 1] = hist[c + 1]! + hj;
      }
    }
  }
}

/** `histAllUncounted` with a constant hessian: the gradient sums alone. */
export function histAllConstUncounted(
  hist: Float64Array,
  section: number,
  rec: Uint32Array,
  recF: Float32Array,
  stride: number,
  f0: number,
  f1: number,
  idx: Int32Array,
  start: number,
  end: number,
): void {
  const full = f0 + ((f1 - f0) & ~3);
  const s1 = section;
  const s2 = 2 * section;
  const s3 = 3 * section;
  const s4 = 4 * section;
  for (let i = start; i < end; i += 2) {
    const pair = i + 1 < end;
    const base = idx[i]! * stride;
    const base2 = pair ? idx[i + 1]! * stride : base;
    const gi = recF[base]!;
    const gj = pair ? recF[base2]! : 0;
    let k = f0;
    let a = f0 * section;
    for (; k < full; k += 4, a += s4) {
      const w = rec[base + 2 + (k >> 2)]!;
      const v = rec[base2 + 2 + (k >> 2)]!;
      const b0 = a + (w & 255) * 3;
      const b1 = a + s1 + ((w >>> 8) & 255) * 3;
      const b2 = a + s2 + ((w >>> 16) & 255) * 3;
      const b3 = a + s3 + (w >>> 24) * 3;
      hist[b0] = hist[b0]! + gi;
      hist[b1] = hist[b1]! + gi;
      hist[b2] = hist[b2]! + gi;
      hist[b3] = hist[b3]! + gi;
      const c0 = a + (v & 255) * 3;
      const c1 = a + s1 + ((v >>> 8) & 255) * 3;
      const c2 = a + s2 + ((v >>> 16) & 255) * 3;
      const c3 = a + s3 + (v >>> 24) * 3;
      hist[c0] = hist[c0]! + gj;
      hist[c1] = hist[c1]! + gj;
      hist[c2] = hist[c2]! + gj;
      hist[c3] = hist[c3]! + gj;
    }
    if (k < f1) {
      let w = rec[base + 2 + (k >> 2)]!;
      let v = rec[base2 + 2 + (k >> 2)]!;
      for (; k < f1; k++, a += s1, w >>>= 8, v >>>= 8) {
        const b = a + (w & 255) * 3;
        hist[b] = hist[b]! + gi;
        const c = a + (v & 255) * 3;
        hist[c] = hist[c]! + gj;
      }
    }
  }
}
