import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type pl from 'nodejs-polars';
import { StepError } from './step-error.js';
import { loadPolars, readTable, requireColumns, writeTable, type DataFrame, type Polars } from './table.js';

/**
 * The fitted transform the features step writes and `gitml data transform` reads. Both apply it through
 * `applyTransform`, so a model is served the same features it was trained on.
 */
export const TRANSFORM_FORMAT = 'gitml-transform';
export const TRANSFORM_VERSION = 1;

/** A category as JSON holds it: the column's own values (strings, integers or booleans). */
export type Category = string | number | boolean;

/** One operation on a column; a column's operations run in the order listed (`log` first). */
export type ColumnOp =
  | { op: 'log' }
  | { op: 'standardize'; mean: number; std: number }
  | { op: 'normalize'; min: number; max: number }
  /** Bucket i holds values in [edges[i-1], edges[i]): the number of edges <= x. */
  | { op: 'bucketize'; edges: number[] }
  /** One 0/1 column per category, named in `columns`; null and unseen values give all zeros. */
  | { op: 'one_hot'; categories: Category[]; columns: string[] }
  /** The category's index in `categories`; null and unseen values give `unknown`. */
  | { op: 'ordinal'; categories: Category[]; unknown: number };

/** What kind of values a transformed column held when it was fitted; new data must hold the same kind. */
export type ValueKind = 'number' | 'string' | 'bool';

export interface ColumnTransform {
  /** The column's dtype at fit time, for messages. */
  dtype: string;
  kind: ValueKind;
  ops: ColumnOp[];
}

export interface Transform {
  format: typeof TRANSFORM_FORMAT;
  version: typeof TRANSFORM_VERSION;
  /** The training input's columns, in order. */
  input_columns: string[];
  /** The columns the training input became, in order: untouched columns pass through in place. */
  output_columns: string[];
  /** Transformed columns, sorted by name. */
  columns: Record<string, ColumnTransform>;
}

/** `Int64` -> `int64`, `String`/`Utf8` -> `string`, `Bool` -> `bool`, ... */
export function dtypeName(dt: pl.DataType): string {
  const v = dt.variant as string;
  if (v === 'Utf8' || v === 'String') return 'string';
  if (v === 'Bool' || v === 'Boolean') return 'bool';
  if (v === 'Categorical') return 'category';
  return v.toLowerCase();
}

const NUMERIC = new Set(['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float32', 'Float64']);
export const isNumeric = (dt: pl.DataType): boolean => NUMERIC.has(dt.variant as string);
export const isInteger = (dt: pl.DataType): boolean => isNumeric(dt) && !(dt.variant as string).startsWith('Float');

/** The kind of values a column holds, or `undefined` for dates, lists and the like. */
export function valueKind(dt: pl.DataType): ValueKind | undefined {
  if (isNumeric(dt)) return 'number';
  const v = dt.variant as string;
  if (v === 'Utf8' || v === 'String' || v === 'Categorical') return 'string';
  if (v === 'Bool' || v === 'Boolean') return 'bool';
  return undefined;
}

/** The name of the 0/1 column one-hot encoding gives `category` of `column`. */
export const oneHotName = (column: string, category: Category): string => `${column}_${String(category)}`;

