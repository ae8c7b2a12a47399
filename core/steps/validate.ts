import { resolve } from 'node:path';
import type pl from 'nodejs-polars';
import { formatProblems, type Problem } from '../errors.js';
import type { ValidateWith } from '../generated/steps.js';
import { readTextOrNull } from '../util/fs.js';
import {
  describeCheck,
  kindOfDtype,
  parseExpectations,
  type ColumnType,
  type DataKind,
  type Expectations,
} from './expectations.js';
import type { StepContext } from './registry.js';
import { StepError } from './step-error.js';
import { loadPolars, readTable, writeJson, type DataFrame, type Polars } from './table.js';

const STEP = 'validate';

/** One expectation's outcome in the report. */
export interface ValidationResult {
  /** `null` for table expectations (`rows`, `column_set`). */
  column: string | null;
  /** `type`, `not_null`, `unique`, `min`, `max`, `in`, `regex`, `mean`, `std`, `rows`, `column_set` or `exists`. */
  expectation: string;
  /** The expectation's value as written in the expectations file. */
  expected: unknown;
  success: boolean;
  /** Rows that break it; `null` for whole-column and table expectations. */
  offending: number | null;
  /** `offending` over the rows it was checked on: every row for `not_null`, the non-null ones otherwise. */
  share: number | null;
  /** Up to `examples` distinct offending values: sorted, the most extreme first for `min` and `max`. */
  examples: unknown[];
  /** The statistic it was judged on: the minimum for `min`, the share passing for `in`, the dtype for `type`, ... */
  observed: unknown;
  /** Why it could not be evaluated (a bound that does not fit the column's type); it then fails. */
  error?: string;
}

export interface ValidationReport {
  success: boolean;
  rows: number;
  results: ValidationResult[];
  statistics: { evaluated: number; passed: number; failed: number };
}

export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as ValidateWith;
  const expectations = loadExpectations(ctx.cwd, w.expectations);
  const df = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
  const p = await loadPolars();
  const bad = badPatterns(p, expectations, w.expectations);
  if (bad.length) throw new StepError(STEP, `${w.expectations} is invalid:\n${formatProblems(bad)}`, { problems: bad });

  const { report, notes } = validateTable(p, df, expectations, { examples: w.examples ?? 5 });
  // Written before failing, so the reasons can be read; the stage runner does not record a failed stage's outputs.
  writeJson(resolve(ctx.cwd, w.output), report);
  const { evaluated, passed, failed } = report.statistics;
  if (!report.success) {
    const lines = report.results.flatMap((r, i) => (r.success ? [] : [`  ${failureLine(r, notes[i]!, report.rows)}`]));
    const shown = lines.length > 20 ? [...lines.slice(0, 20), `  ... and ${lines.length - 20} more`] : lines;
    throw new StepError(
      STEP,
      `${failed} of ${evaluated} expectations failed on ${w.input} (${report.rows} rows; report: ${w.output}):\n${shown.join('\n')}`,
      { failed: report.results.filter((r) => !r.success).map((r) => ({ column: r.column, expectation: r.expectation })) },
    );
  }
  ctx.log(`${w.input}: ${passed} of ${evaluated} expectations passed on ${report.rows} rows; wrote ${w.output}`);
}

function loadExpectations(cwd: string, file: string): Expectations {
  const text = readTextOrNull(resolve(cwd, file));
  if (text === null) throw new StepError(STEP, `expectations file ${file} does not exist (write one, or infer one: \`gitml data infer DATA -o ${file}\`)`, { path: file });
  const { value, problems } = parseExpectations(text, file);
  if (problems.length) throw new StepError(STEP, `${file} is invalid:\n${formatProblems(problems)}`, { problems });
  return value;
}

/** Patterns the regex engine of polars (Rust `regex`: no look-around, no backreferences) rejects. */
function badPatterns(p: Polars, exp: Expectations, file: string): Problem[] {
  const probe = p.DataFrame({ probe: [''] });
  const problems: Problem[] = [];
  for (const column of exp.columns)
    for (const c of column.checks) {
      if (c.kind !== 'regex') continue;
      try {
        probe.select(p.col('probe').str.contains(anchored(c.pattern)));
      } catch (err) {
        const why = (err as Error).message.split('\n').filter((l) => /^error:/.test(l.trim()))[0]?.trim().replace(/^error:\s*/, '');
        problems.push({ file, ...c.origin, path: c.path, message: `invalid regular expression \`${c.pattern}\`${why ? `: ${why}` : ''}` });
      }
    }
  return problems;
}

