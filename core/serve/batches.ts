/**
 * Input files read a batch of rows at a time, so that batch prediction keeps memory flat however large the input:
 * CSV/TSV through csv-parse's stream, NDJSON line by line, Parquet by row slices through polars' lazy reader.
 * Every batch holds the named columns only, as JS values (null for a missing one).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { GitmlError } from '../errors.js';
import { formatOf } from '../steps/table.js';

/** An input file that cannot be read as a table, or is missing a column. */
export class PredictInputError extends GitmlError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('E_PREDICT_INPUT', message, { data, exitCode: 1 });
  }
}

export interface Batch {
  rows: number;
  /** Column -> values, one per row; a numeric column read from Parquet comes as a Float64Array (null: NaN). */
  columns: Record<string, unknown[] | Float64Array>;
  /** Line (CSV, NDJSON) or row (Parquet) number of each row in its file, 1-based, for messages. */
  where: (row: number) => string;
}

/** The formats `gitml predict` reads. */
export const PREDICT_FORMATS = ['csv', 'tsv', 'ndjson', 'parquet'] as const;

/**
 * Batches of `batch` rows of columns `columns` (checked against the file's header before the first row). Columns in
 * `numeric` must hold numbers; from Parquet they come as Float64Arrays, with no value converted one by one.
 */
export async function* readBatches(
  abs: string,
  shown: string,
  columns: readonly string[],
  batch: number,
  o: { numeric?: ReadonlySet<string>; id?: string } = {},
): AsyncGenerator<Batch> {
  const format = formatOf(abs);
  const numeric = o.numeric ?? new Set<string>();
  if (format === 'csv' || format === 'tsv') yield* csvBatches(abs, shown, columns, batch, format === 'tsv' ? '\t' : ',', o.id);
  else if (format === 'ndjson') yield* ndjsonBatches(abs, shown, columns, batch, o.id);
  else if (format === 'parquet') yield* parquetBatches(abs, shown, columns, batch, numeric, o.id);
  else throw new PredictInputError(`${shown}: cannot read this format; give ${PREDICT_FORMATS.join(', ')}`, { file: shown });
}

function missing(shown: string, have: readonly string[], need: readonly string[], id?: string): void {
  if (id !== undefined && !have.includes(id))
    throw new PredictInputError(`${shown}: no column \`${id}\` for --id (the file has ${have.join(', ') || 'no columns'})`, { file: shown, columns: [id] });
  const absent = need.filter((c) => !have.includes(c) && c !== id);
  if (absent.length)
    throw new PredictInputError(`${shown}: no column ${absent.map((c) => `\`${c}\``).join(', ')}, which the model takes (the file has ${have.join(', ') || 'no columns'})`, {
      file: shown,
      columns: absent,
    });
}

/** Rows collected column by column, with the line each came from, handed out as a batch. */
class Rows {
  private cols: unknown[][];
  private lines: number[] = [];
  constructor(
    private readonly shown: string,
    private readonly columns: readonly string[],
  ) {
    this.cols = columns.map(() => []);
  }

  get size(): number {
    return this.lines.length;
  }

  push(values: readonly unknown[], line: number): void {
    values.forEach((v, j) => this.cols[j]!.push(v));
    this.lines.push(line);
  }

  take(): Batch {
    const at = this.lines;
    const cols = this.cols;
    this.cols = this.columns.map(() => []);
    this.lines = [];
    return { rows: at.length, columns: Object.fromEntries(this.columns.map((c, j) => [c, cols[j]!])), where: (r) => `${this.shown}:${at[r]}` };
  }
}

async function* csvBatches(abs: string, shown: string, columns: readonly string[], batch: number, delimiter: string, id?: string): AsyncGenerator<Batch> {
  const parser = createReadStream(abs).pipe(parse({ delimiter, bom: true, relax_column_count: false, skip_empty_lines: true, info: true }));
  let index: number[] | null = null;
  const rows = new Rows(shown, columns);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!index) {
        missing(shown, record, columns, id);
        index = columns.map((c) => record.indexOf(c));
        continue;
      }
      // An empty field is a missing value, as polars reads CSV.
      rows.push(index.map((i) => (record[i] === '' ? null : record[i])), info.lines);
      if (rows.size === batch) yield rows.take();
    }
  } catch (err) {
    if (err instanceof GitmlError) throw err;
    throw new PredictInputError(`${shown}: not valid ${delimiter === ',' ? 'CSV' : 'TSV'}: ${(err as Error).message}`, { file: shown });
  }
  if (!index) missing(shown, [], columns, id);
  if (rows.size) yield rows.take();
}

async function* ndjsonBatches(abs: string, shown: string, columns: readonly string[], batch: number, id?: string): AsyncGenerator<Batch> {
  const rows = new Rows(shown, columns);
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(abs), crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      throw new PredictInputError(`${shown}:${line}: not JSON (${(err as Error).message})`, { file: shown, line });
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new PredictInputError(`${shown}:${line}: expected an object per line`, { file: shown, line });
    const r = record as Record<string, unknown>;
    const absent = columns.find((c) => !(c in r));
    if (absent !== undefined)
      throw new PredictInputError(`${shown}:${line}: no \`${absent}\`${absent === id ? ' for --id' : ', which the model takes'}`, { file: shown, line, columns: [absent] });
    rows.push(columns.map((c) => r[c]), line);
    if (rows.size === batch) yield rows.take();
  }
  if (rows.size) yield rows.take();
}

/** Parquet columns a numeric input takes; a bool column gives 1 and 0, as training took it. */
const NUMERIC_DTYPES = new Set(['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float32', 'Float64', 'Bool']);

async function* parquetBatches(
  abs: string,
  shown: string,
  columns: readonly string[],
  batch: number,
  numeric: ReadonlySet<string>,
  id?: string,
): AsyncGenerator<Batch> {
  const { loadPolars } = await import('../steps/table.js');
  const p = await loadPolars();
  let lazy;
  let names: string[];
  try {
    lazy = p.scanParquet(abs);
    names = lazy.columns;
  } catch (err) {
    throw new PredictInputError(`${shown}: not a Parquet file polars can read (${(err as Error).message.split('\n')[0]})`, { file: shown });
  }
  missing(shown, names, columns, id);
  const first = await lazy.select(...columns.map((c) => p.col(c))).slice(0, 0).collect();
  for (const c of columns) {
    const dtype = first.getColumn(c).dtype.variant as string;
    if (numeric.has(c) && !NUMERIC_DTYPES.has(dtype))
      throw new PredictInputError(`${shown}: column \`${c}\` is ${dtype.toLowerCase()}, and the model takes numbers`, { file: shown, columns: [c] });
  }
  // An id that is not an input is read as text, so that 64-bit integers keep every digit.
  const expr = (c: string) => (numeric.has(c) ? p.col(c).cast(p.Float64).fillNull(p.lit(NaN)) : c === id ? p.col(c).cast(p.Utf8) : p.col(c));
  const selected = lazy.select(...columns.map(expr));
  for (let start = 0; ; start += batch) {
    const df = await selected.slice(start, batch).collect();
    if (df.height === 0) return;
    const at = start;
    const values = (c: string) => (numeric.has(c) ? (df.getColumn(c).toTypedArray() as Float64Array) : (df.getColumn(c).toArray() as unknown[]));
    yield { rows: df.height, columns: Object.fromEntries(columns.map((c) => [c, values(c)])), where: (r) => `${shown} row ${at + r + 1}` };
    if (df.height < batch) return;
  }
}
