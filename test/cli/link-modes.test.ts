import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, lstatSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBlake3, type Blake3 } from '../../core/hash/blake3.js';
import { makeFixture, objectPath, type Fixture } from '../helpers/fixture.js';

/**
 * How outputs are placed from the cache into the workspace for each `cache.link` mode of .ml/config.yaml, and that
 * no mode lets an edit of a workspace file reach the cache object behind it.
 */

// One stage producing a file output and a directory output with a nested, binary file.
const PIPELINE = `stages:
  build:
    cmd: >-
      mkdir -p out/sub &&
      printf 'alpha\\n' > out/a.txt &&
      printf 'beta\\000\\377\\n' > out/sub/b.bin &&
      printf 'weights' > model.bin
    outs: [model.bin, out]
`;

const EXPECTED: Record<string, Buffer> = {
  'model.bin': Buffer.from('weights'),
  'out/a.txt': Buffer.from('alpha\n'),
  'out/sub/b.bin': Buffer.from([...Buffer.from('beta'), 0, 0xff, 0x0a]),
};
const FILES = Object.keys(EXPECTED);

let blake3: () => Blake3;
beforeAll(async () => {
  blake3 = await loadBlake3();
});

function withConfig(config: string, pipeline = PIPELINE): Fixture {
  return makeFixture({ 'ml.yaml': pipeline, '.ml/config.yaml': config });
}

function reproduced(config: string, pipeline = PIPELINE): Fixture {
  const fx = withConfig(config, pipeline);
  const r = fx.gitml('repro');
  expect(r.code, r.stderr).toBe(0);
  return fx;
}


/** Workspace file -> the cache object holding its content, found through ml.lock.json and the directory manifest. */
function objects(fx: Fixture): Record<string, string> {
  const outs = fx.lock().stages.build.outs;
  const manifest = JSON.parse(readFileSync(objectPath(fx, outs.out.hash), 'utf8')) as { files: { path: string; hash: string }[] };
  return {
    'model.bin': objectPath(fx, outs['model.bin'].hash),
    ...Object.fromEntries(manifest.files.map((f) => [`out/${f.path}`, objectPath(fx, f.hash)])),
  };
}

/** An object is intact when its bytes still hash to its name (and are what the stage wrote). */
function expectIntact(object: string, content?: Buffer): void {
  const bytes = readFileSync(object);
  const h = blake3();
  h.update(bytes);
  const [shard, rest] = object.split('/').slice(-2) as [string, string];
  expect(h.digest()).toBe(`${shard}${rest}`);
  if (content) expect(bytes).toEqual(content);
  expect(statSync(object).mode & 0o222).toBe(0);
}

function expectContent(fx: Fixture): void {
  for (const f of FILES) expect(readFileSync(join(fx.dir, f)), f).toEqual(EXPECTED[f]);
}

type Placement = 'hardlink' | 'symlink' | 'private';

/** Every output file is placed as `how`: the object itself, a link to it, or a private writable file. */
function expectPlaced(fx: Fixture, how: Placement): void {
  const objs = objects(fx);
  expect(Object.keys(objs).sort()).toEqual(FILES);
  for (const f of FILES) {
    const abs = join(fx.dir, f);
    const st = lstatSync(abs);
    const obj = statSync(objs[f]!);
    if (how === 'symlink') {
      expect(st.isSymbolicLink(), f).toBe(true);
      expect(realpathSync(abs)).toBe(realpathSync(objs[f]!));
      continue;
    }
    expect(st.isFile(), f).toBe(true);
    if (how === 'hardlink') {
      expect(st.ino, f).toBe(obj.ino);
      expect(st.mode & 0o222, f).toBe(0);
    } else {
      expect(st.ino, f).not.toBe(obj.ino);
      expect(st.nlink, f).toBe(1);
      expect(st.mode & 0o200, f).toBe(0o200);
    }
  }
  for (const f of FILES) expectIntact(objs[f]!, EXPECTED[f]);
}

const NOBODY = 65534;

/**
 * The error code of appending to `abs` as an ordinary user ('' when it works). Root ignores file modes, so as root
 * the file is given to `nobody` (its mode bits untouched) and appended to by a child process running as `nobody`.
 */
