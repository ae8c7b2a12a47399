import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isDirInfo, PathHasher, type DirHash } from '../../core/hash/hash-path.js';
import { StatCache, STAT_DIR } from '../../core/hash/stat-cache.js';

/**
 * The stat cache behind PathHasher: what it trusts, what it re-reads, and what it does with damaged state. Files are
 * aged past the 50 ms "racy" window with a real sleep before they are hashed, since entries fresher than that are
 * deliberately never stored.
 */

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gitml-statcache-'));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Waits until every file written so far is out of the 50 ms racy window (mtime and ctime). */
const settle = () => sleep(70);

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A fixed, whole-second time: utimes can set it back exactly (fractional seconds lose nanoseconds). */
const OLD = 1_000_000_000;

/** Counts the files a hasher reads, as paths relative to the temp root. */
function spyReads() {
  const spy = vi.spyOn(PathHasher.prototype, 'hashFile');
  return {
    paths: () => spy.mock.calls.map(([abs]) => abs.slice(root.length + 1)).sort(),
    reset: () => spy.mockClear(),
  };
}

/** The hash from a hasher with no persisted state at all: the ground truth. */
async function truth(path: string) {
  return (await PathHasher.create(root, { persist: false })).hash(path);
}

function statDir(): string {
  return join(root, STAT_DIR);
}

function stateFiles(): string[] {
  return readdirSync(statDir()).sort();
}

/** A state file is valid when its first line is the 64-hex BLAKE3 of the rest, which is version-1 JSON. */
function expectValidStateFile(name: string): void {
  const text = readFileSync(join(statDir(), name), 'utf8');
  const nl = text.indexOf('\n');
  expect(nl).toBe(64);
  expect(text.slice(0, 64)).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.parse(text.slice(nl + 1))).toMatchObject({ version: 1 });
}

describe('stat cache: unchanged files are not read again', () => {
  it('a new hasher answers an unchanged file from the saved state without reading it', async () => {
    write({ 'model.bin': 'weights v1' });
    await settle();
    const reads = spyReads();

    const first = await PathHasher.create(root);
    const h1 = first.hash('model.bin');
    expect(reads.paths()).toEqual(['model.bin']);
    first.save();
    expect(existsSync(join(statDir(), 'index.json'))).toBe(true);

    reads.reset();
    const second = await PathHasher.create(root);
    expect(second.hash('model.bin')).toEqual(h1);
    expect(reads.paths()).toEqual([]);
    expect(h1).toEqual(await truth('model.bin'));
  });

  it('a directory of several files is answered from its summary, manifest included, without reading any file', async () => {
    write({ 'data/a.csv': 'a,1\n', 'data/b.csv': 'b,2\n', 'data/sub/c.csv': 'c,3\n', 'data/sub/deeper/d.bin': '\x00\x01' });
    await settle();
    const reads = spyReads();

    const first = await PathHasher.create(root);
    const d1 = first.hash('data') as DirHash;
    expect(reads.paths()).toEqual(['data/a.csv', 'data/b.csv', 'data/sub/c.csv', 'data/sub/deeper/d.bin']);
    const manifest = d1.manifest;
    first.save();

    reads.reset();
    const second = await PathHasher.create(root);
    await second.hashAll(['data']);
    const d2 = second.hash('data')!;
    expect(isDirInfo(d2)).toBe(true);
    expect(d2).toMatchObject({ hash: d1.hash, size: d1.size, nfiles: 4 });
    expect((d2 as DirHash).manifest).toEqual(manifest);
    expect(reads.paths()).toEqual([]);
    expect(d1.hash).toBe((await truth('data'))!.hash);
  });

  it('nothing is remembered across hashers without save(), and nothing is written with persist: false', async () => {
    write({ 'a.txt': 'A' });
    await settle();
    const reads = spyReads();

    (await PathHasher.create(root)).hash('a.txt');
    (await PathHasher.create(root)).hash('a.txt');
    expect(reads.paths()).toEqual(['a.txt', 'a.txt']);

    const mem = await PathHasher.create(root, { persist: false });
    mem.hash('a.txt');
    mem.save();
    expect(existsSync(join(root, '.ml'))).toBe(false);
  });
});

