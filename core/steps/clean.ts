import { resolve } from 'node:path';
import type pl from 'nodejs-polars';
import type { StepContext } from './registry.js';
import { StepError } from './step-error.js';
import { loadPolars, readTable, requireColumns, writeJson, writeTable, type DataFrame, type Polars } from './table.js';
import { dtypeName, isInteger, isNumeric } from './transform.js';

const STEP = 'clean';

type CastTarget = 'int' | 'float' | 'string' | 'bool' | 'date' | 'datetime' | 'category';
type Constant = string | number | boolean;

interface OutlierRule {
  method: 'iqr' | 'zscore';
  action: 'clip' | 'drop';
  threshold?: number;
}

interface CleanWith {
  input: string;
  output: string;
  report?: string;
  impute?: Record<string, Constant>;
  drop_duplicates?: boolean | string[];
  drop_nulls?: string[];
  outliers?: Record<string, OutlierRule>;
  cast?: Record<string, CastTarget>;
}

/** What the report says; every key is always there, columns sorted. */
export interface CleanReport {
  rows_in: number;
  rows_out: number;
  duplicates_dropped: number;
  null_rows_dropped: Record<string, number>;
  outliers: Record<string, { method: string; threshold: number; lower: number; upper: number; clipped?: number; dropped?: number }>;
  imputed: Record<string, { method: string; value: Constant | null; count: number }>;
  cast: Record<string, { from: string; to: string }>;
}

const METHODS = new Set(['mean', 'median', 'mode']);
const sorted = (keys: string[]): string[] => [...keys].sort();
/** A tiny scratch column name that cannot clash with the table's. */
const scratch = (df: DataFrame, i: number): string => {
  let name = `__gitml_${i}`;
  while (df.columns.includes(name)) name = `_${name}`;
  return name;
};