function appendAsUser(fx: Fixture, rel: string): string {
  const abs = join(fx.dir, rel);
  if (process.getuid?.() !== 0) {
    try {
      appendFileSync(abs, 'x');
      return '';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? String(err);
    }
  }
  chmodSync(fx.dir, 0o755);
  chownSync(abs, NOBODY, NOBODY);
  const script = `try { require('fs').appendFileSync(process.argv[1], 'x'); console.log('ok'); } catch (e) { console.log(e.code); }`;
  const r = spawnSync(process.execPath, ['-e', script, abs], { uid: NOBODY, gid: NOBODY, cwd: '/', encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim() === 'ok' ? '' : r.stdout.trim();
}

/** Replaces a file the way an editor saving a new version does (the old file is unlinked, not written through). */
function replace(fx: Fixture, rel: string, text: string): void {
  fx.remove(rel);
  writeFileSync(join(fx.dir, rel), text);
}

/** Deletes every output, checks out, and checks contents, placement and that status is clean. */
function checkoutRestores(fx: Fixture, how: Placement): void {
  fx.remove('model.bin');
  fx.remove('out');
  const r = fx.gitml('checkout');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('restored model.bin');
  expect(r.stdout).toContain('restored out');
  expectContent(fx);
  expectPlaced(fx, how);
  expect(fx.gitml('status').stdout).toContain('build: up to date');
}

/** Edits two output files, then status must report both outputs modified while every object stays intact. */
function editIsSeen(fx: Fixture, edit: (rel: string, text: string) => void): void {
  const objs = objects(fx);
  edit('model.bin', 'WEIGHTS');
  edit('out/a.txt', 'ALPHA\n');
  const s = fx.gitml('status');
  expect(s.code, s.stderr).toBe(0);
  expect(s.stdout).toContain('build: changed');
  expect(s.stdout).toContain('out `model.bin` modified');
  expect(s.stdout).toContain('out `out` modified');
  for (const f of FILES) expectIntact(objs[f]!, EXPECTED[f]);
}

describe.skipIf(process.platform === 'win32')('cache.link modes', () => {
  it('copy: outputs are private, writable copies; checkout restores copies; an in-place edit is seen and leaves the cache alone', () => {
    const fx = reproduced('cache:\n  link: copy\n');
    expectContent(fx);
    expectPlaced(fx, 'private');
    expect(appendAsUser(fx, 'out/sub/b.bin')).toBe('');
    expect(readFileSync(join(fx.dir, 'out/sub/b.bin'))).toEqual(Buffer.concat([EXPECTED['out/sub/b.bin']!, Buffer.from('x')]));
    expectIntact(objects(fx)['out/sub/b.bin']!, EXPECTED['out/sub/b.bin']);

    checkoutRestores(fx, 'private');
    editIsSeen(fx, (rel, text) => writeFileSync(join(fx.dir, rel), text));
  });

  it('hardlink: each output file is its read-only cache object; writing to it fails with EACCES', () => {
    const fx = reproduced('cache:\n  link: hardlink\n');
    expectContent(fx);
    expectPlaced(fx, 'hardlink');

    const object = objects(fx)['model.bin']!;
    expect(appendAsUser(fx, 'model.bin')).toBe('EACCES');
    expectIntact(object, EXPECTED['model.bin']);
    expect(readFileSync(join(fx.dir, 'model.bin'))).toEqual(EXPECTED['model.bin']);

    checkoutRestores(fx, 'hardlink');
    editIsSeen(fx, (rel, text) => replace(fx, rel, text));
  });

  it('symlink: each output file is a link into .ml/cache; checkout restores links', () => {
    const fx = reproduced('cache:\n  link: symlink\n');
    expectContent(fx);
    expectPlaced(fx, 'symlink');
    for (const f of FILES) expect(realpathSync(join(fx.dir, f)).startsWith(realpathSync(join(fx.dir, '.ml/cache')) + '/')).toBe(true);

    checkoutRestores(fx, 'symlink');
    editIsSeen(fx, (rel, text) => replace(fx, rel, text));
  });

  it('[reflink, copy] (list form): outputs are private files, a clone or a copy depending on the filesystem', () => {
    const fx = reproduced('cache:\n  link: [reflink, copy]\n');
    expectContent(fx);
    expectPlaced(fx, 'private');
    checkoutRestores(fx, 'private');
    editIsSeen(fx, (rel, text) => writeFileSync(join(fx.dir, rel), text));
  });

  it('reflink alone: a stage runs and its outputs are correct private files', () => {
    const fx = reproduced('cache:\n  link: reflink\n');
    expectContent(fx);
    expectPlaced(fx, 'private');
    expect(fx.gitml('status').stdout).toContain('build: up to date');
    // Restoring must clone. Where the filesystem cannot, the user is told to add a fallback; nothing half-done.
    fx.remove('model.bin');
    const r = fx.gitml('checkout');
    if (r.code === 0) expectContent(fx);
    else {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('cache.link: reflink does not work on this filesystem');
      expect(r.stderr).toContain('link: [reflink, copy]');
      expect(r.stderr).not.toContain('internal error');
    }
  });

  it('the default ([reflink, copy]) places private files as well', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    expect(fx.gitml('repro').code).toBe(0);
    expectContent(fx);
    expectPlaced(fx, 'private');
    checkoutRestores(fx, 'private');
  });
});

describe.skipIf(process.platform === 'win32')('a persist output in hardlink mode', () => {
  const PERSIST = `stages:
  log:
    cmd: echo "run $(cat n.txt)" >> history.txt
    deps: [n.txt]
    outs:
      - history.txt:
          persist: true
`;

  it('is made a private copy before the stage appends to it, so the cache object of the old version is untouched', () => {
    const fx = makeFixture({ 'ml.yaml': PERSIST, 'n.txt': '1\n', '.ml/config.yaml': 'cache:\n  link: hardlink\n' });
    expect(fx.gitml('repro').code).toBe(0);
    const first = fx.lock().stages.log.outs['history.txt'].hash as string;
    const firstObject = objectPath(fx, first);
    expect(fx.read('history.txt')).toBe('run 1\n');
    expect(lstatSync(join(fx.dir, 'history.txt')).ino).toBe(statSync(firstObject).ino);

    const r = fx.gitml('repro', '-f');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Running stage `log` (forced)');
    expect(fx.read('history.txt')).toBe('run 1\nrun 1\n');
    expectIntact(firstObject, Buffer.from('run 1\n'));

    const second = fx.lock().stages.log.outs['history.txt'].hash as string;
    expect(second).not.toBe(first);
    expect(lstatSync(join(fx.dir, 'history.txt')).ino).toBe(statSync(objectPath(fx, second)).ino);
    expectIntact(objectPath(fx, second), Buffer.from('run 1\nrun 1\n'));
  });
});

describe('.ml/config.yaml problems and .ml/config.local.yaml', () => {
  it('an unknown link mode is reported with file, line and column, exit 2, and nothing runs', () => {
    const fx = withConfig('cache:\n  link: teleport\n');
    const s = fx.gitml('status');
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/^\.ml\/config\.yaml:2:9: cache\.link: /m);
    const r = fx.gitml('repro');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.ml/config.yaml:2:9:');
    expect(fx.exists('model.bin')).toBe(false);
  });

  it('an unknown mode inside the list form points at that list item', () => {
    const fx = withConfig('cache:\n  link: [reflink, teleport]\n');
    const s = fx.gitml('status');
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('.ml/config.yaml:2:19: cache.link[1]');
  });

  it('an unknown key is reported with file, line and column, and named', () => {
    const fx = withConfig('cache:\n  link: copy\n  speed: 3\n');
    const s = fx.gitml('status');
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/^\.ml\/config\.yaml:3:3: .*speed/m);
  });

  it('problems in .ml/config.local.yaml are reported against that file', () => {
    const fx = withConfig('cache:\n  link: copy\n');
    fx.write('.ml/config.local.yaml', 'jobs: 1\ncolour: blue\n');
    const s = fx.gitml('status');
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/^\.ml\/config\.local\.yaml:2:1: .*colour/m);
    expect(s.stderr).not.toContain('.ml/config.yaml:');
  });

  it('.ml/config.local.yaml overrides .ml/config.yaml', () => {
    const fx = withConfig('cache:\n  link: copy\n');
    fx.write('.ml/config.local.yaml', 'cache:\n  link: hardlink\n');
    expect(fx.gitml('repro').code).toBe(0);
    expectPlaced(fx, 'hardlink');
  });

  it('.ml/config.local.yaml wins key by key: setting only jobs there keeps the link mode of .ml/config.yaml', () => {
    const fx = withConfig('cache:\n  link: symlink\n');
    fx.write('.ml/config.local.yaml', 'jobs: 1\n');
    expect(fx.gitml('repro').code).toBe(0);
    expectPlaced(fx, 'symlink');
  });
});
