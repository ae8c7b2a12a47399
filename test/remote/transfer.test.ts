import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cache } from '../../core/cache/cache.js';
import type { ResolvedRemote } from '../../core/config.js';
import type { Lockfile } from '../../core/lockfile/lockfile.js';
import { hashFileSync, loadBlake3 } from '../../core/hash/blake3.js';
import { DirRemote } from '../../core/remote/dir.js';
import { TransferInterruptedError } from '../../core/remote/errors.js';
import { cachedOutputs } from '../../core/remote/plan.js';
import type { RemoteStore } from '../../core/remote/remote.js';
import { fetchObjects, pushObjects } from '../../core/remote/transfer.js';
import { makeFixture } from '../helpers/fixture.js';

// One directory output of 12 files and one file output: 14 objects with the manifest.
const PIPELINE = `stages:
  make:
    cmd: mkdir -p many && for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "file $i" > many/f$i.txt; done && echo one > one.txt
    outs: [many, one.txt]
`;

/** A workspace whose cache holds the pipeline's objects, pushed to a directory remote. */
async function pushed() {
  const a = makeFixture({ 'ml.yaml': PIPELINE });
  expect(a.gitml('repro').code).toBe(0);
  const dir = makeFixture({}, { git: false }).dir;
  const location = { kind: 'dir' as const, path: dir };
  const spec: ResolvedRemote = { name: 'r', url: dir, location };
  const store = new DirRemote(spec, location, a.dir);
  const wanted = cachedOutputs(a.lock() as Lockfile);
  const report = await pushObjects({ cache: new Cache(a.dir), store, wanted, jobs: 3 });
  expect(report).toMatchObject({ pushed: 14, present: 0, failed: [], missingLocal: [] });
  const b = makeFixture({}, { git: false });
  return { store, wanted, cache: new Cache(b.dir), dir: b.dir };
}

/** Every file under the cache of `root`, relative. */
function cacheFiles(root: string): string[] {
  const base = join(root, '.ml/cache/blake3');
  try {
    return readdirSync(base).flatMap((s) => readdirSync(join(base, s)).map((n) => `${s}/${n}`));
  } catch {
    return [];
  }
}

describe('transfers leave no partial object behind', () => {
  it('an abort stops new downloads; what finished is whole and verified, nothing partial stays', async () => {
    const { store, wanted, cache, dir } = await pushed();
    const abort = new AbortController();
    let gets = 0;
    // The real store, aborted from the inside once three objects have arrived (as Ctrl-C would).
    const interrupting: RemoteStore = Object.assign(Object.create(store) as RemoteStore, {
      get: async (key: string, dest: string) => {
        const found = await store.get(key, dest);
        if (++gets === 3) abort.abort('SIGINT');
        return found;
      },
    });
    await expect(fetchObjects({ cache, store: interrupting, wanted, jobs: 2, signal: abort.signal })).rejects.toBeInstanceOf(TransferInterruptedError);
    const files = cacheFiles(dir);
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
    expect(files.length).toBeGreaterThan(0);
    expect(files.length).toBeLessThan(14);
    const blake3 = await loadBlake3();
    for (const f of files) expect(hashFileSync(join(dir, '.ml/cache/blake3', f), blake3, Buffer.alloc(4096))).toBe(`blake3:${f.replace('/', '')}`);

    // Run again, the rest arrives.
    const rest = await fetchObjects({ cache, store, wanted });
    expect(rest.fetched + files.length).toBe(14);
    expect(rest.present).toBe(files.length);
  });

  it('a download cut off halfway is reported with its path; the others arrive', async () => {
    const { store, wanted, cache, dir } = await pushed();
    const one = wanted.find((w) => w.path === 'one.txt')!.entry.hash;
    const flaky: RemoteStore = Object.assign(Object.create(store) as RemoteStore, {
      get: async (key: string, dest: string) => {
        if (!key.endsWith(one.slice(9))) return store.get(key, dest);
        writeFileSync(dest, 'on'); // half the bytes, then the connection drops
        throw new Error('socket hang up');
      },
    });
    const report = await fetchObjects({ cache, store: flaky, wanted });
    expect(report.failed).toEqual([{ hash: one, path: 'one.txt', message: `one.txt: could not fetch object ${one}: socket hang up` }]);
    expect(report.fetched).toBe(13);
    expect(cacheFiles(dir).some((f) => f.includes('.tmp-'))).toBe(false);
    expect(cache.has(one)).toBe(false);
    expect(readFileSync(cache.objectPath(wanted.find((w) => w.path === 'many')!.entry.hash), 'utf8')).toContain('"path":"f1.txt"');
  });
});
