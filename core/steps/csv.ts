import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import type pl from 'nodejs-polars';
import { StepError } from './step-error.js';

type Polars = typeof pl;
type DataFrame = pl.DataFrame;

/** What `readCsv` needs to know besides the file. */
export interface CsvRead {
  /** The step whose error this is (`ingest`, `profile`, ...). */
  step: string;
  /** How messages name the file. */
  shown: string;
  format: 'csv' | 'tsv';
  /** Columns read as text whatever they hold (ingest's schema columns, so that `string` keeps "007"). */
  asText?: string[];
}

/**
 * A CSV or TSV file, strictly: a row with more fields than the header fails in polars itself (truncateRaggedLines
 * off) and is then located in the file; a row with fewer fields is read with nulls in its last columns, so the file
 * is scanned for short rows only when the last column holds a null. Either is a `StepError` naming the file and the
 * line. Blank lines are skipped, as pandas does, and counted in `blankLines`.
 */
export function readCsv(p: Polars, abs: string, opts: CsvRead): { df: DataFrame; blankLines: number } {
  const { step, shown, format } = opts;
  const sep = format === 'tsv' ? '\t' : ',';
  const dtypes: Record<string, pl.DataType> = Object.fromEntries((opts.asText ?? []).map((c) => [c, p.Utf8]));

  let df: DataFrame | undefined;
  // Types are inferred from the first 100 rows; a later value that does not fit widens its column and we read again.
  for (let attempt = 0; !df; attempt++) {
    try {
      df = polarsCsv(p, abs, sep, { truncateRaggedLines: false, dtypes });
    } catch (err) {
      const msg = (err as Error).message ?? '';
      if (/more fields than defined/i.test(msg)) {
        const header = readHeader(p, abs, sep);
        const shape = scanCsv(abs, sep, header.length);
        if (shape.bad) throw raggedError(step, shown, shape.bad, header);
        throw new StepError(step, `${shown}: a row has more fields than the header (${header.length}: ${header.join(', ')})`, { path: shown });
      }
      const m = /could not parse `(.*?)` as dtype `(\w+)` at column '(.*?)'/s.exec(msg);
      if (m && attempt < 64 && dtypes[m[3]!] !== p.Utf8) {
        const [, value, dtype, column] = m as unknown as [string, string, string, string];
        dtypes[column] = /^i\d+|^u\d+/.test(dtype) && Number.isFinite(Number(value)) && value.trim() !== '' ? p.Float64 : p.Utf8;
        continue;
      }
      throw new StepError(step, `${shown} could not be read as ${format}: ${firstLine(err)}`, { path: shown });
    }
  }
  const last = df.columns[df.width - 1];
  if (df.width < 2 || df.height === 0 || last === undefined || df.getColumn(last).nullCount() === 0) return { df, blankLines: 0 };
  const ROW = '__gitml_row__';
  // The rows that could be short: a file without quotes has one row per line, so only those lines need counting.
  const suspects = df
    .select(p.col(last).isNull().alias('null'))
    .withRowIndex(ROW)
    .filter(p.col('null'))
    .getColumn(ROW)
    .toArray()
    .map(Number);
  const shape = scanCsvLines(abs, sep, df.width, suspects) ?? scanCsv(abs, sep, df.width);
  if (shape.bad) throw raggedError(step, shown, shape.bad, df.columns);
  if (!shape.blank.length) return { df, blankLines: 0 };
  const blank = shape.blank.filter((i) => i < df!.height);
  df = df
    .withRowIndex(ROW)
    .filter(p.col(ROW).isIn(blank).not())
    .drop(ROW);
  return { df, blankLines: blank.length };
}

/**
 * polars' own CSV reading, lenient unless told otherwise. nodejs-polars 0.26 takes a path whose extension it does not
 * expect (`data.txt`) for inline content, so such a file is handed over as bytes.
 */
function polarsCsv(p: Polars, abs: string, sep: string, options: Partial<pl.ReadCsvOptions>): DataFrame {
  const source = ['.csv', '.tsv', '.gz', '.zst'].includes(extname(abs).toLowerCase()) ? abs : readFileSync(abs);
  return p.readCSV(source, { sep, hasHeader: true, ...options });
}

function readHeader(p: Polars, abs: string, sep: string): string[] {
  try {
    return polarsCsv(p, abs, sep, { nRows: 0, inferSchemaLength: 0 }).columns;
  } catch {
    return [];
  }
}

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0]!.trim();
}

