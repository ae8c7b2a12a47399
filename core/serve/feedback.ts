/**
 * Ground truth arriving after the fact, by request id: what monitoring joins with the prediction log to score a model
 * in production. Each record becomes one line `{id, model, truth, ts}` of the feedback log. The server's
 * `POST /v2/models/{name}/feedback` body and the rows of `gitml feedback FILE` go through the same checks here (pure:
 * the clock is passed in), and every problem is reported at once with where it is.
 */
import { formatProblems, GitmlError, type Problem } from '../errors.js';
import { suggest } from '../util/suggest.js';

/** One line of the feedback log. */
export interface FeedbackRecord {
  /** The request id the server answered with (`id` of the inference response). */
  id: string;
  model: string;
  /** The true class name, the true value (regression), or whether the row was an anomaly. */
  truth: string | number | boolean;
  /** When the truth was known, ISO 8601 UTC (`2024-05-01T12:00:00.000Z`). */
  ts: string;
}

/** Feedback that cannot be recorded; `problems` lists every one, with the record or line and the key. */
export class FeedbackError extends GitmlError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('E_FEEDBACK', formatProblems(problems), { data: { problems } });
    this.problems = problems;
  }
}

/** The keys a feedback record takes. */
export const FEEDBACK_KEYS = ['id', 'truth', 'model', 'ts'] as const;

/** One record as read, before its checks: from a JSON body or NDJSON line (typed values) or a CSV row (text). */
export interface FeedbackRow {
  /** Where the row is, for messages: a file and line, or the request body and a key path. */
  file: string;
  line?: number;
  /** Prefix of the keys in messages, e.g. `records[2].` for a record of a request body. */
  path?: string;
  values: Record<string, unknown>;
}

export interface FeedbackDefaults {
  /** The model of rows that name none. */
  model?: string;
  /** A model every row must name, when it names one (the model of the URL a body was posted to). */
  onlyModel?: string;
  /** `ts` of rows that give none. */
  now: Date;
  /** CSV cells are text: an empty one is missing and one that reads as a number is a number. */
  text?: boolean;
}

/**
 * The records of a `POST /v2/models/{name}/feedback` body, `{"id": ..., "truth": ...}` or `{"records": [{id, truth},
 * ...]}` (each may also give `ts`, and `model` if it is `model`).
 * @example parseFeedback({ id: 'a1', truth: 'churned' }, 'churn') // [{ id: 'a1', model: 'churn', truth: 'churned', ts: ... }]
 */
export function parseFeedback(body: unknown, model: string, o: { now?: Date } = {}): FeedbackRecord[] {
  const file = 'request body';
  const shape = 'the body must be {"id": ..., "truth": ...} or {"records": [{"id": ..., "truth": ...}, ...]}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FeedbackError([{ file, path: '', message: shape }]);
  const b = body as Record<string, unknown>;
  const now = o.now ?? new Date();
  if (!Object.hasOwn(b, 'records')) return checkFeedback([{ file, values: b }], { model, onlyModel: model, now });
  const extra = Object.keys(b).filter((k) => k !== 'records');
  if (extra.length) throw new FeedbackError([{ file, path: extra[0]!, message: `a body with \`records\` takes no other key; ${shape}` }]);
  if (!Array.isArray(b.records) || !b.records.length)
    throw new FeedbackError([{ file, path: 'records', message: 'must be a non-empty list of {"id": ..., "truth": ...}' }]);
  const rows: FeedbackRow[] = [];
  const problems: Problem[] = [];
  b.records.forEach((r, i) => {
    if (typeof r === 'object' && r !== null && !Array.isArray(r)) rows.push({ file, path: `records[${i}].`, values: r as Record<string, unknown> });
    else problems.push({ file, path: `records[${i}]`, message: 'must be an object {"id": ..., "truth": ...}' });
  });
  return checkFeedback(rows, { model, onlyModel: model, now }, problems);
}

/** Checks every row and returns the records, or throws a `FeedbackError` listing every problem (with `earlier` first). */
export function checkFeedback(rows: Iterable<FeedbackRow>, d: FeedbackDefaults, earlier: Problem[] = []): FeedbackRecord[] {
  const problems = [...earlier];
  const out: FeedbackRecord[] = [];
  for (const row of rows) {
    const r = checkRow(row, d, problems);
    if (r) out.push(r);
  }
  if (problems.length) throw new FeedbackError(problems);
  return out;
}

