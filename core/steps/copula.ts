/**
 * The numbers behind a Gaussian copula (pure, no I/O): the normal distribution function and its inverse, a Cholesky
 * factor, and the repair of a correlation matrix that is not positive definite (Higham's nearest correlation matrix).
 */

/** A square matrix as rows. */
export type Square = number[][];

/**
 * The standard normal distribution function, to about 1e-15 absolute and 1e-8 relative in the far tail (West's
 * double-precision form of Hart's 1968 rational approximation).
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const z = Math.abs(x);
  let tail: number;
  if (z > 37) tail = 0;
  else {
    const e = Math.exp((-z * z) / 2);
    if (z < 7.07106781186547) {
      let n = 3.52624965998911e-2 * z + 0.700383064443688;
      n = n * z + 6.37396220353165;
      n = n * z + 33.912866078383;
      n = n * z + 112.079291497871;
      n = n * z + 221.213596169931;
      n = n * z + 220.206867912376;
      let d = 8.83883476483184e-2 * z + 1.75566716318264;
      d = d * z + 16.064177579207;
      d = d * z + 86.7807322029461;
      d = d * z + 296.564248779674;
      d = d * z + 637.333633378831;
      d = d * z + 793.826512519948;
      d = d * z + 440.413735824752;
      tail = (e * n) / d;
    } else {
      let b = z + 0.65;
      b = z + 4 / b;
      b = z + 3 / b;
      b = z + 2 / b;
      b = z + 1 / b;
      tail = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/**
 * The standard normal quantile: Acklam's rational approximation (1e-9) polished by one Halley step on `normalCdf`.
 * `-Infinity` at 0 and `Infinity` at 1.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0)) return p === 0 ? -Infinity : NaN;
  if (!(p < 1)) return p === 1 ? Infinity : NaN;
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) / (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * The correlation of the normal scores that gives a Spearman rank correlation `rho` under a Gaussian copula
 * (Pearson's relation: rho = 6/pi * asin(r/2)).
 */
export function normalFromSpearman(rho: number): number {
  return 2 * Math.sin((Math.PI * rho) / 6);
}

/** The lower-triangular `L` with `L Lᵀ = m`, or `undefined` when `m` is not (numerically) positive definite. */
export function cholesky(m: Square, tolerance = 1e-10): Square | undefined {
  const n = m.length;
  const l: Square = m.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = m[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (!(s > tolerance)) return undefined;
        l[i]![i] = Math.sqrt(s);
      } else l[i]![j] = s / l[j]![j]!;
    }
  return l;
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations: `values[k]` belongs to the column
 * `vectors[.][k]`. Deterministic, and exact enough for the small matrices of a table's numeric columns.
 */
export function symmetricEigen(m: Square): { values: number[]; vectors: Square } {
  const n = m.length;
  const a = m.map((r) => r.slice());
  const v: Square = m.map((_, i) => m.map((__, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i]![j]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: a.map((r, i) => r[i]!), vectors: v };
}

/** `V diag(max(values, floor)) Vᵀ`: the matrix with its negative eigenvalues raised to `floor`. */
function clipEigen(m: Square, floor: number): Square {
  const { values, vectors } = symmetricEigen(m);
  const n = m.length;
  const d = values.map((x) => Math.max(x, floor));
  const out: Square = m.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i]![k]! * d[k]! * vectors[j]![k]!;
      out[i]![j] = s;
      out[j]![i] = s;
    }
  return out;
}

/**
 * The nearest correlation matrix to a symmetric `m` with unit diagonal (Higham 2002: alternating projections onto
 * the positive semidefinite matrices and the unit-diagonal ones, with Dykstra's correction), then nudged to be
 * strictly positive definite so that it has a Cholesky factor.
 */
export function nearestCorrelation(m: Square, opts: { iterations?: number; floor?: number } = {}): Square {
  const n = m.length;
  const floor = opts.floor ?? 1e-6;
  let y = m.map((r) => r.slice());
  let ds: Square = m.map(() => new Array<number>(n).fill(0));
  for (let it = 0; it < (opts.iterations ?? 200); it++) {
    const r = y.map((row, i) => row.map((x, j) => x - ds[i]![j]!));
    const x = clipEigen(r, 0);
    ds = x.map((row, i) => row.map((v, j) => v - r[i]![j]!));
    const next = x.map((row, i) => row.map((v, j) => (i === j ? 1 : v)));
    let change = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) change = Math.max(change, Math.abs(next[i]![j]! - y[i]![j]!));
    y = next;
    if (change < 1e-12) break;
  }
  // Strictly positive definite, unit diagonal again.
  const pd = clipEigen(y, floor);
  const scale = pd.map((row, i) => Math.sqrt(row[i]!));
  return pd.map((row, i) => row.map((v, j) => (i === j ? 1 : v / (scale[i]! * scale[j]!))));
}
