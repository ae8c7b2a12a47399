import { resolve } from 'node:path';
import type pl from 'nodejs-polars';
import { renderProfileHtml } from '../../reporters/profile-html.js';
import type { ProfileWith } from '../generated/steps.js';
import type { StepContext } from './registry.js';
import { StepError } from './step-error.js';
import { loadPolars, readTable, requireColumns, writeJson, writeText, type DataFrame, type Polars } from './table.js';

const STEP = 'profile';

/** The quantiles reported for numeric columns, computed with linear interpolation (numpy's default, type 7). */
export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

/** A label column with more distinct values than this is not a class label. */
const MAX_CLASSES = 1000;

export interface Histogram {
  /** `bins + 1` edges from the smallest to the largest finite value; a constant column has one bin. */
  edges: number[];
  counts: number[];
}

export interface ColumnProfile {
  /** int, float, string, category, bool, date, datetime, null, or the polars type for anything else. */
  type: string;
  /** Non-null values. */
  count: number;
  nulls: number;
  /** Distinct non-null values; null for nested types. */
  distinct: number | null;
  /**
   * Numbers for numeric columns, ISO text for dates and times. Numeric statistics leave NaN out; an infinite result
   * is written as null (JSON has no spelling for it), and histograms cover the finite values.
   */
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  /** Sample standard deviation (ddof = 1); null with fewer than two values. */
  std?: number | null;
  quantiles?: Record<string, number | null>;
  histogram?: Histogram;
  /** Most frequent values, by count, then by value (as text) for ties. */
  top?: { value: string | number | boolean; count: number }[];
}

export interface LabelProfile {
  column: string;
  nulls: number;
  /** Each class (the value as text) with its count and its share of the non-null labels. */
  classes: Record<string, { count: number; share: number }>;
}

/**
 * How the numeric columns move together, written when the step is asked for it (`correlations: true`), so that
 * existing profiles and lockfiles stay as they were. `gitml/data/synth` reads it to keep the relationships.
 */
export interface Correlations {
  /** The numeric columns, in the data's order; `pearson[i][j]` pairs `columns[i]` with `columns[j]`. */
  columns: string[];
  /**
   * Over the rows where both values are present (NaN counts as missing); 1 on the diagonal, null where it is
   * undefined (a constant column, fewer than two such rows).
   */
  pearson: (number | null)[][];
  /** Spearman's rank correlation (ties get their average rank), over the same rows. */
  spearman: (number | null)[][];
}

export interface Profile {
  rows: number;
  columns: Record<string, ColumnProfile>;
  label?: LabelProfile;
  correlations?: Correlations;
}

/**
 * `gitml/data/profile`: per-column statistics of a dataset as JSON, and optionally a standalone HTML page. Both are
 * computed before either is written, so a failure leaves neither.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as ProfileWith;
  const df = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
  if (w.label !== undefined) requireColumns(STEP, df, [w.label], 'label');
  const p = await loadPolars();
  const profile = profileTable(p, df, { bins: w.bins ?? 20, top: w.top ?? 10, label: w.label, correlations: w.correlations ?? false });
  const html = w.html ? renderProfileHtml(profile, { title: `Profile of ${w.input}` }) : undefined;
  writeJson(resolve(ctx.cwd, w.output), profile);
  if (w.html && html !== undefined) writeText(resolve(ctx.cwd, w.html), html);
  const numeric = Object.values(profile.columns).filter((c) => c.histogram).length;
  ctx.log(
    `profile: ${count(profile.rows, 'row')}, ${count(df.width, 'column')} (${numeric} numeric) -> ${w.output}${w.html ? `, ${w.html}` : ''}` +
      (profile.label ? `; label \`${profile.label.column}\`: ${count(Object.keys(profile.label.classes).length, 'class', 'classes')}` : ''),
  );
}

const count = (n: number, noun: string, nouns = `${noun}s`) => `${n} ${n === 1 ? noun : nouns}`;

type Kind = 'numeric' | 'temporal' | 'top' | 'null' | 'other';

function classify(variant: string): { kind: Kind; type: string } {
  if (/^U?Int\d+$/.test(variant)) return { kind: 'numeric', type: 'int' };
  if (/^Float\d+$/.test(variant) || variant === 'Decimal') return { kind: 'numeric', type: 'float' };
  if (variant === 'String' || variant === 'Utf8') return { kind: 'top', type: 'string' };
  if (variant === 'Categorical' || variant === 'Enum') return { kind: 'top', type: 'category' };
  if (variant === 'Bool') return { kind: 'top', type: 'bool' };
  if (variant === 'Date') return { kind: 'temporal', type: 'date' };
  if (variant === 'Datetime') return { kind: 'temporal', type: 'datetime' };
  if (variant === 'Time' || variant === 'Duration') return { kind: 'temporal', type: variant.toLowerCase() };
  if (variant === 'Null') return { kind: 'null', type: 'null' };
  return { kind: 'other', type: variant.toLowerCase() };
}

/** A JSON-safe number: BigInt made a number, NaN and infinities null (JSON has no spelling for them). */
function num(v: unknown): number | null {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : null;
  return n !== null && Number.isFinite(n) ? n : null;
}