/** Whole-value match. */
const anchored = (pattern: string) => `^(?:${pattern})$`;

type Expr = pl.Expr;

/** An expectation waiting for the aggregate row, and how to read its outcome from it. */
interface Pending {
  head: Pick<ValidationResult, 'column' | 'expectation' | 'expected'>;
  label: string;
  /** The outcome, and for a row-level check how many rows it looked at (for messages). */
  finish: (get: (alias: string) => unknown) => Omit<ValidationResult, 'column' | 'expectation' | 'expected' | 'examples'> & { checked?: number };
  /** Offending values to list when any row offends: `values` where `mask`. */
  examples?: { values: Expr; mask: Expr; offending: string; descending: boolean; temporal: boolean };
}

/**
 * Evaluates every expectation against `df` in one aggregate pass (a second, only over offending rows, collects
 * examples). Pure polars expressions: no row loops in JS. `notes[i]` names `results[i]` for messages.
 */
export function validateTable(
  p: Polars,
  df: DataFrame,
  exp: Expectations,
  opts: { examples: number },
): { report: ValidationReport; notes: { label: string; checked?: number }[] } {
  const height = df.height;
  const exprs: Expr[] = [];
  const agg = (e: Expr): string => {
    const alias = `a${exprs.length}`;
    exprs.push(e.alias(alias));
    return alias;
  };
  const pending: Pending[] = [];
  const fixed = (head: Pending['head'], label: string, outcome: ReturnType<Pending['finish']>) =>
    pending.push({ head, label, finish: () => outcome });

  if (exp.rows) {
    const { min, max } = exp.rows;
    fixed({ column: null, expectation: 'rows', expected: exp.rows.expected }, `rows ${describeRange(min, max)}`, {
      success: (min === undefined || height >= min) && (max === undefined || height <= max),
      offending: null,
      share: null,
      observed: height,
    });
  }
  if (exp.columnSet) {
    const want = exp.columnSet.columns;
    const missing = want.filter((c) => !df.columns.includes(c));
    const unexpected = exp.columnSet.mode === 'exactly' ? df.columns.filter((c) => !want.includes(c)) : [];
    fixed(
      { column: null, expectation: 'column_set', expected: exp.columnSet.expected },
      `column_set ${exp.columnSet.mode}`,
      { success: !missing.length && !unexpected.length, offending: null, share: null, observed: { missing, unexpected } },
    );
  }

  for (const column of exp.columns) {
    const name = column.name;
    if (!df.columns.includes(name)) {
      fixed({ column: name, expectation: 'exists', expected: true }, 'exists', {
        success: false,
        offending: null,
        share: null,
        observed: df.columns,
        error: `no such column; the columns are ${df.columns.join(', ')}`,
      });
      continue;
    }
    const dtype = df.getColumn(name).dtype;
    const kind = kindOfDtype(dtype.variant);
    const col = p.col(name);
    const dtypeName = dtype.variant.toLowerCase();
    let nonNull: string | undefined;
    const nn = () => (nonNull ??= agg(col.isNotNull().sum()));

    for (const c of column.checks) {
      const head = { column: name, expectation: c.kind, expected: c.expected };
      const label = describeCheck(c);
      const failEval = (error: string) => fixed(head, label, { success: false, offending: null, share: null, observed: dtypeName, error });
      /** A row-level check: `mask` marks offending rows; `mostly` of the `over` rows must pass. */
      const rows = (
        mask: Expr,
        over: 'all' | 'non-null',
        mostly: number,
        observed: (get: (a: string) => unknown, passing: number) => unknown,
        examples?: { values: Expr; descending?: boolean; temporal?: boolean },
      ) => {
        const off = agg(mask.sum());
        const denomAlias = over === 'non-null' ? nn() : undefined;
        pending.push({
          head,
          label,
          finish: (get) => {
            const offending = num(get(off));
            const denom = denomAlias ? num(get(denomAlias)) : height;
            const share = denom ? offending / denom : 0;
            const passing = denom ? (denom - offending) / denom : 1;
            return { success: passing >= mostly, offending, share, observed: observed(get, passing), checked: denom };
          },
          ...(examples
            ? {
                examples: {
                  values: examples.values,
                  mask,
                  offending: off,
                  descending: examples.descending ?? false,
                  temporal: examples.temporal ?? false,
                },
              }
            : {}),
        });
      };

      switch (c.kind) {
        case 'type': {
          const parsed = parsedAs(p, col, kind, c.type);
          if (parsed === true) fixed(head, label, { success: true, offending: 0, share: 0, observed: dtypeName });
          else if (parsed === false)
            fixed(head, label, { success: false, offending: null, share: null, observed: dtypeName, error: `the column is ${dtypeName}` });
          // A text column (CSV) passes when every value parses as the type; the ones that do not offend.
          else rows(parsed.isNull().and(col.isNotNull()), 'non-null', 1, () => dtypeName, { values: col.cast(p.Utf8) });
          break;
        }
        case 'not_null':
          rows(col.isNull(), 'all', c.mostly, (_, passing) => passing);
          break;
        case 'unique': {
          const distinct = agg(col.dropNulls().nUnique());
          rows(col.isDuplicated().and(col.isNotNull()), 'non-null', 1, (get) => num(get(distinct)), {
            values: col,
            temporal: kind === 'date' || kind === 'datetime',
          });
          break;
        }
        case 'min':
        case 'max': {
          const o = comparable(p, col, kind, c.value, name, dtypeName);
          if ('error' in o) {
            failEval(`${c.kind} ${String(c.value)}: ${o.error}`);
            break;
          }
          let mask = c.kind === 'min' ? o.values.lt(o.bound) : o.values.gt(o.bound);
          // Text that is no number is not above a numeric minimum either: it offends (and is listed) rather than hide.
          const unparsed = typeof c.value === 'number' && (kind === 'string' || kind === 'category');
          if (unparsed) mask = mask.or(o.values.isNull().and(col.isNotNull()));
          const extreme = agg(o.temporal ? (c.kind === 'min' ? o.values.min() : o.values.max()).cast(p.Utf8) : c.kind === 'min' ? o.values.min() : o.values.max());
          rows(mask, 'non-null', c.mostly, (get) => scalar(get(extreme)), {
            values: unparsed ? col.cast(p.Utf8) : o.values,
            descending: c.kind === 'max',
            temporal: o.temporal,
          });
          break;
        }
        case 'in': {
          const o = membership(p, col, kind, c.values, dtypeName);
          if ('error' in o) {
            failEval(o.error);
            break;
          }
          rows(o.values.isIn(o.set.implode()).not().and(col.isNotNull()), 'non-null', c.mostly, (_, passing) => passing, {
            values: o.values,
          });
          break;
        }
        case 'regex': {
          if (kind === 'other') {
            failEval(`regex needs text; \`${name}\` is ${dtypeName}`);
            break;
          }
          const text = kind === 'string' ? col : col.cast(p.Utf8);
          rows(text.str.contains(anchored(c.pattern)).not(), 'non-null', c.mostly, (_, passing) => passing, { values: text });
          break;
        }
        case 'mean':
        case 'std': {
          const values = numeric(p, col, kind);
          if (!values) {
            failEval(`${c.kind} needs numbers; \`${name}\` is ${dtypeName}`);
            break;
          }
          const stat = agg(c.kind === 'mean' ? values.mean() : values.std());
          const { min, max } = c;
          pending.push({
            head,
            label,
            finish: (get) => {
              const v = get(stat);
              const observed = typeof v === 'number' && Number.isFinite(v) ? round(v) : null;
              const success = observed !== null && (min === undefined || observed >= min) && (max === undefined || observed <= max);
              return { success, offending: null, share: null, observed };
            },
          });
          break;
        }
      }
    }
  }

  const row = exprs.length ? (df.select(...exprs).toRecords()[0] as Record<string, unknown>) : {};
  const get = (alias: string) => row[alias];
  const outcomes = pending.map((x) => x.finish(get));

  // Examples only for expectations some row broke, all in one more pass.
  const exampleExprs: Expr[] = [];
  const exampleAlias = new Map<number, string>();
  if (opts.examples > 0)
    pending.forEach((x, i) => {
      if (!x.examples || !num(get(x.examples.offending))) return;
      const { values, mask, descending, temporal } = x.examples;
      let e = values.filter(mask).unique().sort({ descending, nullsLast: true }).head(opts.examples);
      if (temporal) e = e.cast(p.Utf8);
      const alias = `e${i}`;
      exampleAlias.set(i, alias);
      exampleExprs.push(e.implode().alias(alias));
    });
  const exampleRow = exampleExprs.length ? (df.select(...exampleExprs).toRecords()[0] as Record<string, unknown>) : {};

  const results: ValidationResult[] = pending.map((x, i) => {
    const o = outcomes[i]!;
    const alias = exampleAlias.get(i);
    const examples = alias ? ((exampleRow[alias] as unknown[] | null) ?? []).map(scalar) : [];
    return {
      ...x.head,
      success: o.success,
      offending: o.offending,
      share: o.share,
      examples,
      observed: o.observed,
      ...(o.error !== undefined ? { error: o.error } : {}),
    };
  });
  const passed = results.filter((r) => r.success).length;
  return {
    report: {
      success: passed === results.length,
      rows: height,
      results,
      statistics: { evaluated: results.length, passed, failed: results.length - passed },
    },
    notes: pending.map((x, i) => ({ label: x.label, checked: outcomes[i]!.checked })),
  };
}

