import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname } from 'node:path';
import type pl from 'nodejs-polars';
import { stepTempPath } from '../util/fs.js';
import { readCsv } from './csv.js';
import { StepError } from './step-error.js';

export type Polars = typeof pl;
export type DataFrame = pl.DataFrame;
export type TableFormat = 'csv' | 'tsv' | 'parquet' | 'json' | 'ndjson' | 'arrow';

let polars: Polars | undefined;

/** nodejs-polars, loaded on first use: only `gitml step` and `gitml data` need it. */
export async function loadPolars(): Promise<Polars> {
  if (!polars) {
    try {
      // require, not import(): nodejs-polars is CommonJS, and loading it as an ES module costs about three times as much.
      polars = (createRequire(import.meta.url)('nodejs-polars') as { default: Polars }).default;
    } catch (err) {
      throw new StepError(
        'data',
        `nodejs-polars could not be loaded (${(err as Error).message.split('\n')[0]}); reinstall with \`npm install\` (its native binary nodejs-polars-linux-x64-gnu must be present)`,
      );
    }
  }
  return polars;
}

const EXTENSIONS: Record<string, TableFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.arrow': 'arrow',
  '.ipc': 'arrow',
  '.feather': 'arrow',
};

/** The format a file's extension says, or `undefined`. */
export function formatOf(path: string): TableFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

/**
 * Reads a table. A missing file, an unknown extension and unreadable content are `StepError`s naming the file; an
 * empty table is one too unless `allowEmpty`. CSV and TSV are read strictly: a line with too many or too few fields
 * fails naming the file and the line, and blank lines are skipped.
 */
export async function readTable(
  step: string,
  abs: string,
  opts: { format?: TableFormat; shown?: string; allowEmpty?: boolean } = {},
): Promise<DataFrame> {
  const shown = opts.shown ?? abs;
  let size: number;
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new StepError(step, `${shown} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(step, `${shown} does not exist`, { path: shown });
  }
  const format = opts.format ?? formatOf(abs);
  if (!format)
    throw new StepError(
      step,
      `${shown}: cannot tell the format from its extension; set \`format\` (csv, tsv, parquet, json, ndjson, arrow)`,
    );
  if (size === 0) throw new StepError(step, `${shown} is empty`, { path: shown });
  const p = await loadPolars();
  let df: DataFrame;
  try {
    df = format === 'csv' || format === 'tsv' ? readCsv(p, abs, { step, shown, format }).df : readFormat(p, abs, format);
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(step, `${shown} could not be read as ${format}: ${(err as Error).message.split('\n')[0]}`, { path: shown });
  }
  if (!opts.allowEmpty && df.height === 0) throw new StepError(step, `${shown} has no rows`, { path: shown });
  return df;
}

/**
 * Reads a file in a binary or JSON format, around two habits of nodejs-polars 0.26: its read functions take a path
 * whose extension they do not expect (`x.arrow`, `x.pq`) for inline content, and its NDJSON reader is missing; the
 * scan functions take any path. Throws polars' own errors. CSV and TSV are `readCsv`'s (./csv.ts): polars alone reads
 * a ragged line without a word.
 */
export function readFormat(p: Polars, abs: string, format: Exclude<TableFormat, 'csv' | 'tsv'>): DataFrame {
  const ext = extname(abs).toLowerCase();
  if (format === 'parquet') return ext === '.parquet' ? p.readParquet(abs) : p.scanParquet(abs).collectSync();
  // JSON types come from every record (null: all of them): by default a key first seen late is an error or, in
  // NDJSON, silently dropped.
  if (format === 'ndjson') return p.scanJson(abs, { inferSchemaLength: null }).collectSync();
  if (format === 'json') return p.readJSON(ext === '.json' ? abs : readFileSync(abs), { format: 'json', inferSchemaLength: null });
  try {
    return p.scanIPC(abs).collectSync();
  } catch (err) {
    // The Arrow IPC stream format (no footer) has its own reader.
    try {
      return p.readIPCStream(readFileSync(abs));
    } catch {
      throw err;
    }
  }
}

/** Fails naming the columns that do not exist, and listing the real ones; `where` is the `with:` key that named them. */
export function requireColumns(step: string, df: DataFrame, columns: string[], where: string): void {
  const missing = columns.filter((c) => !df.columns.includes(c));
  if (missing.length)
    throw new StepError(
      step,
      `${where}: ${missing.length === 1 ? 'column' : 'columns'} ${missing.map((c) => `\`${c}\``).join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist; the columns are ${df.columns.join(', ')}`,
      { missing, key: where },
    );
}

/** A temporary name beside `abs` and the rename onto it: readers see the old file or the new one, never a part. */
function atomically(abs: string, write: (tmp: string) => void): void {
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = stepTempPath(abs);
  try {
    write(tmp);
    renameSync(tmp, abs);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes a table as Parquet (or by `abs`'s extension: csv, tsv, ndjson, arrow), atomically. */
export function writeTable(df: DataFrame, abs: string): void {
  const format = formatOf(abs) ?? 'parquet';
  atomically(abs, (tmp) => {
    if (format === 'parquet') df.writeParquet(tmp);
    else if (format === 'csv' || format === 'tsv') df.writeCSV(tmp, { separator: format === 'tsv' ? '\t' : ',' });
    else if (format === 'arrow') df.writeIPC(tmp);
    else if (format === 'ndjson') df.writeJSON(tmp, { format: 'lines' });
    else df.writeJSON(tmp, { format: 'json' });
  });
}

/** Writes JSON with two-space indentation and a final newline, atomically. */
export function writeJson(abs: string, value: unknown): void {
  atomically(abs, (tmp) => writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`));
}

/** Writes bytes atomically. */
export function writeBytes(abs: string, bytes: Uint8Array): void {
  atomically(abs, (tmp) => writeFileSync(tmp, bytes));
}

/** Writes text atomically. */
export function writeText(abs: string, text: string): void {
  atomically(abs, (tmp) => writeFileSync(tmp, text));
}
