/** Summaries of a set of numbers: quantiles and the score distribution of an anomaly detector. */
import { checkRows, checkValues } from './check.js';
import { MetricsInputError } from './errors.js';

/** `pNN` is the 0.NN quantile. */
export interface Distribution {
  min: number;
  p01: number;
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /** Population standard deviation (divides by n, as NumPy's `std`). */
  std: number;
}

/** The ascending copy of `values`. */
export function sortedCopy(values: Float64Array): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * The `q` quantile of ascending `sorted` values, interpolating linearly between the two nearest ranks (NumPy's
 * default, `method='linear'`): position `q * (n - 1)`.
 */
export function quantileOfSorted(sorted: Float64Array, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new MetricsInputError(`quantile ${q} is outside [0, 1]`, { quantile: q });
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = pos - lo;
  return frac === 0 ? sorted[lo]! : sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

/** The `q` quantile of `values` (any order). */
export function quantile(values: Float64Array, q: number): number {
  checkRows(values.length, 'quantile');
  checkValues(values, values.length, 'values');
  return quantileOfSorted(sortedCopy(values), q);
}

export function distribution(values: Float64Array, name = 'scores'): Distribution {
  checkRows(values.length, 'distribution');
  checkValues(values, values.length, name);
  const sorted = sortedCopy(values);
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  const q = (p: number) => quantileOfSorted(sorted, p);
  // Keys in reading order: min, quantiles, max, mean, std.
  return {
    min: sorted[0]!,
    p01: q(0.01),
    p05: q(0.05),
    p25: q(0.25),
    p50: q(0.5),
    p75: q(0.75),
    p95: q(0.95),
    p99: q(0.99),
    max: sorted[sorted.length - 1]!,
    mean,
    std: Math.sqrt(sq / values.length),
  };
}