/** JSON text of a transform: two-space indentation, keys in a fixed order, a final newline. */
export function serializeTransform(t: Transform): string {
  const columns: Record<string, ColumnTransform> = {};
  for (const name of Object.keys(t.columns).sort()) columns[name] = t.columns[name]!;
  const ordered: Transform = {
    format: t.format,
    version: t.version,
    input_columns: t.input_columns,
    output_columns: t.output_columns,
    columns,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Reads a transform from parsed JSON, checking every field; a problem is a StepError naming the file. */
export function parseTransform(step: string, value: unknown, shown: string): Transform {
  const damaged = (why: string): never => {
    throw new StepError(step, `transform file ${shown} is damaged: ${why}; write it again with the features step`, { path: shown });
  };
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!isObj(value) || value.format !== TRANSFORM_FORMAT)
    damaged(`it is not a gitml transform (no \`"format": "${TRANSFORM_FORMAT}"\`)`);
  const t = value as Record<string, unknown>;
  if (!Number.isInteger(t.version)) damaged('it has no `version`');
  if (t.version !== TRANSFORM_VERSION)
    throw new StepError(
      step,
      `transform file ${shown} has version ${JSON.stringify(t.version)}; this gitml reads version ${TRANSFORM_VERSION}: fit it again with the features step of this gitml`,
      { path: shown },
    );
  if (!strings(t.input_columns)) damaged('`input_columns` is not a list of names');
  if (!strings(t.output_columns)) damaged('`output_columns` is not a list of names');
  if (!isObj(t.columns)) damaged('`columns` is not an object');
  const columns: Record<string, ColumnTransform> = {};
  for (const [name, entry] of Object.entries(t.columns as Record<string, unknown>)) {
    const where = `columns.${name}`;
    if (!isObj(entry) || typeof entry.dtype !== 'string' || !['number', 'string', 'bool'].includes(entry.kind as string) || !Array.isArray(entry.ops) || !entry.ops.length)
      damaged(`\`${where}\` needs dtype, kind and a list of ops`);
    const e = entry as { dtype: string; kind: ValueKind; ops: unknown[] };
    const ops = e.ops.map((raw, i): ColumnOp => {
      const at = `${where}.ops[${i}]`;
      if (!isObj(raw)) return damaged(`\`${at}\` is not an object`);
      const op = raw as Record<string, unknown>;
      const cats = (): Category[] => {
        const c = op.categories;
        if (!Array.isArray(c) || !c.every((v) => typeof v === (e.kind === 'bool' ? 'boolean' : e.kind)))
          return damaged(`\`${at}.categories\` is not a list of ${e.kind} values`);
        return c as Category[];
      };
      switch (op.op) {
        case 'log':
          return { op: 'log' };
        case 'standardize':
          if (!finite(op.mean) || !finite(op.std) || op.std === 0) damaged(`\`${at}\` needs a finite mean and a non-zero std`);
          return { op: 'standardize', mean: op.mean as number, std: op.std as number };
        case 'normalize':
          if (!finite(op.min) || !finite(op.max) || op.min === op.max) damaged(`\`${at}\` needs a finite min and max that differ`);
          return { op: 'normalize', min: op.min as number, max: op.max as number };
        case 'bucketize': {
          const edges = op.edges;
          if (!Array.isArray(edges) || !edges.length || !edges.every(finite) || edges.some((v, j) => j > 0 && (v as number) <= (edges[j - 1] as number)))
            damaged(`\`${at}.edges\` is not an increasing list of numbers`);
          return { op: 'bucketize', edges: edges as number[] };
        }
        case 'one_hot': {
          const categories = cats();
          if (!strings(op.columns) || op.columns.length !== categories.length) damaged(`\`${at}.columns\` does not name one column per category`);
          return { op: 'one_hot', categories, columns: op.columns as string[] };
        }
        case 'ordinal':
          if (!Number.isInteger(op.unknown)) damaged(`\`${at}.unknown\` is not an integer`);
          return { op: 'ordinal', categories: cats(), unknown: op.unknown as number };
        default:
          return damaged(`\`${at}\` has an unknown op ${JSON.stringify(op.op)}`);
      }
    });
    columns[name] = { dtype: e.dtype, kind: e.kind, ops };
  }
  return {
    format: TRANSFORM_FORMAT,
    version: TRANSFORM_VERSION,
    input_columns: t.input_columns as string[],
    output_columns: t.output_columns as string[],
    columns,
  };
}

/** The columns `df` becomes under `t`: each transformed column replaced in place by its outputs. */
export function outputColumns(columns: string[], t: Pick<Transform, 'columns'>): string[] {
  return columns.flatMap((c) => {
    const ct = t.columns[c];
    const last = ct?.ops[ct.ops.length - 1];
    return last?.op === 'one_hot' ? last.columns : [c];
  });
}

/**
 * Applies a transform to a table: the one function behind both the features step and `gitml data transform`.
 * Untransformed columns pass through unchanged and in place.
 */
export function applyTransform(p: Polars, step: string, df: DataFrame, t: Transform): DataFrame {
  const names = Object.keys(t.columns).sort();
  requireColumns(step, df, names, 'transform');
  const out = outputColumns(df.columns, t);
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c))
      throw new StepError(step, `transform: output column \`${c}\` would appear twice (a one-hot column has the name of another column); rename that column`);
    seen.add(c);
  }

  // Values log(1 + x) cannot take are checked up front, with an example, rather than left as NaN.
  const logCols = names.filter((c) => t.columns[c]!.ops.some((o) => o.op === 'log'));
  for (const c of names) {
    const ct = t.columns[c]!;
    const dt = df.getColumn(c).dtype;
    if (valueKind(dt) !== ct.kind)
      throw new StepError(step, `transform: column \`${c}\` is ${dtypeName(dt)} here but was ${ct.dtype} when the transform was fitted`, { column: c });
  }
  if (logCols.length) {
    const bad = df.select(...logCols.map((c) => p.col(c).filter(p.col(c).lessThanEquals(-1)).first().alias(c))).row(0);
    logCols.forEach((c, i) => {
      if (bad[i] !== null && bad[i] !== undefined)
        throw new StepError(step, `log: column \`${c}\` has values <= -1 (e.g. ${bad[i]}), where log(1 + x) is undefined`, { column: c });
    });
  }

  const exprs: pl.Expr[] = [];
  for (const c of df.columns) {
    const ct = t.columns[c];
    if (!ct) {
      exprs.push(p.col(c));
      continue;
    }
    exprs.push(...columnExprs(p, c, ct));
  }
  return df.select(...exprs);
}

