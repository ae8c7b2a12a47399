import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type pl from 'nodejs-polars';
import type { Dtype, IngestWith } from '../generated/steps.js';
import type { StepContext } from './registry.js';
import { globFiles, WILDCARD } from '../util/glob.js';
import { readCsv } from './csv.js';
import { StepError } from './step-error.js';
import { formatOf, loadPolars, readFormat, requireColumns, writeTable, type DataFrame, type Polars, type TableFormat } from './table.js';

const STEP = 'ingest';

/** A file to read: where it is, and how messages name it (as written in `with:`, or the glob's match). */
interface InputFile {
  abs: string;
  shown: string;
}

/**
 * `gitml/data/ingest`: reads every input file (lists and globs expanded, each glob's matches sorted), checks they
 * share their columns, concatenates them, applies `schema` casts and `mask` tokens, and writes one Parquet file.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as IngestWith;
  const output = resolve(ctx.cwd, w.output);
  const files = expandInputs(ctx.cwd, Array.isArray(w.input) ? w.input : [w.input], output);
  // Checked before any reading: a missing key should not cost a full read to discover.
  const maskKey = w.mask ? readMaskKey(w.mask_key_env ?? 'GITML_MASK_KEY') : undefined;
  const p = await loadPolars();
  const schema = w.schema ?? {};
  // Text formats read the schema's columns as text, so that `string` keeps "007" and casts see what the file says.
  const asText = Object.keys(schema);

  let blankLines = 0;
  const frames = files.map((f) => {
    const r = readInput(p, f, w.format, asText);
    blankLines += r.blankLines;
    return { file: f, df: r.df };
  });
  let df = combine(p, frames);
  const castNames = Object.keys(schema).sort();
  if (castNames.length) {
    requireColumns(STEP, df, castNames, 'schema');
    df = applySchema(p, df, schema);
  }
  if (w.mask && maskKey !== undefined) {
    requireColumns(STEP, df, w.mask, 'mask');
    df = maskColumns(p, df, [...new Set(w.mask)], maskKey);
  }
  writeTable(df, output);

  const notes = [
    castNames.length ? `cast ${count(castNames.length, 'column')}` : '',
    w.mask ? `masked ${w.mask.join(', ')}` : '',
    blankLines ? `skipped ${count(blankLines, 'blank line')}` : '',
  ].filter(Boolean);
  ctx.log(
    `ingest: ${count(df.height, 'row')}, ${count(df.width, 'column')} from ${count(files.length, 'file')} -> ${w.output}` +
      (notes.length ? ` (${notes.join('; ')})` : ''),
  );
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------------------------------------------------------
// Inputs: files and globs

/**
 * Every entry expanded relative to `cwd`: a glob to its matches, sorted; a file listed twice is read once. A glob
 * never matches `output` (a rerun would read its own last result); naming it outright is an error.
 */
export function expandInputs(cwd: string, entries: string[], output: string): InputFile[] {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const glob = WILDCARD.test(entry);
    const matches = glob ? globFiles(cwd, entry).filter((m) => resolve(cwd, m) !== output) : [entry];
    if (!matches.length) throw new StepError(STEP, `input \`${entry}\` matches no file`, { input: entry });
    if (!glob && resolve(cwd, entry) === output) throw new StepError(STEP, `input \`${entry}\` is also the output`, { input: entry });
    for (const shown of matches) {
      const abs = resolve(cwd, shown);
      if (seen.has(abs)) continue;
      seen.add(abs);
      out.push({ abs, shown });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading one file

const FORMATS = 'csv, tsv, parquet, json, ndjson, arrow';

function readInput(p: Polars, f: InputFile, forced: TableFormat | undefined, asText: string[]): { df: DataFrame; blankLines: number } {
  let size: number;
  try {
    const st = statSync(f.abs);
    if (!st.isFile()) throw new StepError(STEP, `${f.shown} is not a file`, { path: f.shown });
    size = st.size;
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(STEP, `${f.shown} does not exist`, { path: f.shown });
  }
  const format = forced ?? formatOf(f.abs);
  if (!format) throw new StepError(STEP, `${f.shown}: cannot tell the format from its extension; set \`format\` (${FORMATS})`, { path: f.shown });
  if (size === 0) throw new StepError(STEP, `${f.shown} is empty`, { path: f.shown });
  if (format === 'csv' || format === 'tsv') return readCsv(p, f.abs, { step: STEP, shown: f.shown, format, asText });
  if (format === 'json') {
    const lead = firstByte(f.abs);
    if (lead !== '[')
      throw new StepError(
        STEP,
        `${f.shown}: expected a JSON array of records, found ${lead === '{' ? 'an object' : `\`${lead}\``} first (one record per line is \`format: ndjson\`)`,
        { path: f.shown },
      );
  }
  try {
    return { df: readFormat(p, f.abs, format), blankLines: 0 };
  } catch (err) {
    throw new StepError(STEP, `${f.shown} could not be read as ${format}: ${firstLine(err)}`, { path: f.shown });
  }
}

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0]!.trim();
}

