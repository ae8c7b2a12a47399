import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_STAGE, makeFixture, objectPath, type Fixture } from '../helpers/fixture.js';

/**
 * Every object installed into the workspace or uploaded to a remote is checked against its hash on the way; one that
 * does not match is quarantined, never installed or uploaded, and the command exits 1.
 */

const PIPELINE = `stages:
${BUILD_STAGE}`;

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function reproduced(config?: string): Fixture {
  const fx = makeFixture({ 'ml.yaml': PIPELINE, 'in.txt': 'alpha\n', ...(config ? { '.ml/config.yaml': config } : {}) });
  ok(fx, 'repro');
  return fx;
}

/** Flips one bit of the first byte of a cache object, keeping its size. */
function flipByte(file: string): void {
  const bytes = readFileSync(file);
  bytes[0] = bytes[0]! ^ 0x01;
  chmodSync(file, 0o644);
  writeFileSync(file, bytes);
  chmodSync(file, 0o444);
}

function manifestOf(fx: Fixture, out: string): { hash: string; files: { path: string; hash: string; size: number }[] } {
  const hash = fx.lock().stages.build.outs[out].hash as string;
  return { hash, ...JSON.parse(readFileSync(objectPath(fx, hash), 'utf8')) };
}

function fileHash(fx: Fixture, out: string, file: string): string {
  return manifestOf(fx, out).files.find((f) => f.path === file)!.hash;
}

