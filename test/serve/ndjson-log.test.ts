import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NdjsonLog, type NdjsonLogError } from '../../core/serve/ndjson-log.js';
import { seededRandom } from '../../core/steps/split.js';

const root = mkdtempSync(join(tmpdir(), 'gitml-ndjson-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${++dirs}`);

const readLines = (file: string) => readFileSync(file, 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
/** Every record in `dir`: rotated files in name order, then the current file. */
function allRecords(dir: string, current = 'predictions.ndjson') {
  const rotated = readdirSync(dir).filter((f) => f !== current).sort();
  return [...rotated, ...(existsSync(join(dir, current)) ? [current] : [])].flatMap((f) => readLines(join(dir, f)));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('NdjsonLog', () => {
  it('50,000 writes in a tight loop return without touching the disk; all land, in order, after flush', async () => {
    const dir = freshDir();
    const path = join(dir, 'logs', 'predictions.ndjson');
    const log = new NdjsonLog({ path });
    const slowest = { ms: 0 };
    for (let batch = 0; batch < 50; batch++) {
      const t = performance.now();
      for (let i = 0; i < 1000; i++) log.write({ id: `req-${batch * 1000 + i}`, model: 'churn', version: 'v1', inputs: { tenure: i, plan: 'basic' }, label: 'no' });
      slowest.ms = Math.max(slowest.ms, performance.now() - t);
    }
    // Nothing was written on the caller's path: not even the directory exists yet.
    expect(existsSync(dir)).toBe(false);
    expect(log.queued).toBe(50_000);
    // Generous for a shared 2-core machine; a batch of 1,000 takes about 1 ms.
    expect(slowest.ms).toBeLessThan(50);
    await log.flush();
    const lines = readLines(path);
    expect(lines).toHaveLength(50_000);
    expect(lines[0]).toEqual({ id: 'req-0', model: 'churn', version: 'v1', inputs: { tenure: 0, plan: 'basic' }, label: 'no' });
    expect(lines.every((l, i) => l.id === `req-${i}`)).toBe(true);
    expect([log.written, log.dropped, log.sampledOut, log.queued]).toEqual([50_000, 0, 0, 0]);
    await log.close();
  });

  it('appends on its own after flushMs, one batch at a time', async () => {
    const path = join(freshDir(), 'p.ndjson');
    const log = new NdjsonLog({ path, flushMs: 20 });
    log.write({ n: 1 });
    log.write({ n: 2 });
    await sleep(150);
    expect(readLines(path)).toEqual([{ n: 1 }, { n: 2 }]);
    log.write({ n: 3 });
    await sleep(150);
    expect(readLines(path)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await log.close();
  });

  it('appends to a file that is already there', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const path = join(dir, 'p.ndjson');
    writeFileSync(path, '{"old":true}\n');
    const log = new NdjsonLog({ path });
    log.write({ new: true });
    await log.close();
    expect(readLines(path)).toEqual([{ old: true }, { new: true }]);
  });

  it('a flush waits for records written while an earlier flush is running', async () => {
    const path = join(freshDir(), 'p.ndjson');
    const log = new NdjsonLog({ path });
    log.write({ n: 1 });
    const first = log.flush();
    log.write({ n: 2 });
    await log.flush();
    await first;
    expect(readLines(path)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('rotates by size between whole lines, naming files by UTC time and a counter', async () => {
    const dir = freshDir();
    const path = join(dir, 'predictions.ndjson');
    const rotated: string[] = [];
    const log = new NdjsonLog({ path, maxBytes: 1000, now: () => new Date('2024-05-01T12:34:56.789Z'), onRotate: (f) => rotated.push(f) });
    const records = Array.from({ length: 35 }, (_, i) => ({ i, pad: 'x'.repeat(80) }));
    for (const r of records) log.write(r);
    await log.flush();
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      'predictions-20240501T123456-1.ndjson',
      'predictions-20240501T123456-2.ndjson',
      'predictions-20240501T123456-3.ndjson',
      'predictions.ndjson',
    ]);
    expect(rotated).toEqual(files.slice(0, 3).map((f) => join(dir, f)));
    for (const f of files) {
      const size = statSync(join(dir, f)).size;
      expect(size, f).toBeLessThanOrEqual(1000);
      expect(readFileSync(join(dir, f), 'utf8').endsWith('}\n'), f).toBe(true);
    }
    // Each file is as full as whole lines allow: one more line would have passed the limit.
    const line = Buffer.byteLength(`${JSON.stringify(records[10])}\n`);
    expect(statSync(join(dir, files[0]!)).size).toBeGreaterThan(1000 - line);
    expect(allRecords(dir)).toEqual(records);
    await log.close();
  });

  it('takes lines already written, several at a time or one by one, and still rotates between them', async () => {
    const dir = freshDir();
    const path = join(dir, 'predictions.ndjson');
    const log = new NdjsonLog({ path, maxBytes: 500 });
    const records = Array.from({ length: 30 }, (_, i) => ({ i, pad: 'y'.repeat(40) }));
    const lines = records.map((r) => `${JSON.stringify(r)}\n`);
    log.writeLines(lines.slice(0, 10));
    for (const line of lines.slice(10, 20)) log.write(line.slice(0, -1));
    log.writeLines(lines.slice(20));
    await log.close();
    expect(allRecords(dir)).toEqual(records);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size, f).toBeLessThanOrEqual(500);
    expect(readdirSync(dir).length).toBeGreaterThan(3);
    // After close, lines are counted as dropped, never thrown.
    log.writeLines(lines.slice(0, 2));
    expect(log.dropped).toBe(2);
  });

  it('rotates by size across batches, and gives a line larger than maxBytes a file of its own', async () => {
    const dir = freshDir();
    const path = join(dir, 'predictions.ndjson');
    const log = new NdjsonLog({ path, maxBytes: 100, now: () => new Date('2024-01-01T00:00:01Z') });
    log.write({ a: 1 });
    await log.flush();
    log.write({ big: 'y'.repeat(300) });
    log.write({ b: 2 });
    await log.flush();
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['predictions-20240101T000001-1.ndjson', 'predictions-20240101T000001-2.ndjson', 'predictions.ndjson']);
    expect(files.map((f) => readLines(join(dir, f)))).toEqual([[{ a: 1 }], [{ big: 'y'.repeat(300) }], [{ b: 2 }]]);
    await log.close();
  });

  it('rotates by age when a batch arrives for a file older than maxAgeMs', async () => {
    const dir = freshDir();
    const path = join(dir, 'predictions.ndjson');
    let t = Date.now();
    const log = new NdjsonLog({ path, maxAgeMs: 60_000, now: () => new Date(t) });
    log.write({ n: 1 });
    await log.flush();
    t += 30_000;
    log.write({ n: 2 });
    await log.flush();
    expect(readdirSync(dir)).toEqual(['predictions.ndjson']);
    t += 30_000;
    log.write({ n: 3 });
    await log.flush();
    const stamp = new Date(t).toISOString().slice(0, 19).replace(/[-:]/g, '');
    expect(readdirSync(dir).sort()).toEqual([`predictions-${stamp}-1.ndjson`, 'predictions.ndjson']);
    expect(readLines(join(dir, `predictions-${stamp}-1.ndjson`))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(readLines(path)).toEqual([{ n: 3 }]);
    await log.close();
  });

  it('a file found at start-up is as old as the file system says', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const path = join(dir, 'predictions.ndjson');
    writeFileSync(path, '{"n":0}\n');
    if (!(statSync(path).birthtimeMs > 0)) return; // this file system keeps no birth time
    const log = new NdjsonLog({ path, maxAgeMs: 3_600_000, now: () => new Date(Date.now() + 2 * 3_600_000) });
    log.write({ n: 1 });
    await log.close();
    expect(allRecords(dir)).toEqual([{ n: 0 }, { n: 1 }]);
    expect(readLines(path)).toEqual([{ n: 1 }]);
  });

  it('sample 0.1 keeps about a tenth, counting the rest', async () => {
    const path = join(freshDir(), 'p.ndjson');
    const log = new NdjsonLog({ path, sample: 0.1, random: seededRandom(5) });
    for (let i = 0; i < 10_000; i++) log.write({ i });
    await log.close();
    expect(log.written).toBeGreaterThan(900);
    expect(log.written).toBeLessThan(1100);
    expect(log.written + log.sampledOut).toBe(10_000);
    expect(readLines(path)).toHaveLength(log.written);
  });

  it('close flushes, and drops what is written after it', async () => {
    const path = join(freshDir(), 'p.ndjson');
    const log = new NdjsonLog({ path, flushMs: 60_000 });
    log.write({ n: 1 });
    await log.close();
    expect(readLines(path)).toEqual([{ n: 1 }]);
    log.write({ n: 2 });
    await log.close();
    expect(readLines(path)).toEqual([{ n: 1 }]);
    expect([log.written, log.dropped]).toEqual([1, 1]);
  });

  it('a failing disk never throws into write: the batch is counted dropped and reported, and later batches land again', async () => {
    const dir = freshDir();
    const path = join(dir, 'logs', 'p.ndjson');
    const errors: NdjsonLogError[] = [];
    const log = new NdjsonLog({ path, onError: (e) => errors.push(e) });
    log.write({ n: 1 });
    await log.flush();
    // The log directory is replaced by a plain file: nothing can be created or appended under it.
    rmSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'logs'), 'not a directory');
    expect(() => {
      log.write({ n: 2 });
      log.write({ n: 3 });
    }).not.toThrow();
    await log.flush();
    expect([log.written, log.dropped, log.errors]).toEqual([1, 2, 1]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('E_LOG_WRITE');
    expect(errors[0]!.data).toEqual({ path, lost: 2 });
    expect(errors[0]!.message).toMatch(new RegExp(`^${path.replace(/[/\\.]/g, '\\$&')}: could not append 2 records: ENOTDIR`));
    expect(log.lastError).toBe(errors[0]);
    rmSync(join(dir, 'logs'));
    log.write({ n: 4 });
    await log.close();
    expect(readLines(path)).toEqual([{ n: 4 }]);
  });

  it('a path that is a directory is reported, not thrown', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'p.ndjson'), { recursive: true });
    const errors: NdjsonLogError[] = [];
    const log = new NdjsonLog({ path: join(dir, 'p.ndjson'), onError: (e) => errors.push(e) });
    log.write({ n: 1 });
    await log.close();
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('could not append 1 record: EISDIR')]);
    expect(log.dropped).toBe(1);
  });

  it('recreates a directory removed between batches', async () => {
    const dir = freshDir();
    const path = join(dir, 'logs', 'p.ndjson');
    const log = new NdjsonLog({ path });
    log.write({ n: 1 });
    await log.flush();
    rmSync(join(dir, 'logs'), { recursive: true });
    log.write({ n: 2 });
    await log.close();
    expect(readLines(path)).toEqual([{ n: 2 }]);
    expect(log.dropped).toBe(0);
  });

  it('drops records beyond maxQueue and reports them once per batch', async () => {
    const path = join(freshDir(), 'p.ndjson');
    const errors: NdjsonLogError[] = [];
    const log = new NdjsonLog({ path, maxQueue: 10, onError: (e) => errors.push(e) });
    for (let i = 0; i < 15; i++) log.write({ i });
    await log.close();
    expect(readLines(path).map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([log.written, log.dropped]).toEqual([10, 5]);
    expect(errors.map((e) => [e.message.slice(path.length), e.data.lost])).toEqual([
      [': 5 records were dropped: 10 were already waiting to be written (maxQueue)', 5],
    ]);
  });

  it('a record JSON cannot hold is dropped and reported after write returns; the others land', async () => {
    const path = join(freshDir(), 'p.ndjson');
    const errors: NdjsonLogError[] = [];
    const log = new NdjsonLog({ path, onError: (e) => errors.push(e) });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    log.write({ n: 1 });
    log.write(circular);
    log.write({ big: 10n });
    expect(errors).toEqual([]);
    log.write({ n: 2 });
    await log.close();
    expect(readLines(path)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(log.dropped).toBe(2);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/: a record could not be serialised as JSON \(.*circular/i),
      expect.stringMatching(/: a record could not be serialised as JSON \(.*BigInt/),
    ]);
  });

  it('an onError that throws does not stop the log', async () => {
    const path = join(freshDir(), 'p.ndjson');
    const log = new NdjsonLog({
      path,
      maxQueue: 1,
      onError: () => {
        throw new Error('handler failed');
      },
    });
    log.write({ n: 1 });
    log.write({ n: 2 });
    await log.flush();
    log.write({ n: 3 });
    await log.close();
    expect(readLines(path)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('refuses settings out of range', () => {
    expect(() => new NdjsonLog({ path: 'x.ndjson', sample: 1.5 })).toThrow('x.ndjson: the sample share must be between 0 and 1, got 1.5');
    expect(() => new NdjsonLog({ path: 'x.ndjson', maxBytes: 0 })).toThrow('x.ndjson: maxBytes must be a number >= 1, got 0');
    expect(() => new NdjsonLog({ path: 'x.ndjson', flushMs: -1 })).toThrow('flushMs must be a number >= 0');
  });
});
