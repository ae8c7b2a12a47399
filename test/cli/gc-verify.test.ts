import { chmodSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, objectPath, type Fixture } from '../helpers/fixture.js';

const PIPELINE = `stages:
  build:
    cmd: mkdir -p out && cp in.txt out/copy.txt && cat in.txt in.txt > double.txt
    deps: [in.txt]
    outs: [out, double.txt]
`;


function objectCount(fx: Fixture): number {
  const base = join(fx.dir, '.ml/cache/blake3');
  return readdirSync(base).reduce((n, shard) => n + readdirSync(join(base, shard)).length, 0);
}

/** Two versions of the output: v1 committed on `main` (and tagged), v2 only in the workspace. */
function twoVersions(): { fx: Fixture; v1: string; v2: string } {
  const fx = makeFixture({ 'ml.yaml': PIPELINE, 'in.txt': 'one\n' });
  expect(fx.gitml('repro').code).toBe(0);
  fx.git('add', '-A');
  fx.git('commit', '-qm', 'v1');
  fx.git('tag', 'v1');
  const v1 = fx.lock().stages.build.outs['double.txt'].hash as string;
  fx.write('in.txt', 'two\n');
  expect(fx.gitml('repro').code).toBe(0);
  return { fx, v1, v2: fx.lock().stages.build.outs['double.txt'].hash as string };
}

