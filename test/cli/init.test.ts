import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

const PIPELINE = `stages:
  build:
    cmd: >-
      mkdir -p out &&
      echo one > out/a.txt &&
      echo weights > model.bin &&
      echo '{"acc": 1}' > metrics.json
    outs: [model.bin, out]
    metrics: [metrics.json]
`;

describe('gitml init', () => {
  it('creates .ml/.gitignore and a starter ml.yaml that gitml status accepts', () => {
    const fx = makeFixture({});
    const r = fx.gitml('init');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('created .ml/.gitignore');
    expect(r.stdout).toContain('created ml.yaml');
    expect(r.stderr).toBe('');
    expect(fx.exists('.ml/.gitignore')).toBe(true);
    expect(fx.exists('ml.yaml')).toBe(true);

    const s = fx.gitml('status');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/no stages/i);
  });

  it('a second init changes nothing and says it is already set up', () => {
    const fx = makeFixture({});
    expect(fx.gitml('init').code).toBe(0);
    // A user edits the starter file; init must not overwrite it.
    const edited = 'stages:\n  hello:\n    cmd: echo hi > hi.txt\n    outs: [hi.txt]\n';
    fx.write('ml.yaml', edited);
    const ignore = fx.read('.ml/.gitignore');
    const entries = readdirSync(join(fx.dir, '.ml')).sort();

    const r = fx.gitml('init');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/already set up/);
    expect(r.stdout).not.toContain('created');
    expect(fx.read('ml.yaml')).toBe(edited);
    expect(fx.read('.ml/.gitignore')).toBe(ignore);
    expect(readdirSync(join(fx.dir, '.ml')).sort()).toEqual(entries);
  });

  it('-q sets up the same and prints nothing, inside or outside git', () => {
    for (const git of [true, false]) {
      const fx = makeFixture({}, { git });
      expect(fx.gitml('-q', 'init')).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(fx.exists('.ml/.gitignore')).toBe(true);
      expect(fx.exists('ml.yaml')).toBe(true);
      expect(fx.gitml('-q', 'init')).toEqual({ code: 0, stdout: '', stderr: '' });
    }
  });

  it('works outside a git repository and warns about it on stderr', () => {
    const fx = makeFixture({}, { git: false });
    const r = fx.gitml('init');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('created ml.yaml');
    expect(r.stderr).toMatch(/not in a git repository/);
    expect(fx.exists('.ml/.gitignore')).toBe(true);
    expect(fx.exists('ml.yaml')).toBe(true);
    expect(fx.gitml('status').code).toBe(0);
  });

  it('keeps .ml/cache out of git, and ignores cached outputs but not metrics', () => {
    const fx = makeFixture({});
    expect(fx.gitml('init').code).toBe(0);
    fx.write('ml.yaml', PIPELINE);
    const r = fx.gitml('repro');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(fx.dir, '.ml/cache')).length).toBeGreaterThan(0);

    const porcelain = fx.git('status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean);
    expect(porcelain.filter((l) => l.includes('.ml/cache'))).toEqual([]);
    // What the user should commit shows up; what lives in the cache does not.
    expect(porcelain).toContain('?? .ml/.gitignore');
    expect(porcelain).toContain('?? ml.yaml');
    expect(porcelain).toContain('?? ml.lock.json');
    expect(porcelain).toContain('?? metrics.json');
    expect(porcelain.filter((l) => l.includes('model.bin') || l.includes('out/'))).toEqual([]);

    const rootIgnore = fx.read('.gitignore').split('\n').map((l) => l.trim());
    expect(rootIgnore).toContain('/model.bin');
    expect(rootIgnore).toContain('/out');
    expect(rootIgnore.filter((l) => l.includes('metrics.json'))).toEqual([]);
  });
});
