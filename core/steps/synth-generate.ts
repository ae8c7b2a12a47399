import { normalCdf } from './copula.js';
import { Random } from './model/random.js';
import type { ChoicePlan, ColumnPlan, LabelPlan, NumericPlan, Scalar, SynthPlan, SynthType } from './synth-plan.js';

/**
 * Draws a synthetic table from a plan (pure): the same plan, rows and seed give the same values, on every machine.
 *
 * The generator is split into independent streams taken from the seed in a fixed order (the copula, then one per
 * column in order, then the label), so a column's values do not change when a column after it is added.
 */

/** One generated column. Dates are days since 1970-01-01, date-times milliseconds since 1970 (UTC). */
export interface GeneratedColumn {
  name: string;
  type: SynthType;
  values: (Scalar | null)[];
}

export interface GeneratedTable {
  columns: GeneratedColumn[];
  warnings: string[];
}

const DAY = 86_400_000;

export function generateTable(plan: SynthPlan, rows: number, seed: number): GeneratedTable {
  const root = new Random(seed);
  const copulaRandom = root.fork();
  const streams = plan.columns.map(() => root.fork());
  const labelRandom = root.fork();
  const warnings = [...plan.warnings];

  const uniforms = plan.copula ? copulaUniforms(plan.copula.lower, rows, copulaRandom) : [];
  const copulaIndex = new Map((plan.copula?.columns ?? []).map((name, k) => [name, k]));

  const columns = plan.columns.map((c, i): GeneratedColumn => {
    const random = streams[i]!;
    const nullRandom = random.fork();
    const k = copulaIndex.get(c.name);
    const u = k !== undefined ? uniforms[k]! : undefined;
    const values = drawColumn(c, rows, random, u, warnings);
    const nulls = Math.round(c.nulls * rows);
    if (nulls > 0) {
      const at = nullRandom.permutation(rows);
      for (let r = 0; r < nulls; r++) values[at[r]!] = null;
    }
    return { name: c.name, type: c.type, values };
  });

  if (plan.label) {
    const label = drawLabel(plan.label, columns, plan.columns, rows, labelRandom);
    columns.splice(plan.label.index, 0, label);
  }
  return { columns, warnings };
}

/**
 * The Gaussian copula: per row, independent normals times the Cholesky factor give normals with the target
 * correlation; the normal distribution function makes each a uniform draw, still correlated in rank.
 */
function copulaUniforms(lower: number[][], rows: number, random: Random): Float64Array[] {
  const k = lower.length;
  const out = Array.from({ length: k }, () => new Float64Array(rows));
  const e = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) e[j] = random.normal();
    for (let i = 0; i < k; i++) {
      const li = lower[i]!;
      let z = 0;
      for (let j = 0; j <= i; j++) z += li[j]! * e[j]!;
      out[i]![r] = normalCdf(z);
    }
  }
  return out;
}

function drawColumn(c: ColumnPlan, rows: number, random: Random, u: Float64Array | undefined, warnings: string[]): (Scalar | null)[] {
  const draw = (r: number) => (u ? u[r]! : random.next());
  switch (c.kind) {
    case 'empty':
      return new Array<null>(rows).fill(null);
    case 'numeric':
      return drawNumeric(c, rows, draw, warnings);
    case 'choice':
      return drawChoice(c, rows, random);
    case 'key': {
      const width = String(rows).length;
      return Array.from({ length: rows }, (_, r) => `${c.name}-${String(r + 1).padStart(width, '0')}`);
    }
    case 'time': {
      if (c.type === 'date') {
        const lo = Math.ceil(c.min / DAY);
        const hi = Math.floor(c.max / DAY);
        return Array.from({ length: rows }, () => lo + random.int(hi - lo + 1));
      }
      // Whole seconds: a sub-second part would be noise the data did not show.
      const lo = Math.ceil(c.min / 1000);
      const hi = Math.floor(c.max / 1000);
      return Array.from({ length: rows }, () => (lo + random.int(hi - lo + 1)) * 1000);
    }
  }
}

