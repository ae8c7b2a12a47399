import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedRemote } from '../../core/config.js';
import { S3Remote } from '../../core/remote/s3.js';

const BUCKET = 'store-test';
const storage = mkdtempSync(join(tmpdir(), 'gitml-s3rver-'));
const scratch = mkdtempSync(join(tmpdir(), 'gitml-s3-scratch-'));
let server: S3rver;
let store: S3Remote;

beforeAll(async () => {
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: storage, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const remote: ResolvedRemote = {
    name: 's3',
    url: `s3://${BUCKET}/team/ml`,
    location: { kind: 's3', bucket: BUCKET, prefix: 'team/ml' },
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  };
  // Small pages and a low listing threshold, so that a few keys take the paths that many keys take for real.
  store = await S3Remote.create(remote, { bucket: BUCKET, prefix: 'team/ml' }, { jobs: 4, env: {}, listAbove: 4, pageSize: 2 });
});

afterAll(async () => {
  store?.close();
  await server?.close();
  rmSync(storage, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('S3Remote', () => {
  it('puts, gets and lists under its prefix; a missing key is a miss, not an error', async () => {
    await store.check();
    const src = join(scratch, 'src');
    writeFileSync(src, 'payload\n');
    await store.put('blake3/ab/one', src);
    writeFileSync(src, '');
    await store.put('runs/cd/two.json', src);
    const dest = join(scratch, 'dest');
    expect(await store.get('blake3/ab/one', dest)).toBe(true);
    expect(readFileSync(dest, 'utf8')).toBe('payload\n');
    expect(await store.get('blake3/ab/nothing', dest)).toBe(false);
    expect(await store.list('runs/')).toEqual(['runs/cd/two.json']);
    // Three keys: asked for one by one.
    expect(await store.has(['blake3/ab/one', 'blake3/ab/nothing', 'runs/cd/two.json'])).toEqual(new Set(['blake3/ab/one', 'runs/cd/two.json']));
  });

  it('checks many keys by listing, across pages', async () => {
    const src = join(scratch, 'many');
    writeFileSync(src, 'x');
    const keys = Array.from({ length: 7 }, (_, i) => `blake3/ff/${String(i).padStart(62, '0')}`);
    await Promise.all(keys.map((k) => store.put(k, src)));
    const found = await store.has([...keys, 'blake3/ff/missing', 'runs/cd/two.json']);
    expect([...found].sort()).toEqual([...keys, 'runs/cd/two.json']);
    // Listing pages through every key under the prefix: 8 objects, 2 a page.
    expect(await store.list('blake3/')).toHaveLength(8);
  });
});