/**
 * The statistics of every column. Each numeric column is sorted once (NaN left out, as nulls), in one `select` for
 * all of them; min, max, quantiles and the histogram are then read off the sorted values by position and binary
 * search, with no further pass. One more `select` gives every count, distinct count, mean, std and date range at
 * once, and each text or boolean column gets one group-by for its most frequent values (the label one more).
 */
export function profileTable(p: Polars, df: DataFrame, opts: { bins: number; top: number; label?: string; correlations?: boolean }): Profile {
  const cols = df.columns.map((name, i) => ({ name, i, ...classify(df.getColumn(name).dtype.variant as string) }));
  const key = (i: number, stat: string) => `${i}|${stat}`;
  const numeric = cols.filter((c) => c.kind === 'numeric');

  const sorted = numeric.length
    ? df.select(...numeric.map(({ name, i }) => p.col(name).cast(p.Float64).fillNan(null).sort({ nullsLast: true }).alias(key(i, 'sorted'))))
    : undefined;
  const exprs: pl.Expr[] = [];
  for (const { name, i, kind } of cols) {
    if (kind === 'numeric') {
      // Distinct values count fastest on the sorted copy; mean and std add up in row order, as anyone would.
      const x = p.col(name).cast(p.Float64).fillNan(null);
      exprs.push(p.col(key(i, 'sorted')).dropNulls().nUnique().alias(key(i, 'distinct')), x.mean().alias(key(i, 'mean')), x.std().alias(key(i, 'std')));
      continue;
    }
    if (kind !== 'other') exprs.push(p.col(name).dropNulls().nUnique().alias(key(i, 'distinct')));
    if (kind === 'temporal') exprs.push(p.col(name).min().cast(p.Utf8).alias(key(i, 'min')), p.col(name).max().cast(p.Utf8).alias(key(i, 'max')));
  }
  // The sorted columns sit beside the originals (hstack shares their memory), so one select reads both.
  const frame = sorted ? (df.hstack(sorted) as unknown as DataFrame) : df;
  const stats = exprs.length ? frame.select(...exprs) : undefined;
  const values = stats ? (stats.row(0) as unknown[]) : [];
  const row = new Map((stats?.columns ?? []).map((k: string, j: number) => [k, values[j]]));
  const get = (i: number, stat: string) => row.get(key(i, stat));

  const columns: [string, ColumnProfile][] = cols.map(({ name, i, kind, type }) => {
    const nulls = df.getColumn(name).nullCount();
    const prof: ColumnProfile = { type, count: df.height - nulls, nulls, distinct: kind === 'other' ? null : (num(get(i, 'distinct')) ?? 0) };
    if (kind === 'numeric') {
      const col = sorted!.getColumn(key(i, 'sorted'));
      const n = col.len() - col.nullCount();
      const v: Float64Array = n ? col.slice(0, n).toTypedArray() : new Float64Array(0);
      prof.min = n ? num(v[0]) : null;
      prof.max = n ? num(v[n - 1]) : null;
      prof.mean = num(get(i, 'mean'));
      prof.std = n > 1 ? num(get(i, 'std')) : null;
      prof.quantiles = Object.fromEntries(QUANTILES.map((q) => [String(q), n ? num(quantile(v, q)) : null]));
      prof.histogram = histogram(v, opts.bins);
    } else if (kind === 'temporal') {
      prof.min = (get(i, 'min') as string | null) ?? null;
      prof.max = (get(i, 'max') as string | null) ?? null;
    } else if (kind === 'top') {
      prof.top = topValues(p, df, name, opts.top);
    }
    return [name, prof];
  });

  const profile: Profile = { rows: df.height, columns: Object.fromEntries(columns) };
  if (opts.label !== undefined) profile.label = labelBalance(p, df, opts.label);
  if (opts.correlations) profile.correlations = correlationMatrices(p, df, numeric, (i) => sorted!.getColumn(key(i, 'sorted')).nullCount() > 0);
  return profile;
}

/**
 * Pearson and Spearman correlations of every pair of numeric columns, in one `select`. A pair is taken over the rows
 * where both are present: polars' Pearson leaves such rows out by itself; for ranks, a column without missing values
 * is ranked once for all its pairs, and a pair with missing values is ranked over its complete rows.
 */