function quarantined(fx: Fixture): string[] {
  const dir = join(fx.dir, '.ml/cache/quarantine');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe.each([
  ['copy', 'cache:\n  link: copy\n'],
  ['hardlink', 'cache:\n  link: hardlink\n'],
  ['symlink', 'cache:\n  link: symlink\n'],
])('checkout of a corrupt object (link: %s)', (_mode, config) => {
  it('exits 1, installs nothing from it, quarantines it under its output path, restores the rest; status is not up to date', () => {
    const fx = reproduced(config);
    const model = fx.lock().stages.build.outs['model.bin'].hash as string;
    const b = fileHash(fx, 'out', 'nested/b.bin');
    fx.remove('model.bin');
    fx.remove('out');
    flipByte(objectPath(fx, model));
    flipByte(objectPath(fx, b));

    const r = fx.gitml('checkout');
    expect(r.code, r.stderr).toBe(1);
    const qModel = `blake3-${model.split(':')[1]}--model.bin`;
    const qB = `blake3-${b.split(':')[1]}--out_nested_b.bin`;
    expect(r.stderr).toContain(`model.bin (object ${model} hashes to blake3:`);
    expect(r.stderr).toContain(`moved to .ml/cache/quarantine/${qModel}`);
    expect(r.stderr).toContain(`out/nested/b.bin (object ${b} hashes to blake3:`);
    expect(r.stderr).toContain('`gitml pull`');
    expect(r.stderr).toContain('`gitml repro -f build`');
    expect(r.stderr).toContain('2 outputs could not be restored');

    expect(fx.exists('model.bin')).toBe(false);
    expect(fx.exists('out/nested/b.bin')).toBe(false);
    // The good file of the same directory is still placed.
    expect(fx.read('out/a.txt')).toBe('alpha\n');
    expect(quarantined(fx)).toEqual([qModel, qB].sort());
    expect(existsSync(objectPath(fx, model))).toBe(false);

    const status = fx.gitml('status');
    expect(status.stdout).not.toContain('up to date');
    expect(status.stdout).toContain('build');

    // A forced run puts good objects back; checkout then completes.
    ok(fx, 'repro', '-f', 'build');
    fx.remove('model.bin');
    ok(fx, 'checkout');
    expect(readFileSync(join(fx.dir, 'model.bin'))).toEqual(Buffer.from([...Buffer.from('weights'), 1, 2, 0xff]));
  });
});

describe('checkout of a corrupt large object, and of one longer than recorded', () => {
  it('streams the large one through a temporary file that never gets its name; a file already there is kept', () => {
    const fx = makeFixture({
      'ml.yaml': `stages:\n  build:\n    cmd: yes gitml | head -c 3000000 > big.bin && printf small > small.txt\n    outs: [big.bin, small.txt]\n`,
      '.ml/config.yaml': 'cache:\n  link: copy\n',
    });
    ok(fx, 'repro');
    const outs = fx.lock().stages.build.outs;
    const big = objectPath(fx, outs['big.bin'].hash);
    chmodSync(big, 0o644);
    const bytes = readFileSync(big);
    bytes[2_500_000] = bytes[2_500_000]! ^ 0x20;
    writeFileSync(big, bytes);
    const small = objectPath(fx, outs['small.txt'].hash);
    chmodSync(small, 0o644);
    writeFileSync(small, 'small and then some');
    fx.write('big.bin', 'an edit of my own\n');
    fx.remove('small.txt');

    const r = fx.gitml('checkout');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`big.bin (object ${outs['big.bin'].hash} hashes to blake3:`);
    expect(r.stderr).toContain(`small.txt (object ${outs['small.txt'].hash} hashes to blake3:`);
    expect(fx.read('big.bin')).toBe('an edit of my own\n');
    expect(fx.exists('small.txt')).toBe(false);
    expect(readdirSync(fx.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(quarantined(fx)).toHaveLength(2);
  });
});

/** A workspace whose one stage made `many/f1.txt` .. `many/fN.txt`, and the files its cached manifest lists. */
function manyFiles(n: number): { fx: Fixture; files: { path: string; hash: string }[] } {
  const fx = makeFixture({
    'ml.yaml': `stages:\n  many:\n    cmd: mkdir -p many && for i in $(seq 1 ${n}); do echo "file $i" > many/f$i.txt; done\n    outs: [many]\n`,
  });
  ok(fx, 'repro');
  const hash = fx.lock().stages.many.outs.many.hash as string;
  return { fx, files: (JSON.parse(readFileSync(objectPath(fx, hash), 'utf8')) as { files: { path: string; hash: string }[] }).files };
}

describe('checkout of a large directory (placed on several threads) with corrupt objects in it', () => {
  it('places every good file and none of the corrupt ones, each quarantined under its own path', () => {
    const { fx, files } = manyFiles(2500);
    const bad = files.filter((f) => f.path === 'f7.txt' || f.path === 'f2400.txt');
    for (const f of bad) flipByte(objectPath(fx, f.hash));
    fx.remove('many');

    const r = fx.gitml('checkout');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('many/f7.txt (object');
    expect(r.stderr).toContain('many/f2400.txt (object');
    expect(readdirSync(join(fx.dir, 'many'))).toHaveLength(2498);
    expect(fx.read('many/f2399.txt')).toBe('file 2399\n');
    expect(fx.exists('many/f7.txt')).toBe(false);
    expect(quarantined(fx)).toEqual(bad.map((f) => `blake3-${f.hash.split(':')[1]}--many_${f.path}`).sort());
    expect(fx.gitml('status').stdout).toContain('modified');
  });
});

describe('checkout of a directory with many corrupt files', () => {
  it('names the first 10 and counts the rest, and quarantines them all', () => {
    const { fx, files } = manyFiles(20);
    for (const f of files.slice(0, 15)) flipByte(objectPath(fx, f.hash));
    fx.remove('many');

    const r = fx.gitml('checkout');
    expect(r.code).toBe(1);
    expect(r.stderr.match(/\(object /g)).toHaveLength(10);
    expect(r.stderr).toContain('and 5 more (also moved to .ml/cache/quarantine/)');
    expect(quarantined(fx)).toHaveLength(15);
    expect(readdirSync(join(fx.dir, 'many'))).toHaveLength(5);
  });
});

describe('checkout of a large directory in copy mode', () => {
  it('places it on several threads, says it restored it, and status finds it up to date', () => {
    const fx = makeFixture({
      'ml.yaml': `stages:\n  many:\n    cmd: mkdir -p many/sub && for i in $(seq 1 2500); do echo "file $i" > many/sub/f$i.txt; done\n    outs: [many]\n`,
      '.ml/config.yaml': 'cache:\n  link: copy\n',
    });
    ok(fx, 'repro');
    fx.remove('many');
    expect(ok(fx, 'checkout')).toContain('restored many');
    expect(readdirSync(join(fx.dir, 'many/sub'))).toHaveLength(2500);
    expect(fx.read('many/sub/f1234.txt')).toBe('file 1234\n');
    expect(ok(fx, 'status')).toContain('up to date');
  });
});

describe('a corrupt directory manifest', () => {
  it('with two entries\u2019 hashes swapped (still valid JSON) is refused and quarantined; no file of it is placed', () => {
    const fx = reproduced();
    const m = manifestOf(fx, 'out');
    const [first, second] = m.files as [(typeof m.files)[0], (typeof m.files)[0]];
    const swapped = { files: [{ ...first, hash: second.hash }, { ...second, hash: first.hash }] };
    const file = objectPath(fx, m.hash);
    chmodSync(file, 0o644);
    writeFileSync(file, JSON.stringify(swapped));
    fx.remove('out');
    fx.remove('model.bin');

    const r = fx.gitml('checkout');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`out (object ${m.hash} hashes to blake3:`);
    expect(quarantined(fx)).toEqual([`blake3-${m.hash.split(':')[1]}--out`]);
    expect(fx.exists('out')).toBe(false);
    expect(fx.exists('model.bin')).toBe(true);
  });

  it('whose bytes match its hash but list a path out of the directory or into .git is refused with exit 2, writing nothing', async () => {
    const fx = reproduced();
    const { PathHasher } = await import('../../dist/core/hash/hash-path.js');
    const hasher = await PathHasher.create(fx.dir, { persist: false });
    const good = manifestOf(fx, 'out').files[0]!;
    for (const evil of ['../escaped.txt', '.git/hooks/pre-commit', 'a//b']) {
      const text = JSON.stringify({ files: [{ path: evil, hash: good.hash, size: good.size }] });
      const hash = hasher.hashBytes(Buffer.from(text));
      const dest = objectPath(fx, hash);
      ok(fx, 'status'); // the cache shard exists
      if (!existsSync(dest)) {
        const { mkdirSync } = await import('node:fs');
        mkdirSync(join(dest, '..'), { recursive: true });
        writeFileSync(dest, text, { mode: 0o444 });
      }
      const lock = fx.lock();
      lock.stages.build.outs.out = { hash, size: good.size, nfiles: 1 };
      fx.write('ml.lock.json', `${JSON.stringify(lock, null, 2)}\n`);
      fx.remove('out');

      const r = fx.gitml('checkout', 'out');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`manifest ${hash} of \`out\``);
      expect(r.stderr).toContain(`refusing output path \`out/${evil}\``);
      expect(fx.exists('out')).toBe(false);
      expect(fx.exists('escaped.txt')).toBe(false);
      expect(fx.exists('.git/hooks/pre-commit')).toBe(false);
    }
  });
});

describe('push of a corrupt object to a directory remote', () => {
  it('is refused: nothing corrupt is uploaded, nor the manifest that needs it; the object is quarantined; exit 1', () => {
    const fx = reproduced();
    const remote = makeFixture({}, { git: false }).dir;
    ok(fx, 'remote', 'add', 'origin', remote, '--default');
    const bad = fileHash(fx, 'out', 'nested/b.bin');
    const manifest = manifestOf(fx, 'out').hash;
    flipByte(objectPath(fx, bad));

    const r = fx.gitml('push');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`out/nested/b.bin: object ${bad} in the local cache is corrupt`);
    expect(r.stderr).toContain(`moved to .ml/cache/quarantine/blake3-${bad.split(':')[1]}--out_nested_b.bin`);
    const remoteObject = (h: string) => join(remote, 'blake3', h.split(':')[1]!.slice(0, 2), h.split(':')[1]!.slice(2));
    expect(existsSync(remoteObject(bad))).toBe(false);
    expect(existsSync(remoteObject(manifest))).toBe(false);
    expect(existsSync(remoteObject(fx.lock().stages.build.outs['model.bin'].hash))).toBe(true);
  });
});

describe('a run-cache restore of a corrupt object', () => {
  it('installs nothing from it: the stage runs instead and the cache is healed', () => {
    const fx = reproduced();
    const first = fx.lock().stages.build.outs['model.bin'].hash as string;
    const a1 = fileHash(fx, 'out', 'a.txt');
    fx.write('in.txt', 'other\n');
    ok(fx, 'repro');
    fx.write('in.txt', 'alpha\n');
    flipByte(objectPath(fx, a1));

    const out = ok(fx, 'repro');
    expect(out).toContain('Stage `build` not restored from run-cache: out/a.txt is corrupt in the cache');
    expect(out).toContain('Running stage `build`');
    expect(fx.read('out/a.txt')).toBe('alpha\n');
    expect(fx.lock().stages.build.outs['model.bin'].hash).toBe(first);
    expect(quarantined(fx)).toEqual([`blake3-${a1.split(':')[1]}--out_a.txt`]);
    expect(ok(fx, 'status')).toContain('up to date');
  });
});
