/**
 * An append-only NDJSON log (the prediction and feedback logs a server keeps) that never slows its caller: `write`
 * only serialises the record and queues the line; a timer appends the queue in one batch, with async fs, every
 * `flushMs`. Lines are always whole: a batch is written in pieces that end at line ends, a piece that fails half
 * way is cut back off the file, and rotation happens between lines.
 *
 * Rotation renames the current file to `<name>-<UTC yyyymmddThhmmss>-<n><ext>` beside it (n counts up from 1 when
 * several rotate within a second) and the next line starts a new file: by size before a line would take the file past
 * `maxBytes` (a line larger than that gets a file of its own), by age when a batch arrives and the file is older than
 * `maxAgeMs` (a file found at start-up is as old as the file system's birth time says, when it keeps one).
 *
 * Failures (a full or read-only disk, a path that is not a directory) never reach `write`: the records are counted as
 * dropped and the error goes to `onError`. So do records beyond `maxQueue` waiting to be written.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { GitmlError } from '../errors.js';

export interface NdjsonLogOptions {
  /** The current file, e.g. `logs/predictions.ndjson`; its directory is created when missing. */
  path: string;
  /** Share of records kept, 0..1, drawn with `random`. @default 1 */
  sample?: number;
  /** Rotate before a line would make the file larger than this many bytes. */
  maxBytes?: number;
  /** Rotate when a batch arrives and the file is older than this. */
  maxAgeMs?: number;
  /** How long a record may wait in memory before its batch is appended. @default 200 */
  flushMs?: number;
  /** Records waiting to be written at most; more are dropped and counted. @default 100000 */
  maxQueue?: number;
  /** @default Math.random */
  random?: () => number;
  /** The clock for ages and rotated names. @default () => new Date() */
  now?: () => Date;
  /** Told of every failure: records that could not be serialised, appended or queued (never thrown). */
  onError?: (err: NdjsonLogError) => void;
  /** Told of every rotated file's new path. */
  onRotate?: (file: string) => void;
}

/** Records were lost: `data.lost` says how many, `data.path` where they were going. */
export class NdjsonLogError extends GitmlError {
  constructor(path: string, message: string, lost: number, cause?: unknown) {
    super('E_LOG_WRITE', `${path}: ${message}`, { data: { path, lost }, cause, exitCode: 1 });
  }
}

/** Bytes per write call, so that a batch never lands as one huge write another appender could split mid-line. */
const PIECE_BYTES = 1 << 20;

export class NdjsonLog {
  private readonly o: Required<Pick<NdjsonLogOptions, 'path' | 'sample' | 'flushMs' | 'maxQueue' | 'random' | 'now'>> & NdjsonLogOptions;
  private queue: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Records dropped for a full queue since the last report. */
  private overflow = 0;
  /** What this log knows of the current file: which inode, its size, and when it started (ms). */
  private file: { ino: number; size: number; started: number } | undefined;
  private counts = { written: 0, dropped: 0, sampledOut: 0, errors: 0 };
  /** The last failure, also given to `onError`. */
  lastError: NdjsonLogError | undefined;

  constructor(o: NdjsonLogOptions) {
    const sample = o.sample ?? 1;
    if (!(sample >= 0 && sample <= 1)) throw new GitmlError('E_SERVE_CONFIG', `${o.path}: the sample share must be between 0 and 1, got ${sample}`);
    for (const key of ['maxBytes', 'maxAgeMs', 'flushMs', 'maxQueue'] as const) {
      const v = o[key];
      if (v !== undefined && !(v >= (key === 'flushMs' ? 0 : 1)))
        throw new GitmlError('E_SERVE_CONFIG', `${o.path}: ${key} must be a number ${key === 'flushMs' ? '>= 0' : '>= 1'}, got ${v}`);
    }
    this.o = { ...o, sample, flushMs: o.flushMs ?? 200, maxQueue: o.maxQueue ?? 100_000, random: o.random ?? Math.random, now: o.now ?? (() => new Date()) };
  }