/**
 * Cleans a table in a fixed order: cast, drop_duplicates, drop_nulls, outliers, impute. Each step's statistics are
 * computed on the data the steps before it left.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as CleanWith;
  const p = await loadPolars();
  let df = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
  requireColumns(STEP, df, Object.keys(w.cast ?? {}), 'cast');
  if (Array.isArray(w.drop_duplicates)) requireColumns(STEP, df, w.drop_duplicates, 'drop_duplicates');
  requireColumns(STEP, df, w.drop_nulls ?? [], 'drop_nulls');
  requireColumns(STEP, df, Object.keys(w.outliers ?? {}), 'outliers');
  requireColumns(STEP, df, Object.keys(w.impute ?? {}), 'impute');

  const report: CleanReport = {
    rows_in: df.height,
    rows_out: 0,
    duplicates_dropped: 0,
    null_rows_dropped: {},
    outliers: {},
    imputed: {},
    cast: {},
  };
  let nullRows = 0;
  const emptied = (by: string): void => {
    if (df.height === 0) throw new StepError(STEP, `${by} dropped every row of ${w.input}; nothing is left to write`);
  };

  if (w.cast && Object.keys(w.cast).length) df = castColumns(p, df, w.cast, report);

  if (w.drop_duplicates) {
    const before = df.height;
    df = Array.isArray(w.drop_duplicates)
      ? df.unique({ subset: w.drop_duplicates, keep: 'first', maintainOrder: true })
      : df.unique({ keep: 'first', maintainOrder: true });
    report.duplicates_dropped = before - df.height;
  }

  if (w.drop_nulls?.length) {
    const cols = sorted([...new Set(w.drop_nulls)]);
    const counts = df.select(...cols.map((c) => p.col(c).isNull().sum().alias(c))).row(0);
    cols.forEach((c, i) => (report.null_rows_dropped[c] = Number(counts[i])));
    let keep = p.col(cols[0]!).isNotNull();
    for (const c of cols.slice(1)) keep = keep.and(p.col(c).isNotNull());
    const before = df.height;
    df = df.filter(keep);
    nullRows = before - df.height;
    emptied('drop_nulls');
  }

  if (w.outliers && Object.keys(w.outliers).length) {
    df = treatOutliers(p, df, w.outliers, report);
    emptied('outliers');
  }

  if (w.impute && Object.keys(w.impute).length) df = impute(p, df, w.impute, report);

  report.rows_out = df.height;
  writeTable(df, resolve(ctx.cwd, w.output));
  if (w.report) writeJson(resolve(ctx.cwd, w.report), report);

  const parts = [`${report.rows_in} rows in, ${report.rows_out} out`];
  if (w.cast) parts.push(`cast ${Object.keys(report.cast).length}`);
  if (w.drop_duplicates) parts.push(`${report.duplicates_dropped} duplicates dropped`);
  if (w.drop_nulls) parts.push(`${nullRows} rows with nulls dropped`);
  for (const [c, o] of Object.entries(report.outliers)) parts.push(`${c}: ${o.clipped ?? o.dropped} ${o.clipped !== undefined ? 'clipped' : 'dropped'}`);
  const imputed = Object.values(report.imputed).reduce((n, o) => n + o.count, 0);
  if (w.impute) parts.push(`${imputed} values imputed`);
  ctx.log(`${w.output}: ${parts.join('; ')}`);
}

/** Casts columns; a value that does not convert fails the step, naming the column and an example. */
function castColumns(p: Polars, df: DataFrame, cast: Record<string, CastTarget>, report: CleanReport): DataFrame {
  const cols = sorted(Object.keys(cast));
  const tmp = cols.map((_, i) => scratch(df, i));
  const casted: pl.Expr[] = [];
  const failed: pl.Expr[] = [];
  cols.forEach((c, i) => {
    const dt = df.getColumn(c).dtype;
    const to = cast[c]!;
    const { expr, invalid } = castExpr(p, c, dt, to);
    casted.push(expr.alias(tmp[i]!));
    // A value fails when it was there before and is null after, or (float -> int) is not a whole number.
    let bad = p.col(c).isNotNull().and(p.col(tmp[i]!).isNull());
    if (invalid) bad = bad.or(invalid.fillNull(false));
    failed.push(bad.alias(`f${i}`));
    report.cast[c] = { from: dtypeName(dt), to };
  });
  const withTmp = df.withColumns(...casted);
  const checks = withTmp
    .select(...failed)
    .select(...cols.map((_, i) => p.col(`f${i}`).sum().alias(`n${i}`)))
    .row(0);
  cols.forEach((c, i) => {
    const n = Number(checks[i]);
    if (!n) return;
    const example = withTmp
      .filter(failed[i]!)
      .select(p.col(c).cast(p.Utf8).first().alias('v'))
      .row(0)[0];
    throw new StepError(
      STEP,
      `cast: column \`${c}\` (${dtypeName(df.getColumn(c).dtype)}) to ${cast[c]}: ${n} of ${df.height} values do not convert, e.g. ${JSON.stringify(example)}`,
      { column: c, count: n, example },
    );
  });
  return withTmp.select(...df.columns.map((c) => (cols.includes(c) ? p.col(tmp[cols.indexOf(c)]!).alias(c) : p.col(c))));
}

function castExpr(p: Polars, c: string, dt: pl.DataType, to: CastTarget): { expr: pl.Expr; invalid?: pl.Expr } {
  const col = p.col(c);
  const isString = dt.variant === 'String' || (dt.variant as string) === 'Utf8';
  const fromText = isString ? col : dt.variant === 'Categorical' ? col.cast(p.Utf8) : undefined;
  switch (to) {
    case 'int':
      if (isNumeric(dt) && !isInteger(dt))
        return { expr: col.cast(p.Int64, false), invalid: col.isNotNull().and(col.floor().neq(col).or(col.isNan())) };
      return { expr: (fromText ?? col).cast(p.Int64, false) };
    case 'float':
      return { expr: (fromText ?? col).cast(p.Float64, false) };
    case 'string':
      return { expr: col.cast(p.Utf8, false) };
    case 'category':
      return { expr: col.cast(p.Utf8, false).cast(p.Categorical) };
    case 'bool': {
      if (!fromText) return { expr: col.cast(p.Bool, false) };
      // Text: true/false, yes/no, 1/0, any case; anything else fails.
      const t = fromText.str.toLowerCase();
      return {
        expr: p
          .when(t.isIn(['true', 'yes', '1']))
          .then(p.lit(true))
          .when(t.isIn(['false', 'no', '0']))
          .then(p.lit(false))
          .otherwise(p.lit(null))
          .cast(p.Bool),
      };
    }
    case 'date':
      return { expr: fromText ? fromText.str.strptime(p.Date) : col.cast(p.Date, false) };
    case 'datetime':
      return { expr: (fromText ? fromText.str.strptime(p.Datetime('ms')) : col).cast(p.Datetime('us'), false) };
  }
}