function columnExprs(p: Polars, name: string, ct: ColumnTransform): pl.Expr[] {
  let e: pl.Expr = p.col(name);
  // Categories are compared as strings for categorical columns, as true/false for booleans.
  if (ct.kind === 'string') e = e.cast(p.Utf8);
  for (const op of ct.ops) {
    switch (op.op) {
      case 'log':
        e = e.cast(p.Float64).log1p();
        break;
      case 'standardize':
        e = e.cast(p.Float64).minus(op.mean).divideBy(op.std);
        break;
      case 'normalize':
        e = e.cast(p.Float64).minus(op.min).divideBy(op.max - op.min);
        break;
      case 'bucketize': {
        const x = e.cast(p.Float64);
        let b: pl.Expr = p.lit(0).cast(p.Int32);
        for (const edge of op.edges) b = b.plus(x.greaterThanEquals(edge).cast(p.Int32));
        e = b;
        break;
      }
      case 'one_hot':
        return op.categories.map((cat, i) =>
          p.when(e.eq(p.lit(cat))).then(p.lit(1)).otherwise(p.lit(0)).cast(p.UInt8).alias(op.columns[i]!),
        );
      case 'ordinal': {
        const unknown = p.lit(op.unknown).cast(p.Int32);
        if (!op.categories.length) e = unknown;
        else if (ct.kind === 'bool') {
          let r: pl.Expr = unknown;
          op.categories.forEach((cat, i) => (r = p.when(e.eq(p.lit(cat))).then(p.lit(i).cast(p.Int32)).otherwise(r)));
          e = r;
        } else {
          const idx = op.categories.map((_, i) => i);
          e = p
            .when(e.isNull())
            .then(unknown)
            .otherwise(e.replaceStrict(op.categories as (string | number)[], idx, op.unknown, p.Int32));
        }
        break;
      }
    }
  }
  return [e.alias(name)];
}

/** Reads a transform file (a StepError if missing, damaged or of another version). */
export function readTransform(step: string, abs: string, shown: string): Transform {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    throw new StepError(step, `transform file ${shown} does not exist`, { path: shown });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StepError(step, `transform file ${shown} is damaged: not valid JSON (${(err as Error).message}); write it again with the features step`, {
      path: shown,
    });
  }
  return parseTransform(step, value, shown);
}

/** `gitml data transform`: applies a transform file the features step wrote to new data. */
export async function applyTransformFile(opts: {
  cwd: string;
  input: string;
  transform: string;
  output: string;
}): Promise<{ rows: number; columns: number }> {
  const step = 'transform';
  const t = readTransform(step, resolve(opts.cwd, opts.transform), opts.transform);
  const p = await loadPolars();
  const df = await readTable(step, resolve(opts.cwd, opts.input), { shown: opts.input });
  const out = applyTransform(p, step, df, t);
  writeTable(out, resolve(opts.cwd, opts.output));
  return { rows: out.height, columns: out.width };
}