/** The first byte of a file that is not whitespace or a byte-order mark. */
function firstByte(abs: string): string {
  const fd = openSync(abs, 'r');
  try {
    const buf = Buffer.alloc(4096);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return 'nothing';
      const s = buf.toString('utf8', 0, n).replace(/^\uFEFF/, '').trimStart();
      if (s) return s[0]!;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Concatenation, schema, masking

/** The files' tables, one below the other, columns in the first file's order. */
function combine(p: Polars, frames: { file: InputFile; df: DataFrame }[]): DataFrame {
  const first = frames[0]!;
  const columns = first.df.columns;
  const key = [...columns].sort().join('\u0000');
  const parts: DataFrame[] = [];
  for (const { file, df } of frames) {
    if (df !== first.df && [...df.columns].sort().join('\u0000') !== key) {
      const missing = columns.filter((c) => !df.columns.includes(c));
      const extra = df.columns.filter((c) => !columns.includes(c));
      throw new StepError(
        STEP,
        `${file.shown} has columns ${df.columns.join(', ')} but ${first.file.shown} has ${columns.join(', ')}` +
          ` (${[missing.length ? `missing: ${missing.join(', ')}` : '', extra.length ? `extra: ${extra.join(', ')}` : ''].filter(Boolean).join('; ')})`,
        { path: file.shown, missing, extra },
      );
    }
    // A file with a header and no rows has no types to offer; leaving it out keeps them from widening to text.
    if (df.height > 0) parts.push(df.columns.join('\u0000') === columns.join('\u0000') ? df : df.select(...columns));
  }
  if (!parts.length)
    throw new StepError(STEP, frames.length === 1 ? `${first.file.shown} has no rows` : `none of the ${frames.length} input files has any rows`);
  if (parts.length === 1) return parts[0]!;
  try {
    return p.concat(parts, { how: 'verticalRelaxed', rechunk: true });
  } catch (err) {
    throw new StepError(STEP, `the input files cannot be concatenated: ${firstLine(err)}`);
  }
}

const TRUE_TEXT = ['true', 't', 'yes', 'y', '1'];
const FALSE_TEXT = ['false', 'f', 'no', 'n', '0'];
const DATE_TEXT = '^\\d{4}-\\d{2}-\\d{2}$';
const DATETIME_TEXT = '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?)?$';
// Most specific first: strptime matches a prefix, so a date-only format would drop the time of a longer value.
const DATETIME_FORMATS = ['%Y-%m-%dT%H:%M:%S%.f', '%Y-%m-%d %H:%M:%S%.f', '%Y-%m-%dT%H:%M', '%Y-%m-%d %H:%M', '%Y-%m-%d'];

type Expr = pl.Expr;

/** The cast of one column to a schema type, and which of its values it could not represent. */
function castExpr(p: Polars, df: DataFrame, name: string, to: Dtype): { value: Expr; invalid: Expr } | { error: string } {
  const src = df.getColumn(name).dtype.variant as string;
  const c = p.col(name);
  const lost = (value: Expr, extra?: Expr): { value: Expr; invalid: Expr } => {
    const invalid = c.isNotNull().and(value.isNull());
    return { value, invalid: extra ? invalid.or(extra) : invalid };
  };
  const numeric = /^(U?Int\d+|Float\d+|Decimal)$/.test(src);
  const float = /^Float/.test(src);
  const text = src === 'String' || src === 'Utf8' || src === 'Categorical' || src === 'Enum';
  const t = text ? c.cast(p.Utf8) : c;
  switch (to) {
    case 'string':
      return { value: c.cast(p.Utf8), invalid: p.lit(false) };
    case 'category':
      return { value: c.cast(p.Utf8).cast(p.Categorical), invalid: p.lit(false) };
    case 'int':
      if (text) return lost(t.cast(p.Int64, false));
      if (numeric || src === 'Bool') return lost(c.cast(p.Int64, false), float ? c.isNotNull().and(c.floor().eq(c).not()) : undefined);
      break;
    case 'float':
      if (text || numeric || src === 'Bool') return lost(t.cast(p.Float64, false));
      break;
    case 'bool': {
      if (src === 'Bool') return { value: c, invalid: p.lit(false) };
      if (text) {
        const low = t.str.toLowerCase();
        return lost(p.when(low.isIn(TRUE_TEXT)).then(p.lit(true)).when(low.isIn(FALSE_TEXT)).then(p.lit(false)).otherwise(p.lit(null)).cast(p.Bool));
      }
      if (numeric) return lost(c.cast(p.Bool, false), c.isNotNull().and(c.isIn([0, 1]).not()));
      break;
    }
    case 'date':
      if (src === 'Date') return { value: c, invalid: p.lit(false) };
      if (src === 'Datetime') return lost(c.cast(p.Date));
      if (text) return lost(p.when(t.str.contains(DATE_TEXT)).then(t.str.strptime(p.Date, '%Y-%m-%d')).otherwise(p.lit(null)));
      break;
    case 'datetime': {
      if (src === 'Datetime') return { value: c, invalid: p.lit(false) };
      if (src === 'Date') return lost(c.cast(p.Datetime('us')));
      if (text) {
        let parsed = t.str.strptime(p.Datetime, DATETIME_FORMATS[0]);
        for (const fmt of DATETIME_FORMATS.slice(1)) parsed = parsed.fillNull(t.str.strptime(p.Datetime, fmt));
        return lost(p.when(t.str.contains(DATETIME_TEXT)).then(parsed).otherwise(p.lit(null)));
      }
      break;
    }
  }
  return { error: `column \`${name}\` holds ${src} values, which cannot be cast to ${to}` };
}

/** Casts the schema's columns; a value that does not fit its type fails the step, naming the column and the value. */
function applySchema(p: Polars, df: DataFrame, schema: Record<string, Dtype>): DataFrame {
  const names = Object.keys(schema).sort();
  const casts = names.map((name) => {
    const r = castExpr(p, df, name, schema[name]!);
    if ('error' in r) throw new StepError(STEP, `schema: ${r.error}`, { column: name });
    return { name, ...r };
  });
  // One pass: for every column, how many values failed and the first of them.
  const check = df.select(
    ...casts.flatMap((k, i) => [
      k.invalid.cast(p.UInt32).sum().alias(`n${i}`),
      p.col(k.name).filter(k.invalid).first().cast(p.Utf8).alias(`e${i}`),
    ]),
  );
  const row = check.row(0) as unknown[];
  for (const [i, k] of casts.entries()) {
    const n = Number(row[2 * i] ?? 0);
    if (n > 0)
      throw new StepError(
        STEP,
        `schema: column \`${k.name}\`: ${n} value${n === 1 ? '' : 's'} cannot be read as ${schema[k.name]}, e.g. ${JSON.stringify(row[2 * i + 1])}`,
        { column: k.name, count: n, example: row[2 * i + 1] },
      );
  }
  return df.withColumns(...casts.map((k) => k.value.alias(k.name)));
}

/** The environment variable's value; unset or empty is an error, never a default key anyone could guess. */
function readMaskKey(env: string): string {
  const key = process.env[env];
  if (!key)
    throw new StepError(
      STEP,
      `mask: set the environment variable ${env} to a secret key: masked values are keyed hashes, and without a secret key they could be recomputed from guesses`,
      { env },
    );
  return key;
}

/** The token of one value: hex HMAC-SHA256 of its text (UTF-8) under the key. */
export function maskToken(key: KeyObject | string, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/**
 * Replaces each value of the columns by its token. Each distinct value is hashed once (the same value gives the same
 * token in every column), then the tokens are joined back on; nulls stay null.
 */
function maskColumns(p: Polars, df: DataFrame, columns: string[], key: string): DataFrame {
  const VALUE = '__gitml_value__';
  const TOKEN = '__gitml_token__';
  const distinct = new Set<string>();
  for (const c of columns) {
    const values = df.select(p.col(c).cast(p.Utf8).alias(VALUE)).unique().dropNulls().getColumn(VALUE).toArray() as string[];
    for (const v of values) distinct.add(v);
  }
  const values = [...distinct];
  const secret = createSecretKey(Buffer.from(key, 'utf8'));
  const tokens = p.DataFrame({ [VALUE]: values, [TOKEN]: values.map((v) => maskToken(secret, v)) }, { schema: { [VALUE]: p.Utf8, [TOKEN]: p.Utf8 } });
  const order = df.columns;
  for (const c of columns) {
    df = df
      .withColumns(p.col(c).cast(p.Utf8).alias(VALUE))
      .join(tokens, { on: VALUE, how: 'left', maintainOrder: 'left' })
      .withColumns(p.col(TOKEN).alias(c))
      .select(...order);
  }
  return df;
}
