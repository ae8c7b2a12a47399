import { normalCdf, normalQuantile } from './copula.js';

/**
 * One column's distribution as an inverse distribution function (pure): a uniform draw in [0, 1) goes in, a value
 * comes out. Built from a profile's quantiles and histogram, or from declared settings.
 */
export type InverseCdf = (u: number) => number;

/** A point of a piecewise-linear distribution function: `F(x) = p`. */
export interface Knot {
  x: number;
  p: number;
}

/**
 * The knots of a column's distribution function from what a profile holds: the quantiles with the minimum (p = 0)
 * and maximum (p = 1), and the histogram's edges at the share of values below each. The quantiles are kept as they
 * are, so the generated quantiles match the profile's; a histogram edge that disagrees with one of them (it says
 * more or less mass lies below than the quantile does, which interpolation between ranks can cause) is left out.
 */
export function profileKnots(opts: {
  min: number;
  max: number;
  quantiles: { p: number; x: number }[];
  histogram?: { edges: number[]; counts: number[] };
}): Knot[] {
  const fixed: Knot[] = [{ x: opts.min, p: 0 }, ...opts.quantiles.map((q) => ({ x: q.x, p: q.p })), { x: opts.max, p: 1 }];
  const h = opts.histogram;
  const total = h ? h.counts.reduce((s, c) => s + c, 0) : 0;
  const extra: Knot[] = [];
  if (h && total > 0 && h.edges.length === h.counts.length + 1) {
    let below = 0;
    h.edges.forEach((x, k) => {
      const p = k === h.counts.length ? 1 : below / total;
      if (k < h.counts.length) below += h.counts[k]!;
      const agrees = fixed.every((f) => (x < f.x ? p <= f.p : x > f.x ? p >= f.p : true));
      if (agrees) extra.push({ x, p });
    });
  }
  return monotone([...fixed, ...extra]);
}

/** Knots in order of `x` (then `p`), with any that would make the function decrease dropped. */
function monotone(knots: Knot[]): Knot[] {
  const sorted = knots.filter((k) => Number.isFinite(k.x) && Number.isFinite(k.p)).sort((a, b) => a.x - b.x || a.p - b.p);
  const out: Knot[] = [];
  for (const k of sorted) {
    const last = out[out.length - 1];
    if (last && k.p < last.p) continue;
    if (last && k.p === last.p && k.x === last.x) continue;
    out.push(k);
  }
  return out;
}

/**
 * Inverse-CDF sampling through knots with linear interpolation between them: a value with a jump in `p` at one `x`
 * (a value many rows share) is drawn with that jump's probability.
 */
export function knotsInverse(knots: Knot[]): InverseCdf {
  if (!knots.length) throw new Error('a distribution needs at least one knot');
  const xs = Float64Array.from(knots, (k) => k.x);
  const ps = Float64Array.from(knots, (k) => k.p);
  const n = knots.length;
  const lastX = xs[n - 1]!;
  return (u) => {
    if (!(u < ps[n - 1]!)) return lastX;
    if (u < ps[0]!) return xs[0]!;
    // The first knot whose p is above u; the one before it has p <= u.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ps[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    const j = lo;
    const i = j - 1;
    const x0 = xs[i]!;
    const x1 = xs[j]!;
    const x = x0 + ((x1 - x0) * (u - ps[i]!)) / (ps[j]! - ps[i]!);
    return Math.min(x1, Math.max(x0, x));
  };
}

/** Evenly between `min` and `max`. */
export function uniformInverse(min: number, max: number): InverseCdf {
  return (u) => Math.min(max, min + (max - min) * u);
}

/** Normal with `mean` and `std`, cut to [min, max] where given (the truncated normal, not values piled at the bounds). */
export function normalInverse(mean: number, std: number, min = -Infinity, max = Infinity): InverseCdf {
  const lo = normalCdf((min - mean) / std);
  const hi = normalCdf((max - mean) / std);
  return (u) => {
    const p = lo + (hi - lo) * u;
    const x = mean + std * normalQuantile(Math.min(1 - 1e-16, Math.max(1e-300, p)));
    return Math.min(max, Math.max(min, x));
  };
}