describe('stat cache: what counts as a change', () => {
  it('touch without a content change: the file is read again and hashes the same; then trusted again', async () => {
    write({ 'f.txt': 'same content', 'data/x.txt': 'x', 'data/y.txt': 'y' });
    await settle();
    const reads = spyReads();
    const first = await PathHasher.create(root);
    const f1 = first.hash('f.txt')!;
    const d1 = first.hash('data')!;
    first.save();

    utimesSync(join(root, 'f.txt'), OLD, OLD);
    utimesSync(join(root, 'data/y.txt'), OLD, OLD);
    await settle();
    reads.reset();
    const second = await PathHasher.create(root);
    expect(second.hash('f.txt')).toEqual(f1);
    expect(second.hash('data')!.hash).toBe(d1.hash);
    expect(reads.paths()).toEqual(['data/y.txt', 'f.txt']);
    second.save();

    // The new stat fields were recorded: a third hasher reads nothing.
    reads.reset();
    const third = await PathHasher.create(root);
    expect(third.hash('f.txt')).toEqual(f1);
    expect(third.hash('data')!.hash).toBe(d1.hash);
    expect(reads.paths()).toEqual([]);
  });

  it('a same-size edit with the old mtime put back is still seen (ctime is in the key)', async () => {
    write({ 'f.txt': 'aaaa', 'data/x.txt': '1111', 'data/y.txt': 'yy' });
    for (const p of ['f.txt', 'data/x.txt']) utimesSync(join(root, p), OLD, OLD);
    await settle();
    const first = await PathHasher.create(root);
    const f1 = first.hash('f.txt')!;
    const d1 = first.hash('data')!;
    first.save();
    const before = ['f.txt', 'data/x.txt'].map((p) => statSync(join(root, p), { bigint: true }));

    await sleep(10); // a clearly different ctime
    write({ 'f.txt': 'bbbb', 'data/x.txt': '2222' });
    for (const p of ['f.txt', 'data/x.txt']) utimesSync(join(root, p), OLD, OLD);
    await settle();
    // Everything but ctime is as before: same inode, size and mtime to the nanosecond.
    ['f.txt', 'data/x.txt'].forEach((p, i) => {
      const now = statSync(join(root, p), { bigint: true });
      expect([now.ino, now.size, now.mtimeNs]).toEqual([before[i]!.ino, before[i]!.size, before[i]!.mtimeNs]);
      expect(now.ctimeNs).not.toBe(before[i]!.ctimeNs);
    });

    const reads = spyReads();
    const second = await PathHasher.create(root);
    const f2 = second.hash('f.txt')!;
    const d2 = second.hash('data')!;
    expect(f2.hash).not.toBe(f1.hash);
    expect(f2).toEqual({ hash: second.hashBytes(Buffer.from('bbbb')), size: 4 });
    expect(d2.hash).not.toBe(d1.hash);
    expect(reads.paths()).toEqual(['data/x.txt', 'f.txt']);
    expect(d2.hash).toBe((await truth('data'))!.hash);
  });

  it.skipIf(process.platform === 'win32')('a chmod +x alone is a change (the exec bit is in the key)', async () => {
    write({ 'bin/run.sh': 'echo hi\n' });
    chmodSync(join(root, 'bin/run.sh'), 0o644);
    await settle();
    const first = await PathHasher.create(root);
    const d1 = first.hash('bin') as DirHash;
    first.save();

    chmodSync(join(root, 'bin/run.sh'), 0o755);
    await settle();
    const d2 = (await PathHasher.create(root)).hash('bin') as DirHash;
    expect(d2.hash).not.toBe(d1.hash);
    expect(d2.manifest.files).toEqual([{ path: 'run.sh', hash: d1.manifest.files[0]!.hash, size: 8, exec: true }]);
  });
});

