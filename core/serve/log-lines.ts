/**
 * The prediction log's records, pure: a page of requests (their ids, times, inputs and outputs packed column by
 * column) in, NDJSON lines out. One record per request:
 *
 *   {"id":"...","ts":"2026-12-02T05:31:07.123Z","model":"churn","version":"a","inputs":{"tenure":[3],"plan":["pro"]},
 *    "outputs":{"label":["yes"],"probabilities":[0.1,0.9]},"latency_ms":0.412}
 *
 * `inputs` holds one array per input column with the request's rows; `outputs` the model's answer for them
 * (`probabilities` row-major, rows x classes). A missing number (NaN) is written as null.
 */

/** Requests of one model version, packed: request `i` owns rows `start[i]` to `start[i + 1]` of every column. */
export interface LogPage {
  model: string;
  version: string;
  ids: string[];
  /** Milliseconds since the epoch, per request. */
  ts: Float64Array;
  latencyMs: Float64Array;
  /** Row offsets: `requests + 1` entries. */
  start: Int32Array;
  names: string[];
  /** Per column: numbers, or text. */
  columns: (Float64Array | string[])[];
  label?: string[];
  /** Rows x `classes`. */
  probabilities?: Float32Array;
  classes: number;
  value?: Float64Array;
  score?: Float32Array;
}

/** The page's records, one line each, ending in `\n`. */
export function logLines(page: LogPage): string[] {
  const keys = page.names.map((n) => `${JSON.stringify(n)}:`);
  const head = `,"model":${JSON.stringify(page.model)},"version":${JSON.stringify(page.version)},"inputs":{`;
  // Requests of one page share their millisecond and their few labels often: each is formatted once.
  let ms = NaN;
  let iso = '';
  const quoted = new Map<string, string>();
  const texts = (col: readonly string[], from: number, to: number): string => {
    let text = '[';
    for (let r = from; r < to; r++) {
      const v = col[r]!;
      let q = quoted.get(v);
      if (q === undefined) quoted.set(v, (q = JSON.stringify(v)));
      text += (r > from ? ',' : '') + q;
    }
    return `${text}]`;
  };
  const lines = new Array<string>(page.ids.length);
  for (let i = 0; i < page.ids.length; i++) {
    const from = page.start[i]!;
    const to = page.start[i + 1]!;
    if (page.ts[i] !== ms) iso = new Date((ms = page.ts[i]!)).toISOString();
    const id = page.ids[i]!;
    let line = `{"id":${PLAIN.test(id) ? `"${id}"` : JSON.stringify(id)},"ts":"${iso}"${head}`;
    for (let c = 0; c < keys.length; c++) {
      const col = page.columns[c]!;
      line += (c ? ',' : '') + keys[c] + (col instanceof Float64Array ? numbers(col, from, to) : texts(col, from, to));
    }
    line += '},"outputs":{';
    let sep = '';
    if (page.label) {
      line += `"label":${texts(page.label, from, to)}`;
      sep = ',';
    }
    if (page.probabilities) {
      line += `${sep}"probabilities":${numbers(page.probabilities, from * page.classes, to * page.classes)}`;
      sep = ',';
    }
    if (page.value) {
      line += `${sep}"value":${numbers(page.value, from, to)}`;
      sep = ',';
    }
    if (page.score) line += `${sep}"score":${numbers(page.score, from, to)}`;
    lines[i] = `${line}},"latency_ms":${Math.round(page.latencyMs[i]! * 1000) / 1000}}\n`;
  }
  return lines;
}

/** Text JSON writes as it is (ids are mostly UUIDs): no quote, backslash or control character, nothing but ASCII. */
const PLAIN = /^[\w.:@+\/=-]*$/;

/** A JSON array of `v[from..to)`; a missing number (NaN, infinite) is null. */
function numbers(v: Float64Array | Float32Array, from: number, to: number): string {
  let text = '[';
  for (let i = from; i < to; i++) {
    const x = v[i]!;
    text += (i > from ? ',' : '') + (Number.isFinite(x) ? String(x) : 'null');
  }
  return `${text}]`;
}
