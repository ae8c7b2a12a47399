import { extname, resolve } from 'node:path';
import { Document, isMap, isPair, type YAMLMap } from 'yaml';
import type pl from 'nodejs-polars';
import { UsageError } from '../errors.js';
import { kindOfDtype, type ColumnType, type DataKind } from './expectations.js';
import { looksLike, parseDateText } from './validate.js';
import { loadPolars, readTable, writeText, type DataFrame, type Polars } from './table.js';

const STEP = 'infer';

/** At most this many distinct values make a text column a category with an `in:` list. */
export const MAX_CATEGORIES = 20;
/** Up to this share of nulls gives `not_null: {mostly: ...}`; more gives no `not_null` at all. */
const MAX_NULL_SHARE = 0.2;
/** Names that say a column identifies rows: `id`, `user_id`, `orderId`, `session-key`, `uuid`. */
const ID_NAME = /(^|[^a-z0-9])(id|uuid|guid|key)$|^(id|uuid|guid|key)$|[a-z0-9](Id|ID|Key|Uuid|UUID)$/i;

export interface InferOptions {
  /** The directory `input` and `output` are relative to. */
  cwd: string;
  /** The reference dataset: CSV, TSV, Parquet, JSON, NDJSON or Arrow. */
  input: string;
  /** Where to write the expectations (`.yaml` or `.yml`), atomically; by default they are only returned. */
  output?: string;
}

/** What was inferred for one column, in expectations-file terms. */
export interface InferredColumn {
  type?: ColumnType;
  not_null?: true | { mostly: number };
  unique?: true;
  min?: number;
  max?: number;
  in?: (string | number | boolean)[];
}

/**
 * An expectations file for `gitml/data/validate` inferred from a reference dataset, in the spirit of TFDV's schema
 * inference: types, nulls, numeric ranges, small value sets, id-like unique columns and a floor on the row count.
 * The result passes on the data it came from; it is a starting point to review, not a specification.
 */
export async function inferExpectations(opts: InferOptions): Promise<{ text: string; rows: number; columns: number }> {
  if (opts.output !== undefined && !['.yaml', '.yml'].includes(extname(opts.output).toLowerCase()))
    throw new UsageError(`-o ${opts.output}: an expectations file is YAML; name it with .yaml or .yml`);
  const df = await readTable(STEP, resolve(opts.cwd, opts.input), { shown: opts.input });
  const p = await loadPolars();
  const columns = inferColumns(p, df);
  const text = renderExpectations({ input: opts.input, rows: df.height, columns });
  if (opts.output !== undefined) writeText(resolve(opts.cwd, opts.output), text);
  return { text, rows: df.height, columns: columns.size };
}

