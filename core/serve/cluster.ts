/**
 * `gitml serve --workers N`: N server processes share one port (node:cluster hands each new connection to one of
 * them), each with its own models, batching and metrics, so the requests of one machine use all its cores. The primary
 * process holds no model. It starts the workers and replaces one that dies; it writes the prediction and feedback logs
 * the workers send it (one writer per file, so lines stay whole and rotation stays in one place); it answers `/metrics`
 * with every worker's numbers added up; and it turns SIGHUP, the admin endpoint and SIGTERM/SIGINT into a reload or a
 * graceful stop of every worker.
 *
 * A reload is all or nothing: every worker loads the files first, and they switch only when all could.
 */
import cluster, { type Worker } from 'node:cluster';
import { GitmlError } from '../errors.js';
import { aggregateMetrics, type MetricsJson } from './metrics.js';
import type { LogSink } from './server.js';

export type LogChannel = 'predictions' | 'feedback';

/** What the primary asks a worker to do. */
type Task = 'metrics' | 'prepare' | 'commit' | 'abort';

/** Worker -> primary. */
type ToPrimary =
  | { gitml: 'listening'; url: string; models: string }
  | { gitml: 'failed'; code: string; message: string; exitCode: number }
  /** Whole lines, each ending in a newline. */
  | { gitml: 'log'; channel: LogChannel; lines: string[] }
  | { gitml: 'ask'; id: number; what: 'metrics' | 'reload' }
  | { gitml: 'answer'; id: number; value?: unknown; error?: string }
  | { gitml: 'closed' };

/** Primary -> worker. */
type ToWorker = { gitml: 'do'; id: number; what: Task } | { gitml: 'answer'; id: number; value?: unknown; error?: string } | { gitml: 'shutdown' };

/** A worker failed to start, or a task failed in one. */
export class ServeWorkerError extends GitmlError {
  constructor(message: string, code = 'E_SERVE_WORKER', exitCode: 1 | 2 = 1) {
    super(code, message, { exitCode });
  }
}

/** Questions sent and not yet answered, by id; answers settle them. */
class Replies {
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 0;

  /** A new question's id and the promise of its answer; `gone` fails it early. */
  ask(): { id: number; answer: Promise<unknown>; gone(err: Error): void } {
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    return { id, answer, gone: (err) => this.settle({ id, error: err.message }) };
  }

  settle(m: { id: number; value?: unknown; error?: string }): void {
    const w = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new ServeWorkerError(m.error));
    else w?.resolve(m.value);
  }
}

type Channel = { send(m: unknown, handle: undefined, options: undefined, callback: (err: Error | null) => void): boolean };

/** Sends `m`; a process that is gone answers nothing, and its exit is handled where it is watched. */
function send(to: Channel, m: ToWorker | ToPrimary): Promise<void> {
  return new Promise((resolve) => {
    try {
      to.send(m, undefined, undefined, () => resolve());
    } catch {
      resolve();
    }
  });
}

export interface ClusterOptions {
  workers: number;
  logs: Partial<Record<LogChannel, LogSink>>;
  print(line: string): void;
}

