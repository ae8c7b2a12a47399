import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createBLAKE3 } from 'hash-wasm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadBlake3 } from '../../core/hash/blake3.js';
import { isDirInfo, PathHasher, type DirHash } from '../../core/hash/hash-path.js';

/** BLAKE3 of the 6 bytes `hello\n`, a fixed, well-known value (computed once with @napi-rs/blake-hash and hash-wasm). */
const HELLO_HASH = 'blake3:8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gitml-hash-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Writes `files` (path relative to the temp root -> content) in the given order. */
function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A fresh hasher (no memo) over the temp root. */
const hasher = () => PathHasher.create(root);

async function hashOf(path: string) {
  return (await hasher()).hash(path);
}

async function dirHash(path: string): Promise<DirHash> {
  const info = await hashOf(path);
  expect(info).not.toBeNull();
  expect(isDirInfo(info!)).toBe(true);
  return info as DirHash;
}

describe('PathHasher: files', () => {
  it('hashes `hello\\n` to its known BLAKE3 digest', async () => {
    write({ 'hello.txt': 'hello\n' });
    expect(await hashOf('hello.txt')).toEqual({ hash: HELLO_HASH, size: 6 });
  });

  it('gives two files with the same content the same hash, and different content a different one', async () => {
    write({ 'a.txt': 'same bytes', 'sub/b.txt': 'same bytes', 'c.txt': 'same bytez' });
    const h = await hasher();
    expect(h.hash('a.txt')!.hash).toBe(h.hash('sub/b.txt')!.hash);
    expect(h.hash('c.txt')!.hash).not.toBe(h.hash('a.txt')!.hash);
  });

  it('hashes an empty file', async () => {
    write({ 'empty': '' });
    const h = await hasher();
    expect(h.hash('empty')).toEqual({ hash: h.hashBytes(new Uint8Array()), size: 0 });
  });

  it('hashes a file larger than one read chunk the same as its bytes in one piece', async () => {
    const big = Buffer.alloc(2.5 * (1 << 20));
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    writeFileSync(join(root, 'big.bin'), big);
    const h = await hasher();
    expect(h.hash('big.bin')).toEqual({ hash: h.hashBytes(big), size: big.length });
  });

  it('returns null for a missing path, and for a path under a file', async () => {
    write({ 'file.txt': 'x' });
    const h = await hasher();
    expect(h.hash('nope.txt')).toBeNull();
    expect(h.hash('nope/deeper.txt')).toBeNull();
    expect(h.hash('file.txt/inner')).toBeNull();
  });
});