/** Per column, in the data's order; one aggregate pass over the table. */
export function inferColumns(p: Polars, df: DataFrame): Map<string, InferredColumn> {
  const height = df.height;
  const exprs: pl.Expr[] = [];
  const kinds = new Map<string, DataKind>(df.columns.map((name) => [name, kindOfDtype(df.getColumn(name).dtype.variant)]));
  // Parsing every text column as dates is costly; only columns whose first value has the shape of one are tried.
  const texts = df.columns.filter((name) => kinds.get(name) === 'string');
  const firsts = texts.length ? (df.select(...texts.map((name) => p.col(name).dropNulls().first())).toRecords()[0] as Record<string, unknown>) : {};
  const shaped = (name: string, kind: 'date' | 'datetime') => typeof firsts[name] === 'string' && looksLike(firsts[name] as string, kind);
  df.columns.forEach((name, i) => {
    const col = p.col(name);
    const kind = kinds.get(name)!;
    exprs.push(col.nullCount().alias(`n${i}`), col.dropNulls().nUnique().alias(`u${i}`));
    if (kind === 'int' || kind === 'float') exprs.push(col.min().alias(`lo${i}`), col.max().alias(`hi${i}`));
    if (kind === 'string' || kind === 'category') {
      const text = kind === 'string' ? col : col.cast(p.Utf8);
      // The value set itself, cut short: only small sets are kept.
      exprs.push(text.dropNulls().unique().sort().head(MAX_CATEGORIES + 1).implode().alias(`v${i}`));
    }
    if (kind === 'string') {
      const unparsed = (parsed: pl.Expr) => parsed.isNull().and(col.isNotNull()).sum();
      if (shaped(name, 'date')) exprs.push(unparsed(parseDateText(p, col, 'date')).alias(`d${i}`));
      if (shaped(name, 'datetime')) exprs.push(unparsed(parseDateText(p, col, 'datetime')).alias(`t${i}`));
      exprs.push(col.str.lengths().min().alias(`ln${i}`), col.str.lengths().max().alias(`lx${i}`));
    }
  });
  const row = df.select(...exprs).toRecords()[0] as Record<string, unknown>;
  const num = (key: string): number => Number(row[key] ?? 0);

  const out = new Map<string, InferredColumn>();
  df.columns.forEach((name, i) => {
    const kind = kinds.get(name)!;
    const nulls = num(`n${i}`);
    const nonNull = height - nulls;
    const distinct = num(`u${i}`);
    const c: InferredColumn = {};

    let type: ColumnType | undefined = kind === 'other' ? undefined : kind;
    if (kind === 'string' && nonNull > 0) {
      if (row[`d${i}`] === 0) type = 'date';
      else if (row[`t${i}`] === 0) type = 'datetime';
    }
    if (type && nonNull > 0) c.type = type;

    if (nulls === 0) c.not_null = true;
    else if (nulls / height <= MAX_NULL_SHARE) c.not_null = { mostly: Math.floor(100 * (1 - (2 * nulls) / height)) / 100 };

    const idLike =
      (kind === 'int' || kind === 'string') &&
      nulls === 0 &&
      height > 1 &&
      distinct === height &&
      // Or text of one fixed, long length: UUIDs, hashes.
      (ID_NAME.test(name) || (type === 'string' && num(`ln${i}`) === num(`lx${i}`) && num(`ln${i}`) >= 16));
    if (idLike) c.unique = true;

    if (kind === 'int' || kind === 'float') {
      const lo = row[`lo${i}`];
      const hi = row[`hi${i}`];
      // Bounds that JSON numbers cannot hold exactly would fail on the very data they came from.
      const exact = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && (kind === 'float' || Number.isSafeInteger(v));
      if (exact(lo) && exact(hi)) {
        c.min = lo;
        c.max = hi;
      }
    }

    if ((type === 'string' || type === 'category') && distinct > 0 && distinct <= MAX_CATEGORIES && distinct * 2 <= nonNull && !idLike)
      c.in = (row[`v${i}`] as string[]).slice();

    out.set(name, c);
  });
  return out;
}

/** The YAML text: a header saying where it came from, then one line per column in the data's order. */
export function renderExpectations(opts: { input: string; rows: number; columns: Map<string, InferredColumn> }): string {
  const columns = new Map<string, Record<string, unknown>>();
  for (const [name, c] of opts.columns) {
    const entry: Record<string, unknown> = {};
    for (const key of ['type', 'not_null', 'unique', 'min', 'max', 'in'] as const) if (c[key] !== undefined) entry[key] = c[key];
    columns.set(name, entry);
  }
  const doc = new Document({ rows: { min: Math.max(1, Math.floor(opts.rows / 2)) }, columns });
  doc.commentBefore = [
    ` Expectations for gitml/data/validate, inferred by \`gitml data infer\` from ${opts.input}`,
    ` (${opts.rows} rows, ${opts.columns.size} columns). Review them before relying on them: the ranges, value sets`,
    ' and null shares describe this sample only. `rows.min` is half the rows seen.',
  ].join('\n');
  // One line per column: flow maps below the top level.
  const root = doc.contents as YAMLMap;
  for (const pair of root.items) {
    if (!isPair(pair) || !isMap(pair.value)) continue;
    if (String((pair.key as { value?: unknown }).value) === 'rows') pair.value.flow = true;
    else for (const col of pair.value.items) if (isPair(col) && isMap(col.value)) col.value.flow = true;
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
