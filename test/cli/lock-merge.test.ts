import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRIVER_COMMAND } from '../../core/commands/init.js';
import { CLI, makeFixture } from '../helpers/fixture.js';

// Outputs are metrics (cache: false) so git carries them and a merged checkout is complete.
const PIPELINE = `
stages:
  a:
    cmd: cat a-in.txt a-in.txt > a.json
    deps: [a-in.txt]
    metrics: [a.json]
  b:
    cmd: cat b-in.txt b-in.txt > b.json
    deps: [b-in.txt]
    metrics: [b.json]
`;

describe('ml.lock.json under git', () => {
  it('merges without conflict when two branches changed different stages', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'a-in.txt': '1\n', 'b-in.txt': '2\n' });
    expect(fx.gitml('repro').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'base');

    fx.git('checkout', '-qb', 'exp-a');
    fx.write('a-in.txt', '10\n');
    expect(fx.gitml('repro').code).toBe(0);
    fx.git('commit', '-qam', 'change a');
    const aHash = fx.lock().stages.a.outs['a.json'].hash;

    fx.git('checkout', '-q', 'main');
    fx.write('b-in.txt', '20\n');
    expect(fx.gitml('repro').code).toBe(0);
    fx.git('commit', '-qam', 'change b');
    const bHash = fx.lock().stages.b.outs['b.json'].hash;

    fx.git('merge', '-q', '--no-edit', 'exp-a'); // throws on conflict
    const merged = fx.lock();
    expect(merged.stages.a.outs['a.json'].hash).toBe(aHash);
    expect(merged.stages.b.outs['b.json'].hash).toBe(bHash);
    const status = JSON.parse(fx.gitml('status', '--json').stdout);
    expect(status.stages).toEqual({ a: { changed: false, reasons: [] }, b: { changed: false, reasons: [] } });
  });

  it('is written with sorted keys and a stable layout, whatever order stages ran in', () => {
    const one = makeFixture({ 'ml.yaml': PIPELINE, 'a-in.txt': '1\n', 'b-in.txt': '2\n' });
    const two = makeFixture({ 'ml.yaml': PIPELINE, 'a-in.txt': '1\n', 'b-in.txt': '2\n' });
    one.gitml('repro', 'a');
    one.gitml('repro', 'b');
    two.gitml('repro', 'b');
    two.gitml('repro', 'a');
    expect(one.read('ml.lock.json')).toBe(two.read('ml.lock.json'));
    expect(one.read('ml.lock.json')).toMatch(/^\{\n {2}"schema": "1",\n {2}"stages": \{\n {4}"a": \{\n {6}"cmd": \[/);
  });
});

describe('the ml.lock.json merge driver', () => {
  // Two stages side by side in the lockfile, so a line-based merge of their hashes would conflict.
  const TWO = `stages:
  a:
    cmd: cat a-in.txt > a.json
    deps: [a-in.txt]
    metrics: [a.json]
  b:
    cmd: cat b-in.txt > b.json
    deps: [b-in.txt]
    metrics: [b.json]
`;

  /** A fixture whose PATH has `gitml`, as after a global install, and whose merge driver gitml init registered. */
  function withDriver() {
    const fx = makeFixture({ 'ml.yaml': TWO, 'a-in.txt': '1\n', 'b-in.txt': '2\n' });
    const bin = join(fx.dir, '.bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'gitml'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const git = (...args: string[]) => spawnSync('git', args, { cwd: fx.dir, encoding: 'utf8', env });
    expect(fx.gitml('init').stdout).toContain('created merge driver gitml-lock in .git/config');
    fx.write('.gitignore', '.bin\n');
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'base');
    return { fx, git };
  }

  it('is registered by gitml init in .gitattributes and the git config', () => {
    const { fx } = withDriver();
    expect(fx.read('.gitattributes')).toBe('ml.lock.json merge=gitml-lock\n');
    expect(fx.git('config', '--get', 'merge.gitml-lock.driver').trim()).toBe(DRIVER_COMMAND);
    expect(fx.git('check-attr', 'merge', 'ml.lock.json')).toBe('ml.lock.json: merge: gitml-lock\n');
    expect(fx.gitml('init').stdout).toContain('already set up');
  });

  it('merges two branches that each added a stage, where a line merge conflicts', () => {
    const { fx, git } = withDriver();
    // exp adds `c` between a and b in ml.yaml, main appends `d`: ml.yaml merges by lines, but in the sorted
    // lockfile both new stages land right after `b`.
    fx.git('checkout', '-qb', 'exp');
    fx.write('ml.yaml', TWO.replace('  b:\n', '  c:\n    cmd: echo c > c.json\n    metrics: [c.json]\n  b:\n'));
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'add c');
    fx.git('checkout', '-q', 'main');
    fx.write('ml.yaml', `${TWO}  d:\n    cmd: echo d > d.json\n    metrics: [d.json]\n`);
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'add d');

    // Without the driver: git's own line merge of the same three versions conflicts.
    const [base, ours, theirs] = ['HEAD~1', 'HEAD', 'exp'].map((rev) => {
      const file = join(fx.dir, `.bin/${rev.replace(/\W/g, '_')}.json`);
      writeFileSync(file, fx.git('show', `${rev}:ml.lock.json`));
      return file;
    });
    expect(spawnSync('git', ['merge-file', '-p', ours!, base!, theirs!]).status).not.toBe(0);

    const r = git('merge', '--no-edit', 'exp');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(Object.keys(fx.lock().stages)).toEqual(['a', 'b', 'c', 'd']);
    const status = JSON.parse(fx.gitml('status', '--json').stdout);
    expect(Object.values(status.stages).every((s) => !(s as { changed: boolean }).changed)).toBe(true);
  });

  it('stops on a stage changed on both branches, naming it, and leaves valid JSON', () => {
    const { fx, git } = withDriver();
    fx.git('checkout', '-qb', 'exp');
    fx.write('a-in.txt', '10\n');
    fx.gitml('repro', '-q');
    fx.git('commit', '-qam', 'a on exp');
    fx.git('checkout', '-q', 'main');
    fx.write('a-in.txt', '30\n');
    fx.gitml('repro', '-q');
    fx.git('commit', '-qam', 'a on main');
    const ours = fx.lock().stages.a;
    const r = git('merge', '--no-edit', 'exp');
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('ml.lock.json: stage `a` changed on both branches');
    expect(r.stdout + r.stderr).toContain('Run `gitml repro a`, then `git add ml.lock.json`');
    expect(fx.git('diff', '--name-only', '--diff-filter=U')).toContain('ml.lock.json');
    expect(fx.lock().stages.a).toEqual(ours); // still parses, with this branch's entry
  });
});