describe('gitml gc', () => {
  // v1 leaves three objects behind: out/copy.txt, the manifest of out/, and double.txt.
  it('keeps by default what earlier commits and tags reference', () => {
    const { fx, v1 } = twoVersions();
    const before = objectCount(fx);
    const r = fx.gitml('gc');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Keeping what the workspace and 1 commit (every branch, tag, stash and 0 experiments) reference.');
    expect(r.stdout).toContain('Removed 0 objects');
    expect(objectCount(fx)).toBe(before);
    expect(existsSync(objectPath(fx, v1))).toBe(true);

    fx.git('stash', '-q', '--include-untracked');
    fx.git('checkout', '-q', 'v1');
    expect(fx.gitml('checkout').code).toBe(0);
    expect(fx.read('out/copy.txt')).toBe('one\n');
  });

  it('removes by default what nothing but the run-cache references, and --dry lists it first', () => {
    const { fx, v2 } = twoVersions();
    fx.write('in.txt', 'three\n');
    expect(fx.gitml('repro').code).toBe(0);
    const v3 = fx.lock().stages.build.outs['double.txt'].hash as string;
    fx.write('in.txt', 'two\n');
    expect(fx.gitml('repro').code).toBe(0); // back to v2, from the run-cache
    const before = objectCount(fx);

    const dry = fx.gitml('gc', '--dry');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Would remove 3 objects');
    expect(dry.stdout).toMatch(new RegExp(`double\\.txt  ${v3}  12 B`));
    expect(dry.stdout).toContain('out/copy.txt  blake3:');
    expect(objectCount(fx)).toBe(before);

    const r = fx.gitml('gc');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Removed 3 objects');
    expect(r.stdout).toContain('Dropped 1 run-cache entry');
    expect(existsSync(objectPath(fx, v3))).toBe(false);
    expect(existsSync(objectPath(fx, v2))).toBe(true);
  });

  it('keeps every object a lockfile that no longer parses mentions, and warns about it', () => {
    const { fx } = twoVersions();
    fx.write('in.txt', 'three\n');
    expect(fx.gitml('repro').code).toBe(0);
    const v3 = fx.lock().stages.build.outs['double.txt'].hash as string;
    fx.write('in.txt', 'two\n');
    expect(fx.gitml('repro').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'v2');
    fx.git('checkout', '-qb', 'broken');
    fx.write('ml.lock.json', `{"schema": "1", "stages": {"build": {"outs": {"double.txt": {"hash": "${v3}"`);
    fx.git('add', 'ml.lock.json');
    fx.git('commit', '-qm', 'broken lockfile');
    const commit = fx.git('rev-parse', 'HEAD').trim().slice(0, 10);
    fx.git('checkout', '-q', 'main');

    const r = fx.gitml('gc');
    expect(r.code).toBe(0);
    // The warning says why, with where in the file.
    expect(r.stderr).toContain(
      `warning: ml.lock.json at ${commit} could not be read (ml.lock.json:1:143: not valid JSON (unexpected end of file)); every object hash it mentions is kept`,
    );
    expect(r.stdout).toContain('Removed 2 objects'); // v3's out/copy.txt and its manifest
    expect(existsSync(objectPath(fx, v3))).toBe(true);
  });

  it('keeps every object a damaged directory manifest mentions, and warns about it', () => {
    const { fx } = twoVersions();
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'v2');
    const manifest = fx.lock().stages.build.outs.out.hash as string;
    const before = objectCount(fx);
    // One flipped byte: the manifest no longer parses, but the files it lists are intact.
    const abs = objectPath(fx, manifest);
    chmodSync(abs, 0o644);
    const text = readFileSync(abs, 'utf8');
    writeFileSync(abs, `x${text.slice(1)}`);
    const r = fx.gitml('gc');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Removed 0 objects');
    expect(r.stderr).toContain(`warning: directory manifest ${manifest} is damaged; every object hash it mentions is kept`);
    expect(objectCount(fx)).toBe(before);
  });

  it('outside git keeps what the workspace lockfile references', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'in.txt': 'one\n' }, { git: false });
    expect(fx.gitml('repro').code).toBe(0);
    const v1 = fx.lock().stages.build.outs['double.txt'].hash as string;
    fx.write('in.txt', 'two\n');
    expect(fx.gitml('repro').code).toBe(0);
    const r = fx.gitml('gc');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Not in a git repository: keeping what the workspace ml.lock.json references.');
    expect(r.stdout).toContain('Removed 3 objects');
    expect(existsSync(objectPath(fx, v1))).toBe(false);
  });

  it('keeps what every stash entry references, older ones too', () => {
    const { fx, v2 } = twoVersions();
    fx.git('stash', '-q', '--include-untracked');
    expect(fx.gitml('checkout').code).toBe(0); // workspace back at v1
    fx.write('in.txt', 'three\n');
    expect(fx.gitml('repro').code).toBe(0);
    const v3 = fx.lock().stages.build.outs['double.txt'].hash as string;
    fx.git('stash', '-q', '--include-untracked'); // v2 is now stash@{1}, kept only by the stash's reflog
    expect(fx.gitml('checkout').code).toBe(0);
    expect(fx.gitml('gc').stdout).toContain('Removed 0 objects');
    expect(existsSync(objectPath(fx, v2))).toBe(true);
    expect(existsSync(objectPath(fx, v3))).toBe(true);
    fx.git('stash', 'drop', '-q');
    expect(fx.gitml('checkout').code).toBe(0);
    fx.git('stash', 'pop', '-q');
    expect(fx.gitml('checkout').code).toBe(0);
    expect(fx.read('double.txt')).toBe('two\ntwo\n');
  });

  it('--workspace lists what only history references and removes nothing without --force', () => {
    const { fx, v1 } = twoVersions();
    const before = objectCount(fx);
    const r = fx.gitml('gc', '--workspace');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('dropping objects that only earlier commits, other branches, tags, stashes or experiments reference');
    expect(r.stdout).toContain(`double.txt (stage build)  ${v1}  8 B  [still in history]`);
    expect(r.stdout).toContain('Would remove 3 objects');
    expect(r.stderr).toContain('3 of these objects are still referenced by earlier commits');
    expect(r.stderr).toContain('--force');
    // Sizes print as everywhere else (push, pull, diff): bytes below 1 kB, not `0.0 MB`.
    expect(r.stdout).toMatch(/Would remove 3 objects \(\d{2,3} B\); \d+ kept\./);
    expect(objectCount(fx)).toBe(before);
  });

  it('--workspace --force removes what the workspace lockfile does not reference and keeps all it needs', () => {
    const { fx, v1, v2 } = twoVersions();
    const r = fx.gitml('gc', '--workspace', '--force');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Removed 3 objects');
    expect(existsSync(objectPath(fx, v1))).toBe(false);
    expect(existsSync(objectPath(fx, v2))).toBe(true);
    // Everything the lockfile needs can still be restored.
    fx.remove('out');
    fx.remove('double.txt');
    expect(fx.gitml('checkout').code).toBe(0);
    expect(fx.read('out/copy.txt')).toBe('two\n');
    expect(JSON.parse(fx.gitml('status', '--json').stdout).stages.build.changed).toBe(false);
    // The run-cache entry of the removed version went with it.
    expect(r.stdout).toContain('Dropped 1 run-cache entry');
  });

  it('--all-commits is still accepted and keeps every commit', () => {
    const { fx, v1 } = twoVersions();
    const r = fx.gitml('gc', '--all-commits');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Removed 0 objects');
    expect(existsSync(objectPath(fx, v1))).toBe(true);
    expect(fx.gitml('gc', '--all-commits', '--workspace').code).toBe(2);
  });

  it('sees other branches too', () => {
    const { fx, v1 } = twoVersions();
    fx.git('checkout', '-qb', 'exp');
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'v2 on exp');
    fx.git('checkout', '-q', 'main');
    fx.git('tag', '-d', 'v1');
    expect(fx.gitml('checkout').code).toBe(0); // workspace back at v1
    expect(fx.gitml('gc').stdout).toContain('and 2 commits');
    expect(existsSync(objectPath(fx, v1))).toBe(true);
    const v2 = JSON.parse(fx.git('show', 'exp:ml.lock.json')).stages.build.outs['double.txt'].hash as string;
    expect(existsSync(objectPath(fx, v2))).toBe(true);
  });

  it('deletes partial objects whose writer is gone or that are over an hour old, and leaves a live one', () => {
    const { fx, v2 } = twoVersions();
    const dead = `${objectPath(fx, v2)}.tmp-999999999`;
    const live = `${objectPath(fx, v2)}.tmp-${process.pid}-1`;
    const old = `${objectPath(fx, v2)}.tmp-${process.pid}-2`;
    for (const f of [dead, live, old]) writeFileSync(f, 'part');
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, hourAgo, hourAgo);
    const r = fx.gitml('gc');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Deleted 2 temporary files left by interrupted commands.');
    expect([existsSync(dead), existsSync(live), existsSync(old)]).toEqual([false, true, false]);
  });
});

describe('gitml cache verify', () => {
  it('passes on a healthy cache', () => {
    const { fx } = twoVersions();
    const r = fx.gitml('cache', 'verify');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('All 6 objects match their hashes.');
  });

  it('finds a corrupted object, quarantines it, exits 1; a forced repro heals the cache', () => {
    const { fx, v2 } = twoVersions();
    const file = objectPath(fx, v2);
    chmodSync(file, 0o644);
    writeFileSync(file, 'bit rot\n');
    const r = fx.gitml('cache', 'verify');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`corrupt: ${v2}`);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(join(fx.dir, '.ml/cache/quarantine'))).toEqual([v2.replace(':', '-')]);

    // The damaged object is never restored: checkout says it is missing instead of writing bad bytes.
    fx.remove('double.txt');
    const co = fx.gitml('checkout');
    expect(co.code).toBe(1);
    expect(co.stderr).toContain('double.txt');

    expect(fx.gitml('repro', '-f').code).toBe(0);
    expect(fx.read('double.txt')).toBe('two\ntwo\n');
    expect(fx.gitml('cache', 'verify').code).toBe(0);
  });
});
