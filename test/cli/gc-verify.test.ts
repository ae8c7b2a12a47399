import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
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
  it('--dry reports what would go and removes nothing', () => {
    const { fx } = twoVersions();
    const before = objectCount(fx);
    const r = fx.gitml('gc', '--dry');
    expect(r.code).toBe(0);
    // Sizes print as everywhere else (push, pull, diff): bytes below 1 kB, not `0.0 MB`.
    expect(r.stdout).toMatch(/Would remove 3 objects \(\d{2,3} B\); \d+ kept\./);
    expect(objectCount(fx)).toBe(before);
  });

  it('removes what the workspace lockfile does not reference and keeps all it needs', () => {
    const { fx, v1, v2 } = twoVersions();
    const r = fx.gitml('gc');
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

  it('--all-commits keeps what any commit references, so an old commit can still be checked out', () => {
    const { fx, v1 } = twoVersions();
    const r = fx.gitml('gc', '--all-commits');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Read the lockfiles of 1 commit.');
    expect(r.stdout).toContain('Removed 0 objects');
    expect(existsSync(objectPath(fx, v1))).toBe(true);

    fx.git('stash', '-q', '--include-untracked');
    fx.git('checkout', '-q', 'v1');
    expect(fx.gitml('checkout').code).toBe(0);
    expect(fx.read('out/copy.txt')).toBe('one\n');
  });

  it('--all-commits sees other branches too', () => {
    const { fx, v1 } = twoVersions();
    fx.git('checkout', '-qb', 'exp');
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'v2 on exp');
    fx.git('checkout', '-q', 'main');
    fx.git('tag', '-d', 'v1');
    expect(fx.gitml('checkout').code).toBe(0); // workspace back at v1
    expect(fx.gitml('gc', '--all-commits').stdout).toContain('Read the lockfiles of 2 commits.');
    expect(existsSync(objectPath(fx, v1))).toBe(true);
    const v2 = JSON.parse(fx.git('show', 'exp:ml.lock.json')).stages.build.outs['double.txt'].hash as string;
    expect(existsSync(objectPath(fx, v2))).toBe(true);
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