describe('stat cache: damaged state files', () => {
  /** Hashes a file and a directory with a persisted hasher and returns the results and the state file names. */
  async function primed() {
    write({ 'model.bin': 'weights', 'data/a.txt': 'A', 'data/sub/b.txt': 'BB' });
    await settle();
    const h = await PathHasher.create(root);
    const file = h.hash('model.bin')!;
    const dir = h.hash('data')!;
    h.save();
    const dirFile = stateFiles().find((n) => n.startsWith('dir-'));
    expect(stateFiles()).toEqual([dirFile, 'index.json']);
    return { file, dir, dirFile: dirFile! };
  }

  it('a truncated index.json and a garbage dir-*.json are discarded, hashes stay right, and the next save rewrites them valid', async () => {
    const { file, dir, dirFile } = await primed();
    const index = join(statDir(), 'index.json');
    const text = readFileSync(index, 'utf8');
    writeFileSync(index, text.slice(0, Math.floor(text.length / 2)));
    writeFileSync(join(statDir(), dirFile), 'not json at all \u0000\u00ff');

    const reads = spyReads();
    const h = await PathHasher.create(root);
    expect(h.stats.discarded).toEqual([join(STAT_DIR, 'index.json')]);
    expect(h.hash('model.bin')).toEqual(file);
    expect(h.hash('data')!.hash).toBe(dir.hash);
    expect(h.stats.discarded).toEqual([join(STAT_DIR, 'index.json'), join(STAT_DIR, dirFile)]);
    expect(reads.paths()).toEqual(['data/a.txt', 'data/sub/b.txt', 'model.bin']);
    h.save();

    expectValidStateFile('index.json');
    expectValidStateFile(dirFile);
    reads.reset();
    const again = await PathHasher.create(root);
    expect(again.hash('model.bin')).toEqual(file);
    expect((again.hash('data') as DirHash).manifest.files.map((f) => f.path)).toEqual(['a.txt', 'sub/b.txt']);
    expect(again.stats.discarded).toEqual([]);
    expect(reads.paths()).toEqual([]);
  });

  it('a state file without its checksum, or with a body that does not match it, is not trusted', async () => {
    const { file } = await primed();
    const index = join(statDir(), 'index.json');
    const text = readFileSync(index, 'utf8');
    const body = JSON.parse(text.slice(65));
    // A lie with the right key: only the checksum stands between it and a wrong hash.
    body.files['model.bin'][1] = `blake3:${'0'.repeat(64)}`;

    for (const forged of [JSON.stringify(body), `${text.slice(0, 64)}\n${JSON.stringify(body)}`]) {
      writeFileSync(index, forged);
      const h = await PathHasher.create(root);
      expect(h.stats.discarded).toEqual([join(STAT_DIR, 'index.json')]);
      expect(h.hash('model.bin')).toEqual(file);
    }
  });

  it('StatCache.open on an empty or missing folder discards nothing', async () => {
    const { loadBlake3 } = await import('../../core/hash/blake3.js');
    const cache = StatCache.open(root, await loadBlake3());
    expect(cache.discarded).toEqual([]);
    expect(cache.file('anything')).toBeUndefined();
  });

  it('a garbage dir-*.json behind a still-valid index is discarded and the manifest is still right', async () => {
    const { dir, dirFile } = await primed();
    writeFileSync(join(statDir(), dirFile), '{"version":1,"files":');

    const h = await PathHasher.create(root);
    const info = h.hash('data') as DirHash;
    expect(info.hash).toBe(dir.hash);
    expect(info.manifest).toEqual((dir as DirHash).manifest);
    expect(h.stats.discarded).toEqual([join(STAT_DIR, dirFile)]);

    // The records are written back, so the next run neither discards nor re-reads anything.
    h.save();
    const again = await PathHasher.create(root);
    const reads = vi.spyOn(PathHasher.prototype, 'hashFile');
    expect((again.hash('data') as DirHash).manifest).toEqual((dir as DirHash).manifest);
    expect(again.stats.discarded).toEqual([]);
    expect(reads).not.toHaveBeenCalled();
    reads.mockRestore();
  });
});

describe('stat cache: racy entries', () => {
  it('a file hashed right after it was written is not stored, so a same-size rewrite in that window is seen', async () => {
    write({ 'f.txt': 'aaaa' });
    const first = await PathHasher.create(root);
    const f1 = first.hash('f.txt')!;
    expect(first.stats.file('f.txt')).toBeUndefined();
    write({ 'f.txt': 'bbbb' }); // possibly within the same timestamp tick: the stat fields may not differ at all
    first.save();

    await settle();
    const reads = spyReads();
    const second = await PathHasher.create(root);
    const f2 = second.hash('f.txt')!;
    expect(reads.paths()).toEqual(['f.txt']);
    expect(f2).toEqual({ hash: second.hashBytes(Buffer.from('bbbb')), size: 4 });
    expect(f2.hash).not.toBe(f1.hash);
    // Once out of the window it is stored.
    expect(second.stats.file('f.txt')).toMatchObject({ hash: f2.hash, size: 4 });
  });

  it('a directory with one fresh file keeps no summary and no record of that file, but does keep the others', async () => {
    write({ 'data/old1.txt': 'o1', 'data/old2.txt': 'o2', 'data/fresh.txt': 'f1' });
    await settle();
    write({ 'data/fresh.txt': 'f2' });
    const first = await PathHasher.create(root);
    first.hash('data');
    expect(first.stats.dir('data')).toBeUndefined();
    expect([...first.stats.dirEntries('data').keys()].sort()).toEqual(['old1.txt', 'old2.txt']);
    write({ 'data/fresh.txt': 'f3' });
    first.save();

    await settle();
    const reads = spyReads();
    const second = await PathHasher.create(root);
    const d2 = second.hash('data') as DirHash;
    expect(reads.paths()).toEqual(['data/fresh.txt']);
    expect(d2.hash).toBe((await truth('data'))!.hash);
    expect(d2.manifest.files.find((f) => f.path === 'fresh.txt')!.hash).toBe(second.hashBytes(Buffer.from('f3')));
    expect(second.stats.dir('data')).toMatchObject({ hash: d2.hash, nfiles: 3 });
  });

  it('a file whose mtime is in the future is never stored', async () => {
    write({ 'f.txt': 'x' });
    const future = Date.now() / 1000 + 3600;
    utimesSync(join(root, 'f.txt'), future, future);
    await settle();
    const h = await PathHasher.create(root);
    h.hash('f.txt');
    expect(h.stats.file('f.txt')).toBeUndefined();
  });
});

