import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFixture, REPO_ROOT, runCli } from '../helpers/fixture.js';

const PIPELINE = `stages:
  train:
    cmd: echo model > model.txt
    outs: [model.txt]
`;

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory with no ml.yaml in it (nor, normally, above it). */
function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitml-empty-'));
  scratch.push(dir);
  return dir;
}

describe('gitml usage', () => {
  it('--help exits 0 and lists the commands', () => {
    const r = runCli(emptyDir(), ['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['init', 'status', 'repro', 'dag', 'params', 'metrics', 'checkout']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    }
  });

  it('repro --help exits 0 and documents its options', () => {
    const r = runCli(emptyDir(), ['repro', '--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--jobs', '--dry', '--keep-going', '--downstream', '--force']) expect(r.stdout).toContain(opt);
  });

  it('works as `git ml` through the git-ml bin', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    const bin = mkdtempSync(join(tmpdir(), 'gitml-bin-'));
    scratch.push(bin);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    symlinkSync(join(REPO_ROOT, pkg.bin['git-ml']), join(bin, 'git-ml'));
    const r = spawnSync('git', ['ml', 'status', '--json'], { cwd: fx.dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stages.train.reasons).toEqual(['never run']);
  });

  it('--version prints the version from package.json', () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runCli(emptyDir(), ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('an unknown command exits 2', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    const r = fx.gitml('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('frobnicate');
  });

  it('an unknown option exits 2', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    const r = fx.gitml('status', '--no-such-flag');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--no-such-flag');
  });

  it('-j 0 exits 2 and runs nothing', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    const r = fx.gitml('repro', '-j', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--jobs');
    expect(fx.exists('model.txt')).toBe(false);
    expect(fx.exists('ml.lock.json')).toBe(false);
  });

  it('repro --downstream without a stage exits 2 and runs nothing', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    const r = fx.gitml('repro', '--downstream');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--downstream');
    expect(fx.exists('model.txt')).toBe(false);
  });

  it('an unknown stage exits 2 and suggests the closest one', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    const r = fx.gitml('status', 'trian');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown stage `trian`; did you mean `train`?');
    const far = fx.gitml('status', 'nosuch');
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/unknown stage `nosuch`; the stages are \w/);
  });

  it('outside any workspace exits 2 and points at gitml init', () => {
    const dir = emptyDir();
    const r = runCli(dir, ['status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gitml init');
  });

  it('-C runs in another directory', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    const elsewhere = emptyDir();

    const s = runCli(elsewhere, ['-C', fx.dir, 'status']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('train: changed');

    const r = runCli(elsewhere, ['-C', fx.dir, 'repro']);
    expect(r.code, r.stderr).toBe(0);
    expect(fx.read('model.txt')).toBe('model\n');
    expect(fx.exists('ml.lock.json')).toBe(true);
    expect(readFileSync(join(fx.dir, 'ml.lock.json'), 'utf8')).toContain('model.txt');
    expect(existsSync(join(elsewhere, 'model.txt'))).toBe(false);
  });

  describe('a corrupt ml.lock.json', () => {
    for (const [what, text] of [
      ['invalid JSON', '{"schema": "1", "stages": {'],
      ['an unsupported schema', '{"schema": "99", "stages": {}}\n'],
    ] as const) {
      it(`(${what}) makes status exit 2 naming the file, and is left as it was`, () => {
        const fx = makeFixture({ 'ml.yaml': PIPELINE, 'ml.lock.json': text });
        const r = fx.gitml('status');
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('ml.lock.json');
        expect(fx.read('ml.lock.json')).toBe(text);

        const repro = fx.gitml('repro');
        expect(repro.code).toBe(2);
        expect(fx.read('ml.lock.json')).toBe(text);
        expect(fx.exists('model.txt')).toBe(false);
      });
    }
  });
});
