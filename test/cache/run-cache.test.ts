import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cache } from '../../core/cache/cache.js';
import { RunCache } from '../../core/cache/run-cache.js';

const root = mkdtempSync(join(tmpdir(), 'gitml-runs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const runs = new RunCache(root, new Cache(root));
const key = (c: string) => `blake3:${c.repeat(64)}`;
const out = { 'model.bin': { hash: key('f'), size: 3 } };

function write(k: string, record: unknown): void {
  const file = runs.entryPath(k);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record));
}

describe('run-cache records', () => {
  it('carry how long the run took, and still read without it (records from before it was kept)', () => {
    runs.save(key('a'), { outs: out, duration_ms: 1234 });
    write(key('b'), { outs: out });
    expect(runs.peek(key('a'))).toEqual({ outs: out, duration_ms: 1234 });
    expect(runs.peek(key('b'))).toEqual({ outs: out });
  });

  it('drop a duration that is not a count of milliseconds and keep the record', () => {
    write(key('c'), { outs: out, duration_ms: 'soon' });
    expect(runs.peek(key('c'))).toEqual({ outs: out });
    expect(runs.peek(key('d'))).toBeUndefined();
  });
});