function drawNumeric(c: NumericPlan, rows: number, draw: (r: number) => number, warnings: string[]): number[] {
  const values = new Array<number>(rows);
  if (c.type === 'float') {
    for (let r = 0; r < rows; r++) values[r] = Math.min(c.max, Math.max(c.min, c.inverse(draw(r))));
    return values;
  }
  const lo = Math.ceil(c.min);
  const hi = Math.floor(c.max);
  for (let r = 0; r < rows; r++) values[r] = Math.min(hi, Math.max(lo, Math.round(c.inverse(draw(r)))));
  if (c.unique) spreadApart(c.name, values, lo, hi, warnings);
  return values;
}

/**
 * Makes integers all different while keeping their order: in rank order each is raised to one above the one before,
 * then, from the top, lowered below the one after when that pushed them past `hi`. Values stay in [lo, hi] when
 * there is room; when there is not, they go past `hi`, with a warning.
 */
function spreadApart(name: string, values: number[], lo: number, hi: number, warnings: string[]): void {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const sorted = order.map((i) => values[i]!);
  for (let k = 1; k < n; k++) sorted[k] = Math.max(sorted[k]!, sorted[k - 1]! + 1);
  if (hi - lo + 1 >= n) {
    if (sorted[n - 1]! > hi) sorted[n - 1] = hi;
    for (let k = n - 2; k >= 0; k--) sorted[k] = Math.min(sorted[k]!, sorted[k + 1]! - 1);
  } else warnings.push(`\`${name}\`: ${n} different integers do not fit between ${lo} and ${hi}; values above ${hi} were used`);
  order.forEach((i, k) => (values[i] = sorted[k]!));
}

function drawChoice(c: ChoicePlan, rows: number, random: Random): (Scalar | null)[] {
  const weights = [...c.weights, c.rest?.weight ?? 0];
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, k) => (cumulative[k] = total += w));
  const out = new Array<Scalar | null>(rows);
  for (let r = 0; r < rows; r++) {
    const x = random.next() * total;
    let lo = 0;
    let hi = weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    out[r] = lo < c.values.length ? c.values[lo]! : drawRest(c, random);
  }
  return out;
}

/** A value the profile does not list: new text, or a date or date and time in the listed ones' range, as text. */
function drawRest(c: ChoicePlan, random: Random): string {
  const rest = c.rest!;
  if (rest.draw === 'token') return `${c.name}-${random.int(rest.count) + 1}`;
  if (rest.draw === 'date') {
    const lo = Math.ceil(rest.min / DAY);
    return new Date((lo + random.int(Math.floor(rest.max / DAY) - lo + 1)) * DAY).toISOString().slice(0, 10);
  }
  const lo = Math.ceil(rest.min / 1000);
  const at = (lo + random.int(Math.floor(rest.max / 1000) - lo + 1)) * 1000;
  return new Date(at).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The label from its rule. A null feature counts as that column's median (its inverse distribution at one half), a
 * null bool as false.
 */
function drawLabel(label: LabelPlan, columns: GeneratedColumn[], plans: ColumnPlan[], rows: number, random: Random): GeneratedColumn {
  const features = label.weights.map(({ column, weight }) => {
    const col = columns.find((c) => c.name === column)!;
    const plan = plans.find((p) => p.name === column)!;
    const fill = plan.kind === 'numeric' ? Math.min(plan.max, Math.max(plan.min, plan.inverse(0.5))) : 0;
    return { values: col.values, weight, fill };
  });
  const values = new Array<Scalar | null>(rows);
  for (let r = 0; r < rows; r++) {
    let score = label.bias;
    for (const f of features) {
      const v = f.values[r];
      score += f.weight * (v === null || v === undefined ? f.fill : v === true ? 1 : v === false ? 0 : (v as number));
    }
    if (label.rule === 'linear') values[r] = label.noise > 0 ? score + label.noise * random.normal() : score;
    else values[r] = random.next() < 1 / (1 + Math.exp(-score)) ? label.values[1] : label.values[0];
  }
  return { name: label.column, type: label.type, values };
}