/** The primary process's side. */
export class ServeCluster {
  /** Workers that listen, in the order they started. */
  private readonly live = new Set<Worker>();
  private readonly all = new Set<Worker>();
  private readonly replies = new Replies();
  private stopping = false;
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ClusterOptions) {}

  /** Starts the workers; resolves with where they listen once all do, or fails with the first one's error. */
  async start(): Promise<{ url: string; models: string }> {
    cluster.setupPrimary({ serialization: 'advanced' });
    const started = await Promise.allSettled(Array.from({ length: this.o.workers }, () => this.fork()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.close();
      throw failed.reason;
    }
    return (started[0] as PromiseFulfilledResult<{ url: string; models: string }>).value;
  }

  /** Reloads every worker's models from their files (and says so); when any cannot, all keep the models they had. */
  reload(): Promise<string> {
    const next = this.reloading.then(async () => {
      const workers = [...this.live];
      const prepared = await Promise.allSettled(workers.map((w) => this.ask(w, 'prepare')));
      const failed = prepared.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      await Promise.allSettled(workers.map((w, i) => (prepared[i]!.status === 'fulfilled' ? this.ask(w, failed ? 'abort' : 'commit') : undefined)));
      if (failed) throw failed.reason;
      const models = String((prepared[0] as PromiseFulfilledResult<unknown> | undefined)?.value ?? '');
      this.o.print(`reloaded: ${models}`);
      return models;
    });
    this.reloading = next.catch(() => undefined);
    return next;
  }

  /** Every worker's metrics added up, as Prometheus text. */
  async metrics(): Promise<string> {
    const each = await Promise.allSettled([...this.live].map((w) => this.ask(w, 'metrics')));
    return aggregateMetrics(each.flatMap((r) => (r.status === 'fulfilled' ? [r.value as MetricsJson] : [])));
  }

  /** Stops every worker gracefully (each finishes its requests and sends its last log lines), then closes the logs. */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.all].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.on('message', (m: ToPrimary) => m.gitml === 'closed' && resolve());
            void send(w, { gitml: 'shutdown' });
          }),
      ),
    );
    await Promise.all(Object.values(this.o.logs).map((log) => log.close()));
  }

  private fork(): Promise<{ url: string; models: string }> {
    const w = cluster.fork();
    this.all.add(w);
    return new Promise((resolve, reject) => {
      let up = false;
      w.on('message', (m: ToPrimary) => {
        if (m.gitml === 'listening') {
          up = true;
          this.live.add(w);
          resolve({ url: m.url, models: m.models });
        } else if (m.gitml === 'failed') reject(new ServeWorkerError(m.message, m.code, m.exitCode === 2 ? 2 : 1));
        else if (m.gitml === 'log') {
          const log = this.o.logs[m.channel];
          log?.writeLines(m.lines);
        } else if (m.gitml === 'ask') void this.answerAsk(w, m.id, m.what);
        else if (m.gitml === 'answer') this.replies.settle(m);
      });
      w.once('exit', (code, signal) => {
        this.live.delete(w);
        this.all.delete(w);
        const how = signal ?? `code ${code}`;
        if (!up) reject(new ServeWorkerError(`a server process exited (${how}) before it listened`));
        else if (!this.stopping) {
          this.o.print(`a server process exited (${how}); starting another`);
          this.fork().catch((err: Error) => this.o.print(`could not start another server process: ${err.message}`));
        }
      });
    });
  }

  /** Asks `w` to do `what`; fails when it answers with an error or exits first. */
  private ask(w: Worker, what: Task): Promise<unknown> {
    const q = this.replies.ask();
    const gone = () => q.gone(new Error(`a server process exited before it answered (${what})`));
    w.once('exit', gone);
    void send(w, { gitml: 'do', id: q.id, what });
    return q.answer.finally(() => w.off('exit', gone));
  }

  private async answerAsk(w: Worker, id: number, what: 'metrics' | 'reload'): Promise<void> {
    let answer: ToWorker;
    try {
      answer = { gitml: 'answer', id, value: what === 'metrics' ? await this.metrics() : await this.reload() };
    } catch (err) {
      answer = { gitml: 'answer', id, error: (err as Error).message };
    }
    if (!w.isDead()) void send(w, answer);
  }
}

/** What a worker does for the primary. */
export interface WorkerTasks {
  metrics(): Promise<MetricsJson>;
  /** Loads the models anew without serving them; resolves with their description. */
  prepare(): Promise<string>;
  commit(): void;
  abort(): void;
  /** Stops serving: finishes the requests in flight and flushes the logs. */
  shutdown(): Promise<void>;
}