function correlationMatrices(p: Polars, df: DataFrame, numeric: { name: string; i: number }[], hasMissing: (i: number) => boolean): Correlations {
  const k = numeric.length;
  const x = (c: { name: string }) => p.col(c.name).cast(p.Float64).fillNan(null);
  const exprs: pl.Expr[] = [];
  for (let a = 0; a < k; a++)
    for (let b = a + 1; b < k; b++) {
      const [ca, cb] = [numeric[a]!, numeric[b]!];
      exprs.push(p.pearsonCorr(x(ca), x(cb)).alias(`p${a}|${b}`));
      if (!hasMissing(ca.i) && !hasMissing(cb.i)) exprs.push(p.pearsonCorr(x(ca).rank('average'), x(cb).rank('average')).alias(`s${a}|${b}`));
      else {
        const both = x(ca).isNotNull().and(x(cb).isNotNull());
        exprs.push(p.pearsonCorr(x(ca).filter(both).rank('average'), x(cb).filter(both).rank('average')).alias(`s${a}|${b}`));
      }
    }
  const row = exprs.length ? (df.select(...exprs).toRecords()[0] as Record<string, unknown>) : {};
  const matrix = (prefix: string) =>
    numeric.map((_, a) => numeric.map((_, b) => (a === b ? 1 : clampUnit(num(row[`${prefix}${Math.min(a, b)}|${Math.max(a, b)}`])))));
  return { columns: numeric.map((c) => c.name), pearson: matrix('p'), spearman: matrix('s') };
}

/** Rounding can carry a correlation a hair past +-1. */
const clampUnit = (v: number | null): number | null => (v === null ? null : Math.max(-1, Math.min(1, v)));

/** Linear interpolation between the two nearest ranks of sorted values (numpy's default; Hyndman and Fan type 7). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  return hi === lo ? a : a + (sorted[hi]! - a) * (pos - lo);
}

/** The first index whose value is `>= x` (or `> x` when `strict`), in sorted values. */
function lowerBound(v: ArrayLike<number>, x: number, strict = false, from = 0, to = v.length): number {
  while (from < to) {
    const mid = (from + to) >>> 1;
    if (strict ? v[mid]! <= x : v[mid]! < x) from = mid + 1;
    else to = mid;
  }
  return from;
}

/**
 * Equal-width bins from the smallest to the largest finite value: bin k holds `edges[k] <= x < edges[k+1]`, the last
 * bin its upper edge too. A constant column has one bin; a column without finite values an empty histogram.
 */
export function histogram(sorted: ArrayLike<number>, bins: number): Histogram {
  const start = lowerBound(sorted, -Infinity, true);
  const end = lowerBound(sorted, Infinity, false, start);
  if (start >= end) return { edges: [], counts: [] };
  const lo = sorted[start]!;
  const hi = sorted[end - 1]!;
  if (!(hi > lo)) return { edges: [lo, hi], counts: [end - start] };
  // Halved when hi - lo overflows a double; halving is exact, so no edge moves.
  const s = Number.isFinite(hi - lo) ? 1 : 0.5;
  const step = (hi * s - lo * s) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + (step * k) / s));
  const at = edges.map((e, k) => (k === 0 ? start : k === bins ? end : lowerBound(sorted, e, false, start, end)));
  return { edges, counts: at.slice(1).map((b, k) => b - at[k]!) };
}

const JS_VALUE = (v: unknown): string | number | boolean => (typeof v === 'bigint' ? Number(v) : (v as string | number | boolean));

/** The `n` most frequent non-null values: by count, then by their text so that ties come out the same every run. */
function topValues(p: Polars, df: DataFrame, name: string, n: number): { value: string | number | boolean; count: number }[] {
  const counted = df
    .lazy()
    .select(p.col(name).alias('value'))
    .dropNulls()
    .groupBy('value')
    .agg(p.len().alias('count'))
    .withColumns(p.col('value').cast(p.Utf8).alias('text'))
    .sort(['count', 'text'], [true, false])
    .head(n)
    .collectSync();
  const values = counted.getColumn('value').cast(counted.getColumn('value').dtype.variant === 'Bool' ? p.Bool : p.Utf8).toArray();
  const counts = counted.getColumn('count').toArray();
  return values.map((v, k) => ({ value: JS_VALUE(v), count: Number(counts[k]) }));
}

/** Every class of the label column with its count and share of the labelled rows. */
function labelBalance(p: Polars, df: DataFrame, column: string): LabelProfile {
  const nulls = df.getColumn(column).nullCount();
  if (nulls === df.height) throw new StepError(STEP, `label: column \`${column}\` holds only nulls`, { column });
  const counted = df
    .lazy()
    .select(p.col(column).cast(p.Utf8).alias('class'))
    .dropNulls()
    .groupBy('class')
    .agg(p.len().alias('count'))
    .sort('class')
    .collectSync();
  if (counted.height > MAX_CLASSES)
    throw new StepError(
      STEP,
      `label: column \`${column}\` has ${counted.height} distinct values, more than a class label would (${MAX_CLASSES} at most); leave \`label\` out for a numeric target`,
      { column, distinct: counted.height },
    );
  const labelled = df.height - nulls;
  const names = counted.getColumn('class').toArray() as string[];
  const counts = counted.getColumn('count').toArray();
  return {
    column,
    nulls,
    classes: Object.fromEntries(names.map((k, j) => [k, { count: Number(counts[j]), share: Number(counts[j]) / labelled }])),
  };
}
