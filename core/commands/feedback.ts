/**
 * `gitml feedback FILE`: ground truth by request id, from a CSV, TSV or NDJSON file with the columns `id` and `truth`
 * (and optionally `model` and `ts`), appended to the feedback log that monitoring joins with the prediction log.
 * Every row is checked first: one bad row appends nothing, and every problem is listed with its line.
 */
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Problem } from '../errors.js';
import { checkFeedback, FeedbackError, type FeedbackRecord, type FeedbackRow } from '../serve/feedback.js';
import { appendNdjson, NdjsonLogError } from '../serve/ndjson-log.js';
import { formatOf } from '../steps/table.js';
import { findJsonError } from '../util/json-position.js';

export interface FeedbackOptions {
  cwd?: string;
  /** The CSV, TSV or NDJSON file of feedback. */
  file: string;
  /** The feedback log. @default logs/feedback.ndjson */
  log?: string;
  /** The model of rows without a `model` column. */
  model?: string;
  /** `ts` of rows without one. @default the current time */
  now?: Date;
}

export interface FeedbackResult {
  /** Records appended. */
  records: number;
  /** The log, as given (relative to `cwd` by default). */
  log: string;
  /** The models the records are for, sorted. */
  models: string[];
}

export const DEFAULT_FEEDBACK_LOG = 'logs/feedback.ndjson';

export async function feedback(o: FeedbackOptions): Promise<FeedbackResult> {
  const cwd = o.cwd ?? process.cwd();
  const log = o.log ?? DEFAULT_FEEDBACK_LOG;
  const abs = resolve(cwd, o.file);
  const shown = relative(cwd, abs) || o.file;
  const format = formatOf(abs);
  if (format !== 'csv' && format !== 'tsv' && format !== 'ndjson')
    throw new FeedbackError([{ file: shown, path: '', message: 'cannot read this format; give a .csv, .tsv or .ndjson file with the columns id and truth' }]);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FeedbackError([{ file: shown, path: '', message: code === 'ENOENT' ? 'no such file' : `cannot read it (${(err as Error).message})` }]);
  }
  const { rows, problems } = format === 'ndjson' ? ndjsonRows(text, shown) : { rows: csvRows(text, shown, format === 'tsv' ? '\t' : ','), problems: [] };
  const defaults = { ...(o.model !== undefined ? { model: o.model } : {}), now: o.now ?? new Date(), text: format !== 'ndjson' };
  const records: FeedbackRecord[] = checkFeedback(rows, defaults, problems);
  if (!records.length) throw new FeedbackError([{ file: shown, path: '', message: 'no feedback rows; nothing was appended' }]);
  try {
    await appendNdjson(resolve(cwd, log), records);
  } catch (err) {
    throw new NdjsonLogError(log, `could not append the feedback: ${(err as Error).message}`, records.length, err);
  }
  return { records: records.length, log, models: [...new Set(records.map((r) => r.model))].sort() };
}

function csvRows(text: string, shown: string, delimiter: string): FeedbackRow[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, { delimiter, skip_empty_lines: true, info: true, bom: true, relax_column_count: false }) as unknown as typeof parsed;
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw new FeedbackError([{ file: shown, ...(line !== undefined ? { line } : {}), path: '', message: `not valid ${delimiter === ',' ? 'CSV' : 'TSV'}: ${(err as Error).message}` }]);
  }
  const [head, ...body] = parsed;
  if (!head) return [];
  const header = head.record.map((h) => h.trim());
  const twice = header.find((h, i) => header.indexOf(h) !== i);
  if (twice !== undefined) throw new FeedbackError([{ file: shown, line: head.info.lines, path: twice, message: 'the column appears twice in the header' }]);
  const absent = ['id', 'truth'].filter((c) => !header.includes(c));
  if (absent.length)
    throw new FeedbackError([{ file: shown, line: head.info.lines, path: '', message: `no column ${absent.map((c) => `\`${c}\``).join(', ')} (the header has ${header.join(', ')})` }]);
  return body.map(({ record, info }) => ({ file: shown, line: info.lines, values: Object.fromEntries(header.map((h, i) => [h, record[i]])) }));
}

/** The objects of an NDJSON file, and a problem for each line that is not one. */
function ndjsonRows(text: string, shown: string): { rows: FeedbackRow[]; problems: Problem[] } {
  const rows: FeedbackRow[] = [];
  const problems: Problem[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      const e = findJsonError(line);
      problems.push({ file: shown, line: i + 1, col: e.offset + 1, path: '', message: `not JSON: ${e.message}` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      problems.push({ file: shown, line: i + 1, path: '', message: 'each line must be an object {"id": ..., "truth": ...}' });
    else rows.push({ file: shown, line: i + 1, values: value as Record<string, unknown> });
  });
  return { rows, problems };
}