describe('stat cache: large directories', () => {
  const DIST = fileURLToPath(new URL('../../dist/core/hash/', import.meta.url));
  type HashPath = typeof import('../../core/hash/hash-path.js');
  type HashPool = typeof import('../../core/hash/hash-pool.js');
  type Walk = typeof import('../../core/hash/walk.js');
  type Blake = typeof import('../../core/hash/blake3.js');
  type Stat = typeof import('../../core/hash/stat-cache.js');
  /** The built modules: the worker pool loads dist/core/hash/hash-worker.js, which only exists there. */
  const load = async <T>(name: string) => (await import(pathToFileURL(join(DIST, name)).href)) as T;
  let pool: HashPool | undefined;

  afterAll(async () => {
    await pool?.closePool();
  });

  it('a directory of >= 8192 files gets the same signature and hash on all cores as sequentially, and is trusted by signature', async () => {
    expect(existsSync(join(DIST, 'hash-worker.js')), 'dist/ must be built (npm run build)').toBe(true);
    pool = await load<HashPool>('hash-pool.js');
    const [dist, walk, blake, stat] = await Promise.all([load<HashPath>('hash-path.js'), load<Walk>('walk.js'), load<Blake>('blake3.js'), load<Stat>('stat-cache.js')]);
    expect(pool.poolAvailable()).toBe(true);

    const big = join(root, 'big');
    mkdirSync(join(big, 'sub/deeper'), { recursive: true });
    mkdirSync(join(big, 'other'));
    // Hard links to a few distinct files: creating 8200 inodes can take seconds on a slow disk, a link does not.
    const N = 8200;
    const DISTINCT = 50;
    mkdirSync(join(root, 'src'));
    for (let k = 0; k < DISTINCT; k++) writeFileSync(join(root, `src/${k}`), `${k}\n`);
    for (let i = 0; i < N; i++) linkSync(join(root, `src/${i % DISTINCT}`), join(big, `f${i}.txt`));
    // f5.txt, edited below, is a file of its own (editing a linked inode would change all its names).
    rmSync(join(big, 'f5.txt'));
    writeFileSync(join(big, 'f5.txt'), '5\n');
    writeFileSync(join(big, 'sub/a.txt'), 'a');
    writeFileSync(join(big, 'sub/deeper/b.txt'), 'b');
    writeFileSync(join(big, 'other/c.txt'), 'c');
    await settle();

    const blake3 = await blake.loadBlake3();
    const sequential = walk.sigTree(big, blake3);
    const parallel = await pool.sigTreeParallel(big, blake3);
    expect(parallel).toEqual(sequential);
    expect(sequential).toMatchObject({ nfiles: N + 3, racy: false });
    const dirs: string[] = [];
    expect(walk.sigFromWalk(walk.walkTree(big, dirs), dirs, blake3)).toEqual(sequential);

    // First pass: files hashed on the pool; the directory's hash equals a purely sequential one (source tree: no pool).
    const first = await dist.PathHasher.create(root);
    await first.hashAll(['big']);
    const h1 = first.hash('big')!;
    expect(h1).toMatchObject({ nfiles: N + 3 });
    expect(h1.hash).toBe((await truth('big'))!.hash);
    expect(first.stats.dir('big')).toMatchObject({ sig: sequential.sig, nfiles: N + 3 });
    first.save();

    // Second pass: checked by the parallel signature only; nothing is read or re-recorded.
    const setDir = vi.spyOn(stat.StatCache.prototype, 'setDir');
    const hashFile = vi.spyOn(dist.PathHasher.prototype, 'hashFile');
    const second = await dist.PathHasher.create(root);
    await second.hashAll(['big']);
    expect(second.hash('big')!.hash).toBe(h1.hash);
    expect(setDir).not.toHaveBeenCalled();
    expect(hashFile).not.toHaveBeenCalled();

    // One same-size edit: the signature differs, the tree is walked, and only that file is read.
    writeFileSync(join(big, 'f5.txt'), 'X\n');
    await settle();
    const third = await dist.PathHasher.create(root);
    await third.hashAll(['big']);
    const h3 = third.hash('big')!;
    expect(hashFile.mock.calls.map(([abs]) => abs)).toEqual([join(big, 'f5.txt')]);
    expect(setDir).toHaveBeenCalledTimes(1);
    expect(h3.hash).not.toBe(h1.hash);
    expect(h3.hash).toBe((await truth('big'))!.hash);
  });
});
