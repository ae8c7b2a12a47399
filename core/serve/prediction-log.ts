/**
 * The prediction log's request side. A request's record is appended to its model version's page (ids, times and the
 * input and output values, column by column), and a page goes, every `flushMs` or once it holds `pageRows` rows, to a
 * thread (log-worker.ts) that writes its NDJSON lines (log-lines.ts) to the log file (ndjson-log.ts), or, in a
 * `--workers` process, hands them back for the primary, which writes the file. So the request path never
 * formats a number or a date, nor waits for the disk. Where the compiled thread is missing (running from the
 * TypeScript sources), pages are formatted and written on this thread instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { logLines, type LogPage } from './log-lines.js';
import type { BatchPrediction } from './model.js';
import { NdjsonLog, type NdjsonLogOptions } from './ndjson-log.js';
import type { LogSink } from './server.js';

const LOG_WORKER = fileURLToPath(new URL('./log-worker.js', import.meta.url));

type Columns = Record<string, Float64Array | readonly string[]>;

/** The log file's settings: what NdjsonLog takes that can cross to a thread. */
export type LogFileOptions = Pick<NdjsonLogOptions, 'path' | 'maxBytes' | 'maxAgeMs' | 'flushMs'>;

/** Thread -> this side. */
export type FromLogThread = { seq: number; lines?: string[] } | { error: string };
/** This side -> thread. */
export type ToLogThread = { seq: number; page: LogPage } | { seq: number; flush: true; close?: boolean };

export interface PredictionLogOptions {
  /** The log file written from the thread, or a sink that takes the lines (a `--workers` process's). */
  to: { file: LogFileOptions } | { sink: LogSink };
  /** Share of requests logged, 0..1, drawn with `random`. @default 1 */
  sample?: number;
  /** How long a record may wait before its page is formatted. @default 50 */
  flushMs?: number;
  /** Rows a page holds before it is sent on. @default 2048 */
  pageRows?: number;
  /** @default Math.random */
  random?: () => number;
  /** Format and write pages on this thread. @default false, unless the compiled thread is missing */
  inline?: boolean;
  /** Told of records that could not be written. */
  onError?: (message: string) => void;
}

export class PredictionLog {
  private readonly pages = new Map<string, PageBuilder>();
  /** Pages and flushes the thread has not answered yet. */
  private readonly sent = new Map<number, { page?: LogPage; done?: () => void }>();
  private readonly sample: number;
  private readonly flushMs: number;
  private readonly pageRows: number;
  private readonly random: () => number;
  /** Where this thread writes formatted lines: the sink, or the file when there is no thread. */
  private sink: LogSink | undefined;
  private worker: Worker | undefined;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: PredictionLogOptions) {
    this.sample = o.sample ?? 1;
    this.flushMs = o.flushMs ?? 50;
    this.pageRows = o.pageRows ?? 2048;
    this.random = o.random ?? Math.random;
    if ('sink' in o.to) this.sink = o.to.sink;
    if (!o.inline && existsSync(LOG_WORKER)) {
      const worker = new Worker(LOG_WORKER, { workerData: { file: 'file' in o.to ? o.to.file : undefined } });
      worker.unref();
      worker.on('message', (m: FromLogThread) => {
        if ('error' in m) return this.o.onError?.(m.error);
        const entry = this.sent.get(m.seq);
        this.sent.delete(m.seq);
        if (m.lines) this.sink!.writeLines(m.lines);
        entry?.done?.();
      });
      // A thread that fails hands its pages back to this one.
      worker.on('error', (err) => this.formatHere(err.message));
      this.worker = worker;
    } else this.sink ??= this.fileHere();
  }

  /** One answered request; returns at once. */
  record(id: string, model: string, version: string, columns: Columns, p: BatchPrediction, latencyMs: number): void {
    if (this.closed || (this.sample < 1 && !(this.random() < this.sample))) return;
    const key = `${model}\0${version}`;
    let page = this.pages.get(key);
    if (page && !page.fits(columns)) {
      this.send(page);
      page = undefined;
    }
    if (!page) {
      page = new PageBuilder(model, version, columns);
      this.pages.set(key, page);
    }
    page.add(id, columns, p, latencyMs);
    if (page.rows >= this.pageRows) {
      this.pages.delete(key);
      this.send(page);
    } else this.timer ??= setTimeout(() => this.sendAll(), this.flushMs);
  }

  /** Writes every record so far; resolves when they are in the file (or with the sink). */
  flush(): Promise<void> {
    return this.finish(false);
  }

  /** Flushes and closes the file (or the sink) and the thread; later records are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    await this.finish(true);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private async finish(close: boolean): Promise<void> {
    this.sendAll();
    if (this.worker) {
      const seq = this.seq++;
      await new Promise<void>((done) => {
        this.sent.set(seq, { done });
        this.worker!.postMessage({ seq, flush: true, ...(close ? { close } : {}) } satisfies ToLogThread);
      });
    }
    if (this.sink) await (close ? this.sink.close() : this.sink.flush());
  }

  private sendAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const page of this.pages.values()) this.send(page);
    this.pages.clear();
  }

  private send(builder: PageBuilder): void {
    const page = builder.page();
    if (!this.worker) return this.writeHere(page);
    const seq = this.seq++;
    this.sent.set(seq, { page });
    this.worker.postMessage({ seq, page } satisfies ToLogThread);
  }

  /** The thread failed: its unanswered pages and every later one are written from here. */
  private formatHere(reason: string): void {
    this.o.onError?.(`the prediction log's thread failed (${reason}); writing from the server's thread`);
    this.worker = undefined;
    this.sink ??= this.fileHere();
    for (const { page, done } of this.sent.values()) {
      if (page) this.writeHere(page);
      done?.();
    }
    this.sent.clear();
  }

  private writeHere(page: LogPage): void {
    this.sink!.writeLines(logLines(page));
  }

  private fileHere(): NdjsonLog {
    const { file } = this.o.to as { file: LogFileOptions };
    return new NdjsonLog({ ...file, onError: (err) => this.o.onError?.(err.message) });
  }
}