/** Bounds on the data as it is now: IQR [q1 - t*IQR, q3 + t*IQR] (t 1.5) or mean +- t * sample std (t 3). */
function treatOutliers(p: Polars, df: DataFrame, rules: Record<string, OutlierRule>, report: CleanReport): DataFrame {
  const cols = sorted(Object.keys(rules));
  const stats: pl.Expr[] = [];
  for (const [i, c] of cols.entries()) {
    const dt = df.getColumn(c).dtype;
    if (!isNumeric(dt)) throw new StepError(STEP, `outliers: column \`${c}\` is ${dtypeName(dt)}; outliers need a numeric column`, { column: c });
    const x = p.col(c).cast(p.Float64);
    stats.push(x.isNotNull().sum().alias(`n${i}`));
    if (rules[c]!.method === 'iqr') stats.push(x.quantile(0.25, 'linear').alias(`a${i}`), x.quantile(0.75, 'linear').alias(`b${i}`));
    else stats.push(x.mean().alias(`a${i}`), x.std().alias(`b${i}`));
  }
  const row = df.select(...stats).row(0).map((v) => (v === null ? null : Number(v)));
  const bounds = cols.map((c, i) => {
    const r = rules[c]!;
    if (!row[i * 3]) throw new StepError(STEP, `outliers: column \`${c}\` has no values (every row is null)`, { column: c });
    const a = row[i * 3 + 1]!;
    const b = row[i * 3 + 2] ?? 0; // the std of a single value: nothing is an outlier
    const t = r.threshold ?? (r.method === 'iqr' ? 1.5 : 3);
    const [lower, upper] = r.method === 'iqr' ? [a - t * (b - a), b + t * (b - a)] : [a - t * b, a + t * b];
    return { lower, upper, threshold: t };
  });
  const outside = (c: string, i: number): pl.Expr =>
    p.col(c).lt(p.lit(bounds[i]!.lower)).or(p.col(c).gt(p.lit(bounds[i]!.upper))).fillNull(false);
  // Rows outside any `drop` column's bounds go first (each column counts its own); clipping then changes values in
  // the rows that stay.
  const entry = (c: string, i: number, n: number) => {
    const { lower, upper, threshold } = bounds[i]!;
    const r = rules[c]!;
    report.outliers[c] = { method: r.method, threshold, lower, upper, ...(r.action === 'clip' ? { clipped: n } : { dropped: n }) };
  };
  const dropIdx = [...cols.keys()].filter((i) => rules[cols[i]!]!.action === 'drop');
  const clipIdx = [...cols.keys()].filter((i) => rules[cols[i]!]!.action === 'clip');
  let drop: pl.Expr | undefined;
  for (const i of dropIdx) drop = drop ? drop.or(outside(cols[i]!, i)) : outside(cols[i]!, i);
  // One pass counts both: rows each drop rule catches, and values clipping changes in the rows that stay.
  const counts = df
    .select(
      ...dropIdx.map((i) => outside(cols[i]!, i).sum().alias(`d${i}`)),
      ...clipIdx.map((i) => (drop ? outside(cols[i]!, i).and(drop.not()) : outside(cols[i]!, i)).sum().alias(`c${i}`)),
    )
    .row(0);
  [...dropIdx, ...clipIdx].forEach((i, k) => entry(cols[i]!, i, Number(counts[k])));
  if (drop) df = df.filter(drop.not());
  if (clipIdx.length) {
    df = df.withColumns(
      ...clipIdx.map((i) => {
        const c = cols[i]!;
        const { lower, upper } = bounds[i]!;
        const dt = df.getColumn(c).dtype;
        // Integer columns stay integers: clipped to the whole numbers inside the bounds.
        let [lo, hi] = isInteger(dt) ? [Math.ceil(lower), Math.floor(upper)] : [lower, upper];
        if (lo > hi) lo = hi = Math.round((lower + upper) / 2);
        const x = p.col(c);
        return p.when(x.lt(p.lit(lower))).then(p.lit(lo)).when(x.gt(p.lit(upper))).then(p.lit(hi)).otherwise(x).cast(dt).alias(c);
      }),
    );
  }
  report.outliers = Object.fromEntries(Object.entries(report.outliers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return df;
}

/** Fills nulls with the mean, median or mode (computed now) or a constant. */
function impute(p: Polars, df: DataFrame, spec: Record<string, Constant>, report: CleanReport): DataFrame {
  const cols = sorted(Object.keys(spec));
  const stats: pl.Expr[] = [];
  for (const [i, c] of cols.entries()) {
    const dt = df.getColumn(c).dtype;
    const how = spec[c]!;
    const x = dt.variant === 'Categorical' ? p.col(c).cast(p.Utf8) : p.col(c);
    stats.push(p.col(c).isNull().sum().alias(`n${i}`), p.col(c).isNotNull().sum().alias(`v${i}`));
    if ((how === 'mean' || how === 'median') && !isNumeric(dt))
      throw new StepError(STEP, `impute: column \`${c}\` is ${dtypeName(dt)}; ${how} needs a numeric column (use mode or a constant)`, { column: c });
    if (how === 'mean') stats.push(x.cast(p.Float64).mean().alias(`s${i}`));
    else if (how === 'median') stats.push(x.cast(p.Float64).median().alias(`s${i}`));
    else if (how === 'mode') stats.push(x.dropNulls().mode().sort().first().alias(`s${i}`));
    else stats.push(p.lit(null).alias(`s${i}`));
  }
  const row = df.select(...stats).row(0);
  const fills: pl.Expr[] = [];
  cols.forEach((c, i) => {
    const dt = df.getColumn(c).dtype;
    const how = spec[c]!;
    const nulls = Number(row[i * 3]);
    const method = typeof how === 'string' && METHODS.has(how) ? how : 'constant';
    if (method !== 'constant' && !Number(row[i * 3 + 1]))
      throw new StepError(STEP, `impute: column \`${c}\` has no values (every row is null), so it has no ${method}; impute a constant instead`, {
        column: c,
      });
    let value: unknown = method === 'constant' ? how : row[i * 3 + 2];
    if (typeof value === 'bigint') value = Number(value);
    const { expr, shown } = fillExpr(p, c, dt, method, value as Constant | Date);
    report.imputed[c] = { method, value: shown, count: nulls };
    // Filled even with no nulls, so the output's dtypes depend on the settings, never on the data.
    fills.push(expr.alias(c));
  });
  return df.withColumns(...fills);
}

function fillExpr(p: Polars, c: string, dt: pl.DataType, method: string, value: Constant | Date): { expr: pl.Expr; shown: Constant } {
  const col = p.col(c);
  const v = dt.variant as string;
  const wrong = (need: string): never => {
    throw new StepError(STEP, `impute: column \`${c}\` is ${dtypeName(dt)}; the constant ${JSON.stringify(value)} is not ${need}`, { column: c });
  };
  if (isNumeric(dt)) {
    if (typeof value !== 'number') return wrong('a number');
    // mean and median make an integer column float; a whole-number mode or constant keeps it an integer.
    const stays = isInteger(dt) && method !== 'mean' && method !== 'median' && Number.isInteger(value);
    return stays
      ? { expr: col.fillNull(p.lit(value).cast(dt)), shown: value }
      : { expr: col.cast(p.Float64).fillNull(p.lit(value)), shown: value };
  }
  if (v === 'String' || v === 'Utf8') return { expr: col.fillNull(p.lit(String(value))), shown: String(value) };
  if (v === 'Categorical') return { expr: col.cast(p.Utf8).fillNull(p.lit(String(value))).cast(p.Categorical), shown: String(value) };
  if (v === 'Bool') {
    if (typeof value !== 'boolean') return wrong('true or false');
    return { expr: col.fillNull(p.lit(value)), shown: value };
  }
  if (v === 'Date' || v === 'Datetime') {
    if (value instanceof Date) {
      const iso = v === 'Date' ? value.toISOString().slice(0, 10) : value.toISOString();
      return { expr: col.fillNull(col.dropNulls().mode().sort().first()), shown: iso };
    }
    if (typeof value !== 'string') return wrong(`a ${dtypeName(dt)} (write it as text, e.g. 2024-01-31)`);
    const text = p.col('v').str;
    const parsed = p.DataFrame({ v: [value] }).select((v === 'Date' ? text.strptime(p.Date) : text.strptime(p.Datetime('ms'))).cast(dt).alias('v'));
    if (parsed.getColumn('v').nullCount()) return wrong(`a ${dtypeName(dt)}`);
    return { expr: col.fillNull(p.lit(parsed.getColumn('v').get(0)).cast(dt)), shown: value };
  }
  return wrong(`usable: ${dtypeName(dt)} columns take mode only`);
}