/** A worker process's side: its line to the primary. */
export class PrimaryLink {
  private readonly replies = new Replies();
  private tasks: WorkerTasks | undefined;
  private stopped: Promise<void> | undefined;
  private finished: () => void = () => {};
  private serving: (tasks: WorkerTasks) => void = () => {};

  constructor() {
    process.on('message', (m: ToWorker) => void this.onMessage(m));
    // Signals are the primary's to act on (a terminal's Ctrl-C reaches every process of the group).
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
    // The primary is gone: stop as it would have asked.
    process.once('disconnect', () => void this.stop(false));
  }

  /** Whether this process is a worker `ServeCluster` started. */
  static get isWorker(): boolean {
    return cluster.isWorker;
  }

  /** Takes the primary's tasks once this worker serves. */
  serve(tasks: WorkerTasks): void {
    this.tasks = tasks;
    this.serving(tasks);
  }

  listening(url: string, models: string): void {
    void this.send({ gitml: 'listening', url, models });
  }

  async failed(err: unknown): Promise<void> {
    const e = err instanceof GitmlError ? err : undefined;
    await this.send({ gitml: 'failed', code: e?.code ?? 'E_SERVE_WORKER', message: (err as Error).message, exitCode: e?.exitCode === 2 ? 2 : 1 });
  }

  /** Asks the primary for every worker's metrics, or a reload of every worker. */
  ask(what: 'metrics' | 'reload'): Promise<unknown> {
    const q = this.replies.ask();
    void this.send({ gitml: 'ask', id: q.id, what });
    return q.answer;
  }

  /** A log whose lines the primary writes. */
  log(channel: LogChannel): LogSink {
    return new IpcLog((lines) => this.send({ gitml: 'log', channel, lines }));
  }

  /** Resolves once this worker has stopped serving (asked by the primary, or the primary is gone). */
  readonly done: Promise<void> = new Promise((resolve) => {
    this.finished = resolve;
  });

  private send(m: ToPrimary): Promise<void> {
    return process.connected ? send(process as unknown as Channel, m) : Promise.resolve();
  }

  private stop(tell: boolean): Promise<void> {
    this.stopped ??= (async () => {
      // Told to stop while still starting (another worker failed): stop as soon as this one serves.
      const tasks = this.tasks ?? (await new Promise<WorkerTasks>((resolve) => (this.serving = resolve)));
      await tasks.shutdown();
      if (tell) await this.send({ gitml: 'closed' });
      if (process.connected) process.disconnect();
      this.finished();
    })();
    return this.stopped;
  }

  private async onMessage(m: ToWorker): Promise<void> {
    if (m.gitml === 'shutdown') return void this.stop(true);
    if (m.gitml === 'answer') return this.replies.settle(m);
    if (m.gitml !== 'do' || !this.tasks) return;
    const t = this.tasks;
    let answer: ToPrimary;
    try {
      const value = m.what === 'metrics' ? await t.metrics() : m.what === 'prepare' ? await t.prepare() : m.what === 'commit' ? t.commit() : t.abort();
      answer = { gitml: 'answer', id: m.id, value };
    } catch (err) {
      answer = { gitml: 'answer', id: m.id, error: (err as Error).message };
    }
    await this.send(answer);
  }
}

/** Lines for the primary's log, sent in batches (every `flushMs`, or at `batch` lines). */
class IpcLog implements LogSink {
  private lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly deliver: (lines: string[]) => Promise<void>,
    private readonly flushMs = 50,
    private readonly batch = 1000,
  ) {}

  write(record: object | string): void {
    this.writeLines([`${typeof record === 'string' ? record : JSON.stringify(record)}\n`]);
  }

  writeLines(lines: readonly string[]): void {
    if (this.closed) return;
    for (const line of lines) this.lines.push(line);
    if (this.lines.length >= this.batch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.lines.length) return Promise.resolve();
    const lines = this.lines;
    this.lines = [];
    return this.deliver(lines);
  }

  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }
}