/**
 * One model version's records, appended column by column. Numbers go into typed arrays (grown by doubling), which
 * the garbage collector never copies, however long the page waits.
 */
class PageBuilder {
  rows = 0;
  private readonly names: string[];
  private readonly ids: string[] = [];
  private ts = new Float64Array(64);
  private latency = new Float64Array(64);
  private start = new Int32Array(65);
  /** Per column: numbers, or text. */
  private readonly values: (Float64Array | string[])[];
  private label: string[] | undefined;
  private probabilities: Float32Array | undefined;
  private value: Float64Array | undefined;
  private score: Float32Array | undefined;
  private classes = 0;

  constructor(
    private readonly model: string,
    private readonly version: string,
    columns: Columns,
  ) {
    this.names = Object.keys(columns);
    this.values = this.names.map((n) => (columns[n] instanceof Float64Array ? new Float64Array(256) : []));
  }

  /** Whether a request's columns are this page's. */
  fits(columns: Columns): boolean {
    let n = 0;
    for (const name in columns) if (this.names[n++] !== name) return false;
    return n === this.names.length;
  }

  add(id: string, columns: Columns, p: BatchPrediction, latencyMs: number): void {
    const i = this.ids.length;
    if (i + 1 >= this.ts.length) {
      this.ts = grow(this.ts, i + 1);
      this.latency = grow(this.latency, i + 1);
      this.start = grow(this.start, i + 2);
    }
    this.ids.push(id);
    this.ts[i] = Date.now();
    this.latency[i] = latencyMs;
    const at = this.rows;
    const end = at + p.rows;
    for (let c = 0; c < this.names.length; c++) {
      const from = columns[this.names[c]!]!;
      const to = this.values[c]!;
      if (to instanceof Float64Array) {
        const col = to.length < end ? (this.values[c] = grow(to, end)) : to;
        copy(col, from as Float64Array, at);
      } else for (let r = 0; r < from.length; r++) to.push(from[r] as string);
    }
    if (p.label) for (const l of p.label) (this.label ??= []).push(l);
    if (p.probabilities) {
      this.classes = p.probabilities.length / p.rows;
      this.probabilities = put(this.probabilities, p.probabilities, at * this.classes, end * this.classes, Float32Array);
    }
    if (p.value) this.value = put(this.value, p.value, at, end, Float64Array);
    if (p.score) this.score = put(this.score, p.score, at, end, Float32Array);
    this.rows = end;
    this.start[i + 1] = end;
  }

  page(): LogPage {
    const n = this.ids.length;
    const page: LogPage = {
      model: this.model,
      version: this.version,
      ids: this.ids,
      ts: this.ts.slice(0, n),
      latencyMs: this.latency.slice(0, n),
      start: this.start.slice(0, n + 1),
      names: this.names,
      columns: this.values.map((v) => (v instanceof Float64Array ? v.slice(0, this.rows) : v)),
      classes: this.classes,
    };
    if (this.label) page.label = this.label;
    if (this.probabilities) page.probabilities = this.probabilities.slice(0, this.rows * this.classes);
    if (this.value) page.value = this.value.slice(0, this.rows);
    if (this.score) page.score = this.score.slice(0, this.rows);
    return page;
  }
}

type Typed = Float64Array | Float32Array | Int32Array;

/** `a` with room for at least `n` values, its contents kept. */
function grow<T extends Typed>(a: T, n: number): T {
  let size = a.length * 2;
  while (size < n) size *= 2;
  const next = new (a.constructor as new (n: number) => T)(size);
  next.set(a);
  return next;
}

/** Writes `from` at `at..end` of `to` (made or grown as needed). */
function put<T extends Float64Array | Float32Array>(to: T | undefined, from: ArrayLike<number>, at: number, end: number, make: new (n: number) => T): T {
  let col = to ?? new make(Math.max(256, end));
  if (col.length < end) col = grow(col, end);
  copy(col, from, at);
  return col;
}

/** `to.set(from, at)`, by hand for the few values of one request, where `set`'s own cost is most of the work. */
function copy(to: Float64Array | Float32Array, from: ArrayLike<number>, at: number): void {
  if (from.length > 32) return to.set(from, at);
  for (let i = 0; i < from.length; i++) to[at + i] = from[i]!;
}