describe('PathHasher: directories', () => {
  it('counts files and sums their sizes, including nested ones', async () => {
    write({ 'data/a.csv': '12345', 'data/sub/b.csv': '123', 'data/sub/deeper/c.csv': '' });
    const info = await dirHash('data');
    expect(info.nfiles).toBe(3);
    expect(info.size).toBe(8);
    expect(info.manifest.files.map((f) => f.path)).toEqual(['a.csv', 'sub/b.csv', 'sub/deeper/c.csv']);
  });

  it('hashes an empty directory', async () => {
    mkdirSync(join(root, 'empty'));
    const info = await dirHash('empty');
    expect(info).toMatchObject({ size: 0, nfiles: 0, manifest: { files: [] } });
  });

  it('gives two directories with the same content the same hash, whatever the creation order', async () => {
    write({ 'one/a.txt': 'A', 'one/b/c.txt': 'C', 'one/z.txt': 'Z' });
    write({ 'two/z.txt': 'Z', 'two/b/c.txt': 'C', 'two/a.txt': 'A' });
    expect((await dirHash('two')).hash).toBe((await dirHash('one')).hash);
  });

  it('changes when a file inside changes', async () => {
    write({ 'data/a.txt': 'A', 'data/b.txt': 'B' });
    const before = (await dirHash('data')).hash;
    write({ 'data/b.txt': 'b' });
    expect((await dirHash('data')).hash).not.toBe(before);
  });

  it('changes when a file is renamed', async () => {
    write({ 'data/a.txt': 'A' });
    const before = (await dirHash('data')).hash;
    renameSync(join(root, 'data/a.txt'), join(root, 'data/b.txt'));
    expect((await dirHash('data')).hash).not.toBe(before);
  });

  it('changes when a file is added', async () => {
    write({ 'data/a.txt': 'A' });
    const before = await dirHash('data');
    write({ 'data/empty.txt': '' });
    const after = await dirHash('data');
    expect(after.hash).not.toBe(before.hash);
    expect(after.nfiles).toBe(2);
  });

  it.skipIf(process.platform === 'win32')('changes when a file becomes executable', async () => {
    write({ 'bin/run.sh': 'echo hi\n' });
    chmodSync(join(root, 'bin/run.sh'), 0o644);
    const before = await dirHash('bin');
    expect(before.manifest.files[0]).not.toHaveProperty('exec');
    chmodSync(join(root, 'bin/run.sh'), 0o755);
    const after = await dirHash('bin');
    expect(after.manifest.files[0]).toMatchObject({ path: 'run.sh', exec: true });
    expect(after.hash).not.toBe(before.hash);
  });

  it('records each file with its own hash in the manifest', async () => {
    write({ 'data/hello.txt': 'hello\n' });
    const info = await dirHash('data');
    expect(info.manifest.files).toEqual([{ path: 'hello.txt', hash: HELLO_HASH, size: 6 }]);
  });
});

describe('PathHasher: memo', () => {
  it('keeps answering from its memo until the path is forgotten', async () => {
    write({ 'model.pkl': 'v1' });
    const h = await hasher();
    const first = h.hash('model.pkl')!.hash;
    write({ 'model.pkl': 'v2' });
    expect(h.hash('model.pkl')!.hash).toBe(first);
    h.forget('model.pkl');
    expect(h.hash('model.pkl')!.hash).not.toBe(first);
  });

  it('remembers a missing path until it is forgotten', async () => {
    const h = await hasher();
    expect(h.hash('out.txt')).toBeNull();
    write({ 'out.txt': 'now here' });
    expect(h.hash('out.txt')).toBeNull();
    h.forget('out.txt');
    expect(h.hash('out.txt')).not.toBeNull();
  });

  it('forgetting a file also forgets the directories holding it, and forgetting a directory the files in it', async () => {
    write({ 'data/sub/a.txt': 'A', 'other.txt': 'O' });
    const h = await hasher();
    const dirBefore = h.hash('data')!.hash;
    const fileBefore = h.hash('data/sub/a.txt')!.hash;
    const other = h.hash('other.txt')!.hash;

    write({ 'data/sub/a.txt': 'changed', 'other.txt': 'changed' });
    h.forget('data/sub/a.txt');
    expect(h.hash('data')!.hash).not.toBe(dirBefore);
    expect(h.hash('other.txt')!.hash).toBe(other);

    const fileMid = h.hash('data/sub/a.txt')!.hash;
    expect(fileMid).not.toBe(fileBefore);
    write({ 'data/sub/a.txt': 'changed again' });
    expect(h.hash('data/sub/a.txt')!.hash).toBe(fileMid);
    h.forget('data');
    expect(h.hash('data/sub/a.txt')!.hash).not.toBe(fileMid);
  });

  it('does not forget a sibling that merely shares a name prefix', async () => {
    write({ 'data/a.txt': 'A', 'data2/a.txt': 'A' });
    const h = await hasher();
    const before = h.hash('data2')!.hash;
    write({ 'data2/a.txt': 'B' });
    h.forget('data');
    expect(h.hash('data2')!.hash).toBe(before);
  });
});