/**
 * How a column meets `type`: `true` or `false` by its dtype, or for a text column (as CSV gives) the expression that
 * parses it, null where a value does not parse.
 */
function parsedAs(p: Polars, col: Expr, kind: DataKind, type: ColumnType): boolean | Expr {
  if (kind === type) return true;
  if (type === 'float' && kind === 'int') return true;
  if ((type === 'string' || type === 'category') && (kind === 'string' || kind === 'category')) return true;
  if (kind !== 'string') return false;
  switch (type) {
    case 'int':
      return col.cast(p.Int64, false);
    case 'float':
      return col.cast(p.Float64, false);
    case 'bool':
      return p.when(col.str.toLowerCase().isIn(p.Series(['true', 'false']).implode())).then(p.lit(true)).otherwise(p.lit(null));
    case 'date':
    case 'datetime':
      return parseDateText(p, col, type);
    default:
      return false;
  }
}

const DATE_TEXT = '^\\d{4}-\\d{2}-\\d{2}$';
const DATETIME_TEXT = '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?$';

/**
 * Text as a date (`YYYY-MM-DD`) or a date and time (`YYYY-MM-DD HH:MM[:SS[.fff]]`, `T` allowed, an offset ignored):
 * null where a value has another shape or names no real day or time. The shape is checked by a pattern because
 * polars' `strptime` also accepts a match on part of the text.
 */