  /** Records appended to the file. */
  get written(): number {
    return this.counts.written;
  }
  /** Records lost: queue full, not serialisable, a failed append, or written after `close`. */
  get dropped(): number {
    return this.counts.dropped;
  }
  /** Records left out by sampling. */
  get sampledOut(): number {
    return this.counts.sampledOut;
  }
  /** Failures reported to `onError`. */
  get errors(): number {
    return this.counts.errors;
  }
  /** Records waiting in memory. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Queues one JSON-serialisable record, or a line of JSON already serialised (a string, without its newline), which
   * saves a hot caller the serialisation; returns at once and never throws.
   */
  write(record: object | string): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    if (this.o.sample < 1 && !(this.o.random() < this.o.sample)) {
      this.counts.sampledOut++;
      return;
    }
    if (this.queue.length >= this.o.maxQueue) {
      this.counts.dropped++;
      this.overflow++;
      this.schedule();
      return;
    }
    let line: string | undefined;
    try {
      line = typeof record === 'string' ? record : JSON.stringify(record);
    } catch (err) {
      return this.lose(`a record could not be serialised as JSON (${(err as Error).message})`, err);
    }
    if (typeof line !== 'string') return this.lose(`a record could not be serialised as JSON (${typeof record})`);
    this.queue.push(`${line}\n`);
    this.schedule();
  }

  /**
   * Queues lines of JSON already serialised, each ending in a newline (the prediction log's pages), one by one, so
   * rotation still falls between them; never throws.
   */
  writeLines(lines: readonly string[]): void {
    if (this.closed) {
      this.counts.dropped += lines.length;
      return;
    }
    for (const line of lines) {
      if (this.queue.length >= this.o.maxQueue) {
        this.counts.dropped++;
        this.overflow++;
      } else this.queue.push(line);
    }
    this.schedule();
  }

  /** Appends what is queued; resolves when it is on disk (or reported lost). Never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  /** Flushes and closes; later writes are dropped. */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private schedule(): void {
    if (this.timer === undefined)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.o.flushMs);
  }

  /** Counts one record lost before it was queued; reported after `write` returned. */
  private lose(message: string, cause?: unknown): void {
    this.counts.dropped++;
    const err = new NdjsonLogError(this.o.path, message, 1, cause);
    queueMicrotask(() => this.report(err));
  }

  private report(err: NdjsonLogError): void {
    this.counts.errors++;
    this.lastError = err;
    try {
      this.o.onError?.(err);
    } catch {
      // A failing handler must not stop the log.
    }
  }

  private async drain(): Promise<void> {
    if (this.overflow) {
      const n = this.overflow;
      this.overflow = 0;
      this.report(new NdjsonLogError(this.o.path, `${n} record${n === 1 ? ' was' : 's were'} dropped: ${this.o.maxQueue} were already waiting to be written (maxQueue)`, n));
    }
    if (!this.queue.length) return;
    const lines = this.queue;
    this.queue = [];
    const before = this.counts.written;
    try {
      await this.append(lines);
    } catch (err) {
      const lost = lines.length - (this.counts.written - before);
      this.counts.dropped += lost;
      this.report(new NdjsonLogError(this.o.path, `could not append ${lost} record${lost === 1 ? '' : 's'}: ${(err as Error).message}`, lost, err));
    }
  }

  /** Appends `lines`, rotating between them as needed; `written` counts each line once it is on disk. */
  private async append(lines: string[]): Promise<void> {
    const { maxBytes, maxAgeMs } = this.o;
    const sizes = lines.map((l) => Buffer.byteLength(l));
    let i = 0;
    while (i < lines.length) {
      const fh = await this.openCurrent();
      let rotate = false;
      try {
        const file = this.file!;
        if (file.size > 0 && maxAgeMs !== undefined && this.o.now().getTime() - file.started >= maxAgeMs) rotate = true;
        else {
          let j = i;
          let bytes = file.size;
          while (j < lines.length && (maxBytes === undefined || bytes === 0 || bytes + sizes[j]! <= maxBytes)) bytes += sizes[j++]!;
          if (j === i) rotate = true;
          else {
            await appendWholeLines(fh, file.size, lines, sizes, i, j, (count, written) => {
              file.size += written;
              this.counts.written += count;
            });
            i = j;
            rotate = j < lines.length;
          }
        }
      } finally {
        await fh.close();
      }
      if (rotate) await this.rotate();
    }
  }

  /** Opens the current file for appending, creating its directory when missing, and learns its size and age. */
  private async openCurrent(): Promise<FileHandle> {
    const fh = await openForAppend(this.o.path);
    try {
      const st = await fh.stat();
      // Another file than the one this log wrote last (first use, or rotated or removed by someone else).
      if (!this.file || this.file.ino !== st.ino || st.size < this.file.size) {
        const now = this.o.now().getTime();
        this.file = { ino: st.ino, size: st.size, started: st.size > 0 && st.birthtimeMs > 0 ? Math.min(st.birthtimeMs, now) : now };
      } else this.file.size = st.size;
      return fh;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  private async rotate(): Promise<void> {
    const { path } = this.o;
    const ext = extname(path) || '.ndjson';
    const stem = basename(path, extname(path));
    const stamp = this.o.now().toISOString().slice(0, 19).replace(/[-:]/g, '');
    let target: string;
    for (let n = 1; ; n++) {
      target = join(dirname(path), `${stem}-${stamp}-${n}${ext}`);
      if (!(await exists(target))) break;
    }
    await rename(path, target);
    this.file = undefined;
    try {
      this.o.onRotate?.(target);
    } catch {
      // A failing handler must not stop the log.
    }
  }
}

/**
 * Appends `records` to the NDJSON file `path` (creating its directory) in pieces that end at line ends, so that a
 * server appending to the same file at the same time never gets a line cut in two. Throws on failure, having cut a
 * half-written piece back off.
 */
export async function appendNdjson(path: string, records: readonly object[]): Promise<void> {
  const lines = records.map((r) => `${JSON.stringify(r)}\n`);
  const fh = await openForAppend(path);
  try {
    await appendWholeLines(fh, (await fh.stat()).size, lines, lines.map((l) => Buffer.byteLength(l)), 0, lines.length, () => {});
  } finally {
    await fh.close();
  }
}

async function openForAppend(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'a');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    return await open(path, 'a');
  }
}

/**
 * Writes `lines[from..to)` to `fh` (opened for appending, `size` bytes long) in pieces of about `PIECE_BYTES` that end
 * at line ends, calling `done` as each piece is whole on disk. A piece that fails half way is cut back off the file,
 * unless someone else appended meanwhile.
 */
async function appendWholeLines(
  fh: FileHandle,
  size: number,
  lines: readonly string[],
  sizes: readonly number[],
  from: number,
  to: number,
  done: (count: number, bytes: number) => void,
): Promise<void> {
  let a = from;
  while (a < to) {
    let b = a;
    let bytes = 0;
    while (b < to && (b === a || bytes + sizes[b]! <= PIECE_BYTES)) bytes += sizes[b++]!;
    const buf = Buffer.from(lines.slice(a, b).join(''));
    let off = 0;
    try {
      while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
    } catch (err) {
      const start = size;
      if (off > 0) await fh.stat().then((st) => (st.size === start + off ? fh.truncate(start) : undefined)).catch(() => undefined);
      throw err;
    }
    size += buf.length;
    done(b - a, buf.length);
    a = b;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
