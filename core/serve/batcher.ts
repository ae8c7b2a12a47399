/**
 * Requests to one model version share its runs: while a run is in flight, the requests that arrive wait, and the next
 * run takes them all at once (up to `maxRows` rows), then hands each its own rows of the answer. An idle model runs
 * once the requests that arrived together have been read (the same turn of the event loop), so batching adds no
 * wait; under load it divides onnxruntime's fixed cost per run among the requests (Triton calls this dynamic
 * batching). Each request's columns are checked against the signature before they
 * are queued, so one request's bad input never fails another's.
 *
 * Trees give every row the same bits whatever it is batched with; a network's float arithmetic may differ in the last
 * bits with the batch's size.
 */
import type { BatchPrediction } from './model.js';
import type { Predictor } from './model-thread.js';

type Columns = Record<string, Float64Array | readonly string[]>;

interface Job {
  columns: Columns;
  rows: number;
  resolve(p: BatchPrediction): void;
  reject(err: unknown): void;
}

export const DEFAULT_MAX_BATCH_ROWS = 4096;

export class Batcher {
  private queue: Job[] = [];
  private running = false;

  constructor(
    private readonly model: Predictor,
    private readonly maxRows = DEFAULT_MAX_BATCH_ROWS,
  ) {}

  /** Predicts checked input columns, in a run shared with the requests queued beside it. */
  predict(columns: Columns): Promise<BatchPrediction> {
    // Checked alone before it joins others: columns that do not fit (lengths, a shadow version's inputs) fail only
    // their own request.
    let rows: number;
    try {
      rows = this.model.checkColumns(columns);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ columns, rows, resolve, reject });
      if (!this.running) {
        // After the requests that arrived with this one have been read, so the first run takes them all.
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const jobs: Job[] = [];
      let rows = 0;
      while (this.queue.length && (rows === 0 || rows + this.queue[0]!.rows <= this.maxRows)) {
        const job = this.queue.shift()!;
        jobs.push(job);
        rows += job.rows;
      }
      try {
        const p = await this.model.predictBatch(jobs.length === 1 ? jobs[0]!.columns : concat(jobs, rows));
        if (jobs.length === 1) jobs[0]!.resolve(p);
        else split(p, jobs, this.model.signature.classes?.length ?? 0);
      } catch (err) {
        for (const job of jobs) job.reject(err);
      }
    }
    this.running = false;
  }
}

/** The jobs' columns end to end. */
function concat(jobs: Job[], rows: number): Columns {
  const out: Columns = {};
  for (const name of Object.keys(jobs[0]!.columns)) {
    const first = jobs[0]!.columns[name]!;
    if (first instanceof Float64Array) {
      const col = new Float64Array(rows);
      let at = 0;
      for (const j of jobs) {
        col.set(j.columns[name] as Float64Array, at);
        at += j.rows;
      }
      out[name] = col;
    } else out[name] = jobs.flatMap((j) => j.columns[name] as readonly string[]);
  }
  return out;
}

/** Hands each job its rows of the shared answer. */
function split(p: BatchPrediction, jobs: Job[], k: number): void {
  let at = 0;
  for (const job of jobs) {
    const end = at + job.rows;
    const part: BatchPrediction = { rows: job.rows };
    if (p.label) part.label = p.label.slice(at, end);
    if (p.probabilities) part.probabilities = p.probabilities.slice(at * k, end * k);
    if (p.value) part.value = p.value.slice(at, end);
    if (p.score) part.score = p.score.slice(at, end);
    job.resolve(part);
    at = end;
  }
}