export function parseDateText(p: Polars, text: Expr, kind: 'date' | 'datetime'): Expr {
  const parsed =
    kind === 'date'
      ? text.str.strptime(p.Date, '%Y-%m-%d')
      : text.str.replace('T', ' ', true).str.strptime(p.Datetime('ms'), '%Y-%m-%d %H:%M');
  return p.when(text.str.contains(kind === 'date' ? DATE_TEXT : DATETIME_TEXT)).then(parsed).otherwise(p.lit(null));
}

/** Whether one value has the shape `parseDateText` accepts (a cheap test before parsing a whole column). */
export function looksLike(text: string, kind: 'date' | 'datetime'): boolean {
  return new RegExp(kind === 'date' ? DATE_TEXT : DATETIME_TEXT).test(text);
}

/** A `min`/`max` bound written as a date or a date and time, as an instant (UTC), or `undefined`. */
function instant(bound: string, kind: 'date' | 'datetime'): Date | undefined {
  const dateOnly = new RegExp(DATE_TEXT).test(bound);
  if (!dateOnly && (kind === 'date' || !new RegExp(DATETIME_TEXT).test(bound))) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(bound);
  const d = new Date(dateOnly ? `${bound}T00:00:00Z` : `${bound.replace(' ', 'T')}${zoned ? '' : 'Z'}`);
  if (Number.isNaN(d.getTime())) return undefined;
  // `new Date` rolls 2023-02-30 over into March; a bound naming no real day is a typo.
  if (!zoned && d.toISOString().slice(0, 10) !== bound.slice(0, 10)) return undefined;
  return d;
}