function raggedError(step: string, shown: string, bad: { line: number; fields: number }, header: string[]): StepError {
  return new StepError(
    step,
    `${shown}, line ${bad.line}: ${bad.fields} field${bad.fields === 1 ? '' : 's'} where the header has ${header.length} (${header.join(', ')})`,
    { path: shown, line: bad.line, fields: bad.fields, expected: header.length },
  );
}

export interface CsvShape {
  /** The first record whose field count differs from the header's, by the line it starts on (1-based). */
  bad?: { line: number; fields: number };
  /** Data rows (0-based, as polars numbers them) that are blank lines. */
  blank: number[];
}

const LF = 10;
const CR = 13;
const QUOTE = 34;

/**
 * Counts the fields of every record of a CSV file, as polars splits them: a field that starts with `"` runs to the
 * closing quote (`""` is a literal quote, newlines included). Reads in chunks, so memory stays flat.
 */
export function scanCsv(abs: string, sep: string, expected: number): CsvShape {
  const SEP = sep.charCodeAt(0);
  const blank: number[] = [];
  let line = 1;
  let recordLine = 1;
  let record = 0; // 0 is the header
  let fields = 1;
  let content = false;
  let atStart = true;
  let inQuote = false;
  let quotePending = false;
  let bad: CsvShape['bad'];
  const end = (): boolean => {
    if (record > 0) {
      if (!content && fields === 1) {
        if (expected > 1) blank.push(record - 1);
      } else if (fields !== expected) {
        bad = { line: recordLine, fields };
        return true;
      }
    }
    record++;
    return false;
  };
  const fd = openSync(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 23);
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      for (let i = 0; i < n; i++) {
        const c = buf[i]!;
        if (inQuote) {
          if (quotePending) {
            quotePending = false;
            if (c === QUOTE) continue; // "" inside quotes
            inQuote = false; // the quote closed the field: read c as usual
          } else {
            if (c === QUOTE) quotePending = true;
            else if (c === LF) line++;
            continue;
          }
        }
        if (c === SEP) {
          fields++;
          content = true;
          atStart = true;
        } else if (c === LF) {
          if (end()) return { bad, blank };
          line++;
          recordLine = line;
          fields = 1;
          content = false;
          atStart = true;
        } else if (c !== CR) {
          if (c === QUOTE && atStart) inQuote = true;
          content = true;
          atStart = false;
        }
      }
    }
    if (content || fields > 1) end();
    return { bad, blank };
  } finally {
    closeSync(fd);
  }
}

/**
 * `scanCsv` for a file without quote characters, looking only at the given data rows (ascending): with no quotes,
 * data row i is line i + 2, so lines are found with native `indexOf` and only those rows' fields are counted.
 * `undefined` when the file has a quote after all (the caller then scans it in full).
 */
export function scanCsvLines(abs: string, sep: string, expected: number, rows: number[]): CsvShape | undefined {
  const SEP = sep.charCodeAt(0);
  const blank: number[] = [];
  let next = 0;
  let line = 1; // of the line starting at `pos`
  const fd = openSync(abs, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 23);
    let carry = Buffer.alloc(0);
    for (let eof = false; !eof && next < rows.length; ) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      eof = n === 0;
      const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      if (buf.indexOf(QUOTE) >= 0) return undefined;
      let pos = 0;
      while (pos < buf.length) {
        let end = buf.indexOf(LF, pos);
        if (end < 0) {
          if (!eof) break; // the rest of this line comes with the next chunk
          end = buf.length;
        }
        if (line - 2 === rows[next]) {
          const row = rows[next++]!;
          const stop = end > pos && buf[end - 1] === CR ? end - 1 : end;
          if (stop === pos) blank.push(row);
          else {
            let fields = 1;
            for (let i = buf.indexOf(SEP, pos); i >= 0 && i < stop; i = buf.indexOf(SEP, i + 1)) fields++;
            if (fields !== expected) return { bad: { line, fields }, blank };
          }
          if (next === rows.length) return { blank };
        }
        line++;
        pos = end + 1;
      }
      carry = Buffer.from(buf.subarray(Math.min(pos, buf.length)));
    }
    return { blank };
  } finally {
    closeSync(fd);
  }
}