describe('BLAKE3 implementations', () => {
  it('gives the same digest from the native binding and the portable WebAssembly build', async () => {
    const native = (await loadBlake3())();
    const wasm = await createBLAKE3();
    for (const bytes of [new Uint8Array(), Buffer.from('hello\n'), Buffer.alloc(100_000, 0xab), Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251))]) {
      const n = (await loadBlake3())();
      n.update(bytes);
      wasm.init();
      wasm.update(bytes);
      expect(n.digest()).toBe(wasm.digest('hex'));
    }
    native.update(Buffer.from('hello\n'));
    expect(`blake3:${native.digest()}`).toBe(HELLO_HASH);
  });

  it('hashes data given in pieces the same as in one piece', async () => {
    const make = await loadBlake3();
    const whole = make();
    whole.update(Buffer.from('hello world'));
    const parts = make();
    parts.update(Buffer.from('hello'));
    parts.update(Buffer.from(' world'));
    expect(parts.digest()).toBe(whole.digest());
  });

  it('hashes a view into a larger buffer by its own bytes only', async () => {
    const h = await PathHasher.create(root);
    const backing = Buffer.from('xxhello\nyy');
    expect(h.hashBytes(backing.subarray(2, 8))).toBe(HELLO_HASH);
  });
});

describe('portable BLAKE3 fallback', () => {
  afterEach(() => {
    vi.doUnmock('node:module');
    vi.resetModules();
  });

  /** blake3.js loaded afresh with the native binding failing to load. */
  async function withoutNative() {
    vi.resetModules();
    vi.doMock('node:module', () => ({
      createRequire: () => () => {
        throw new Error('Cannot find native binding\nmore detail');
      },
    }));
    return import('../../core/hash/blake3.js');
  }

  it('falls back to the WebAssembly build with the same digests, and says so', async () => {
    const { loadBlake3: load, blake3Note } = await withoutNative();
    const h = (await load())();
    h.update(Buffer.from('hello\n'));
    expect(`blake3:${h.digest()}`).toBe(HELLO_HASH);
    expect(blake3Note()).toBe('native BLAKE3 unavailable (Cannot find native binding); using the portable build');
  });

  it('keeps interleaved hashers apart', async () => {
    const { loadBlake3: load } = await withoutNative();
    const make = await load();
    const a = make();
    const b = make();
    a.update(Buffer.from('hel'));
    b.update(Buffer.from('other'));
    a.update(Buffer.from('lo\n'));
    expect(`blake3:${a.digest()}`).toBe(HELLO_HASH);
    const fresh = make();
    fresh.update(Buffer.from('other'));
    expect(b.digest()).toBe(fresh.digest());
  });

  it('hashes a directory to the same value as the native build', async () => {
    write({ 'data/a.txt': 'hello\n', 'data/sub/b.bin': 'x'.repeat(5000) });
    const native = (await dirHash('data')).hash;
    const { blake3Note } = await withoutNative();
    const { PathHasher: Portable } = await import('../../core/hash/hash-path.js');
    const info = (await Portable.create(root)).hash('data');
    expect(blake3Note()).toContain('using the portable build');
    expect(info).toMatchObject({ hash: native, size: 5006, nfiles: 2 });
  });
});

describe('serializeManifest', () => {
  it('writes exactly the canonical JSON of the manifest, so directory hashes match the documented format', async () => {
    const { serializeManifest } = await import('../../core/hash/hash-path.js');
    const { canonicalJson } = await import('../../core/util/canonical.js');
    const manifest = {
      files: [
        { path: 'a "quoted" name.txt', hash: HELLO_HASH, size: 6 },
        { path: 'bin/run.sh', hash: HELLO_HASH, size: 6, exec: true as const },
        { path: 'ünïcode/ß.csv', hash: HELLO_HASH, size: 0 },
      ],
    };
    expect(serializeManifest(manifest)).toBe(canonicalJson(manifest));
    expect(serializeManifest({ files: [] })).toBe(canonicalJson({ files: [] }));
  });
});