/** The column as numbers: itself, or text parsed (values that do not parse become null; `type` reports them). */
function numeric(p: Polars, col: Expr, kind: DataKind): Expr | undefined {
  if (kind === 'int' || kind === 'float') return col;
  if (kind === 'string' || kind === 'category') return col.cast(p.Utf8).cast(p.Float64, false);
  return undefined;
}

/** The column and a `min`/`max` bound in comparable form. */
function comparable(
  p: Polars,
  col: Expr,
  kind: DataKind,
  bound: number | string,
  name: string,
  dtypeName: string,
): { values: Expr; bound: Expr; temporal: boolean } | { error: string } {
  if (typeof bound === 'number') {
    const values = numeric(p, col, kind);
    return values ? { values, bound: p.lit(bound), temporal: false } : { error: `a number, but \`${name}\` is ${dtypeName}` };
  }
  if (kind === 'string' || kind === 'category') return { values: col.cast(p.Utf8), bound: p.lit(bound), temporal: false }; // text order: right for ISO dates
  if (kind === 'date' || kind === 'datetime') {
    const when = instant(bound, kind);
    if (!when) return { error: `\`${bound}\` is not a ${kind === 'date' ? 'date (YYYY-MM-DD)' : 'date and time (YYYY-MM-DD HH:MM[:SS])'}` };
    return { values: col, bound: kind === 'date' ? p.lit(when).cast(p.Date) : p.lit(when), temporal: true };
  }
  return { error: `\`${name}\` is ${dtypeName}, which has no order to compare \`${bound}\` with` };
}

/** The column and the `in` set as series of one dtype. */
function membership(
  p: Polars,
  col: Expr,
  kind: DataKind,
  values: (string | number | boolean)[],
  dtypeName: string,
): { values: Expr; set: pl.Series } | { error: string } {
  if (kind === 'int' || kind === 'float') {
    const bad = values.find((v) => typeof v !== 'number');
    if (bad !== undefined) return { error: `in lists \`${String(bad)}\`, but the column is ${dtypeName}` };
    return { values: col.cast(p.Float64), set: p.Series('in', values as number[], p.Float64) };
  }
  if (kind === 'string' || kind === 'category' || kind === 'date')
    return { values: kind === 'string' ? col : col.cast(p.Utf8), set: p.Series('in', values.map(String), p.Utf8) };
  if (kind === 'bool') {
    const bad = values.find((v) => typeof v !== 'boolean');
    if (bad !== undefined) return { error: `in lists \`${String(bad)}\`, but the column is bool` };
    return { values: col, set: p.Series('in', values as boolean[], p.Bool) };
  }
  return { error: `in is not supported for a ${dtypeName} column` };
}

function failureLine(r: ValidationResult, note: { label: string; checked?: number }, rows: number): string {
  const { label, checked } = note;
  const who = r.column === null ? label : `\`${r.column}\` ${label}`;
  if (r.error !== undefined) return `${who}: ${r.error}`;
  if (r.expectation === 'rows') return `${who}: ${rows} rows`;
  if (r.expectation === 'column_set') {
    const o = r.observed as { missing: string[]; unexpected: string[] };
    return `${who}: ${[o.missing.length ? `missing ${o.missing.join(', ')}` : '', o.unexpected.length ? `unexpected ${o.unexpected.join(', ')}` : ''].filter(Boolean).join('; ')}`;
  }
  if (r.offending === null) return `${who}: observed ${JSON.stringify(r.observed)}`;
  const what = r.expectation === 'not_null' ? `rows are null` : `non-null values offend`;
  const examples = r.examples.length ? `, e.g. ${r.examples.map((e) => JSON.stringify(e)).join(', ')}` : '';
  return `${who}: ${r.offending} of ${checked ?? rows} ${what} (${percent(r.share ?? 0)})${examples}`;
}

function percent(share: number): string {
  if (share > 0 && share < 0.0001) return '<0.01%';
  return `${Number((share * 100).toFixed(2))}%`;
}

function describeRange(min?: number, max?: number): string {
  return [min !== undefined ? `>= ${min}` : '', max !== undefined ? `<= ${max}` : ''].filter(Boolean).join(' and ');
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);

/** A value as JSON can hold it: bigints beyond 2^53 as text, dates as ISO text, non-finite floats as null. */
function scalar(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v ?? null;
}

/** Twelve significant digits: sums of floats can differ in the last bits with how the data was chunked. */
function round(v: number): number {
  return Number(v.toPrecision(12));
}
