import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

/**
 * git's and gitml's own files are never outputs: repro deletes an output before its stage runs, and checkout and pull
 * write over it. A lockfile from another commit or a remote is input gitml did not write, so its paths are checked
 * before anything is written.
 */

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A committed repository with a hook-like file in .git and a tracked file, to see that nothing of it is lost. */
function repo(mlYaml: string): Fixture {
  const fx = makeFixture({ 'ml.yaml': mlYaml, 'keep.txt': 'kept\n', '.gitignore': '/ignored\n' });
  fx.git('add', '-A');
  fx.git('commit', '-qm', 'start');
  return fx;
}

describe('an output on a reserved path in ml.yaml', () => {
  const cases: [string, string, string][] = [
    ['.git', 'outs: [.git]', '`.git` is reserved'],
    ['.git/hooks', 'outs: [.git/hooks]', '`.git` is reserved'],
    ['.GIT (case-insensitive filesystems)', 'outs: [.GIT]', '`.GIT` is reserved'],
    ['a path normalised into .git', 'outs: [sub/../.git/config]', '`.git` is reserved'],
    ['a nested repository', 'outs: [vendor/lib/.git]', '`.git` is reserved for git'],
    ['.ml/x', 'outs: [.ml/x]', '`.ml` is reserved'],
    ['ml.lock.json', 'outs: [ml.lock.json]', '`ml.lock.json` is reserved'],
    ['ml.yaml', 'outs: [ml.yaml]', '`ml.yaml` is reserved'],
    ['.gitignore', 'outs: [.gitignore]', '`.gitignore` is reserved'],
    ['a nested .gitignore', 'metrics: [data/.gitignore]', '`.gitignore` is reserved'],
    ['. (the whole repository)', 'outs: [.]', 'is the whole workspace'],
  ];
  it.each(cases)('%s: exit 2 with ml.yaml:line:col, nothing run, the repository intact', (_name, outs, message) => {
    const fx = repo(`stages:\n  evil:\n    cmd: echo ran > ran.txt\n    ${outs}\n`);
    const r = fx.gitml('repro');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/ml\.yaml:4:\d+: stages\.evil\.(outs|metrics)\[0\]: /);
    expect(r.stderr).toContain(message);
    expect(fx.exists('ran.txt')).toBe(false);
    expect(fx.git('status', '--porcelain')).toBe('');
    expect(fx.read('keep.txt')).toBe('kept\n');
    expect(fx.exists('.git/HEAD')).toBe(true);
  });

  it('through wdir: `wdir: .git` with `outs: [hooks/pre-commit]` is refused where the output is written', () => {
    const fx = repo('stages:\n  evil:\n    wdir: .git\n    cmd: echo hi > hooks/pre-commit\n    outs: [hooks/pre-commit]\n');
    const r = fx.gitml('repro');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ml.yaml:5:12: stages.evil.outs[0]: `hooks/pre-commit` cannot be an output: `.git` is reserved for git and gitml');
    expect(fx.exists('.git/hooks/pre-commit')).toBe(false);
  });

  it('reports every reserved output at once', () => {
    const fx = repo('stages:\n  a:\n    cmd: "true"\n    outs: [.git]\n  b:\n    cmd: "true"\n    outs: [.ml/cache]\n');
    const r = fx.gitml('status');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ml.yaml:4:');
    expect(r.stderr).toContain('ml.yaml:7:');
  });

  it('ml.yaml may still be a dependency: reserved paths are never written, but may be read', () => {
    const fx = repo('stages:\n  ok:\n    cmd: cat ml.yaml > copy.txt\n    deps: [ml.yaml]\n    outs: [copy.txt]\n');
    ok(fx, 'repro');
    expect(fx.exists('copy.txt')).toBe(true);
  });
});

/** A valid lockfile whose one output path is `path`, as if written elsewhere and committed. */
function lockWith(path: string): string {
  const hash = `blake3:${'ab'.repeat(32)}`;
  return `${JSON.stringify(
    {
      schema: '1',
      stages: { build: { cmd: ['true'], deps: {}, outs: { [path]: { hash, size: 3 } } } },
    },
    null,
    2,
  )}\n`;
}

describe('output paths in a lockfile gitml did not write', () => {
  for (const evil of ['.git/hooks/pre-commit', '../x', '/tmp/abs', 'a\\..\\b', 'data/./x', '.ml/config.yaml']) {
    it(`\`${evil}\` at another commit: checkout --rev refuses with exit 2 and writes nothing`, () => {
      const fx = repo('stages:\n  build:\n    cmd: "true"\n');
      fx.write('ml.lock.json', lockWith(evil));
      fx.git('add', '-A');
      fx.git('commit', '-qm', 'a lockfile from elsewhere');
      fx.git('rm', '-q', 'ml.lock.json');
      fx.git('commit', '-qm', 'gone');
      const hooks = readdirSync(join(fx.dir, '.git/hooks')).sort();

      const r = fx.gitml('checkout', '--rev', 'HEAD~1');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`refusing output path \`${evil}\``);
      // Where in the file: line and column of the output's key.
      expect(r.stderr).toMatch(/ml\.lock\.json:10:9 \(at HEAD~1\): stages\.build\.outs: /);
      expect(readdirSync(join(fx.dir, '.git/hooks')).sort()).toEqual(hooks);
      expect(existsSync(join(fx.dir, '..', 'x'))).toBe(false);
      expect(fx.git('status', '--porcelain')).toBe('');
    });
  }

  it('pull in a fresh clone whose committed lockfile names .git/hooks/pre-commit refuses before fetching anything', () => {
    const remote = makeFixture({}, { git: false }).dir;
    const a = repo('stages:\n  build:\n    cmd: "true"\n');
    ok(a, 'remote', 'add', 'origin', remote, '--default');
    a.write('ml.lock.json', lockWith('.git/hooks/pre-commit'));
    a.git('add', '-A');
    a.git('commit', '-qm', 'hook');
    const b = makeFixture({}, { git: false });
    b.git('clone', '-q', a.dir, '.');

    const r = b.gitml('pull');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ml.lock.json:10:9: stages.build.outs: refusing output path `.git/hooks/pre-commit`: `.git` is reserved');
    expect(b.exists('.git/hooks/pre-commit')).toBe(false);
    expect(b.exists('.ml/cache/blake3')).toBe(false);
  });

  it('the lockfile merge driver refuses such a side instead of writing it into the merge', () => {
    const fx = makeFixture({}, { git: false });
    fx.write('base.json', lockWith('model.bin'));
    fx.write('ours.json', lockWith('model.bin'));
    fx.write('theirs.json', lockWith('.git/hooks/post-merge'));
    const before = fx.read('ours.json');
    const r = fx.gitml('merge-lock', 'base.json', 'ours.json', 'theirs.json', 'ml.lock.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing output path `.git/hooks/post-merge`');
    expect(fx.read('ours.json')).toBe(before);
  });
});