function checkRow(row: FeedbackRow, d: FeedbackDefaults, problems: Problem[]): FeedbackRecord | undefined {
  const before = problems.length;
  const at = (key: string, message: string) =>
    problems.push({ file: row.file, ...(row.line !== undefined ? { line: row.line } : {}), path: `${row.path ?? ''}${key}`, message });
  const v = row.values;
  for (const key of Object.keys(v)) {
    if ((FEEDBACK_KEYS as readonly string[]).includes(key)) continue;
    const guess = suggest(key, FEEDBACK_KEYS);
    at(key, `unknown ${d.text ? 'column' : 'key'}${guess ? `; did you mean \`${guess}\`?` : ''} (feedback takes ${FEEDBACK_KEYS.join(', ')})`);
  }
  const given = (key: string) => Object.hasOwn(v, key) && v[key] !== null && v[key] !== undefined && !(d.text && v[key] === '');

  let id: string | undefined;
  if (!given('id')) at('id', 'missing: give the id of the request the truth is for');
  else if (typeof v.id === 'string' && v.id.trim()) id = v.id;
  else if (typeof v.id === 'number' && Number.isSafeInteger(v.id)) id = String(v.id);
  else at('id', `must be a non-empty string (the request id), got ${show(v.id)}`);

  let truth: string | number | boolean | undefined;
  if (!given('truth')) at('truth', 'missing: give the true class, value or anomaly flag');
  else if (d.text && typeof v.truth === 'string') truth = NUMBER.test(v.truth.trim()) ? Number(v.truth.trim()) : v.truth;
  else if (typeof v.truth === 'string' || typeof v.truth === 'boolean' || (typeof v.truth === 'number' && Number.isFinite(v.truth))) truth = v.truth;
  else at('truth', `must be a class name, a finite number or true/false, got ${show(v.truth)}`);

  let model = d.model;
  if (given('model')) {
    if (typeof v.model !== 'string' || !v.model.trim()) at('model', `must be a model name, got ${show(v.model)}`);
    else if (d.onlyModel !== undefined && v.model !== d.onlyModel) at('model', `\`${v.model}\`, but this feedback is for model \`${d.onlyModel}\``);
    else model = v.model;
  } else if (model === undefined) at('model', 'missing: add a `model` column or pass --model NAME');

  let ts = d.now.toISOString();
  if (given('ts')) {
    const parsed = typeof v.ts === 'string' ? parseTime(v.ts.trim()) : undefined;
    if (parsed === undefined) at('ts', `must be an ISO 8601 time such as 2024-05-01T12:00:00Z (UTC when it names no zone), got ${show(v.ts)}`);
    else ts = parsed;
  }
  return problems.length === before ? { id: id!, model: model!, truth: truth!, ts } : undefined;
}

/** A decimal number as CSV writes one: `42`, `-3.5`, `.5`, `1e-3` (not `0x1F`, `Infinity` or `1_000`). */
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 date or date-time as UTC ISO text, or `undefined` when it is not one or names no real day or time. */
export function parseTime(text: string): string | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  if (m[4] === undefined && m[8] !== undefined) return undefined;
  const utc = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, Math.floor(Number(`0${frac || '.0'}`) * 1000));
  const check = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s));
  // Date.UTC rolls 30 February over into March; a day or time that rolled over is not a real one.
  if (check.getUTCFullYear() !== +y! || check.getUTCMonth() !== +mo! - 1 || check.getUTCDate() !== +d! || check.getUTCHours() !== +h || check.getUTCMinutes() !== +mi || check.getUTCSeconds() !== +s)
    return undefined;
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (+z[2]! > 23 || +z[3]! > 59) return undefined;
    offset = (z[1] === '-' ? -1 : 1) * (+z[2]! * 60 + +z[3]!) * 60_000;
  }
  return new Date(utc - offset).toISOString();
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number') return String(v);
  const json = JSON.stringify(v);
  return json === undefined ? String(v) : json.length > 40 ? `${json.slice(0, 40)}...` : json;
}
