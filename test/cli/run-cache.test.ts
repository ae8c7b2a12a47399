import { lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, objectPath, type Fixture } from '../helpers/fixture.js';

/**
 * The run-cache: a stage whose exact inputs were seen before is restored from .ml/cache instead of run. Every command
 * appends its stage name to runs.log (not an output), so real executions can be counted.
 */

const PIPELINE = `stages:
  train:
    cmd: >-
      echo train >> runs.log &&
      mkdir -p model &&
      tr a-z A-Z < input.txt > model/weights.txt &&
      printf 'lr=\${train.lr}\\n' > model/config.txt &&
      printf '{"len": %s}' $(wc -c < input.txt) > metrics.json
    deps: [input.txt]
    outs: [model]
    metrics: [metrics.json]
  report:
    cmd: echo report >> runs.log && wc -c < model/weights.txt | tr -d ' ' > report.txt
    deps: [model/weights.txt]
    outs: [report.txt]
`;

const PARAMS = 'train:\n  lr: 0.1\n';
const OUTPUTS = ['model/weights.txt', 'model/config.txt', 'metrics.json', 'report.txt'];

function pipeline(extra: Record<string, string> = {}, ml = PIPELINE): Fixture {
  return makeFixture({ 'ml.yaml': ml, 'params.yaml': PARAMS, 'input.txt': 'abc\n', ...extra });
}

function repro(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml('repro', ...args);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return r.stdout;
}

/** How many times each stage's command really ran. */
function runs(fx: Fixture): Record<string, number> {
  const counts: Record<string, number> = {};
  const text = fx.exists('runs.log') ? fx.read('runs.log') : '';
  for (const line of text.split('\n').filter(Boolean)) counts[line] = (counts[line] ?? 0) + 1;
  return counts;
}

interface Snapshot {
  lock: string;
  files: Record<string, Buffer>;
}

function snapshot(fx: Fixture, files = OUTPUTS): Snapshot {
  return { lock: fx.read('ml.lock.json'), files: Object.fromEntries(files.map((f) => [f, readFileSync(join(fx.dir, f))])) };
}


/**
 * Runs the pipeline, changes it with `change`, runs it again, undoes the change and returns the first run's snapshot,
 * ready for the third repro. `undo` defaults to restoring input.txt.
 */
function backAndForth(fx: Fixture, change = () => fx.write('input.txt', 'abcdef\n'), undo = () => fx.write('input.txt', 'abc\n'), files = OUTPUTS): Snapshot {
  repro(fx);
  const first = snapshot(fx, files);
  change();
  const second = repro(fx);
  expect(second).toContain('Running stage `');
  expect(snapshot(fx, files).lock).not.toBe(first.lock);
  undo();
  return first;
}

describe('run-cache', () => {
  it('a dep changed and changed back is restored from the run-cache: nothing runs, outputs and ml.lock.json are as before', () => {
    const fx = pipeline();
    const first = backAndForth(fx);
    expect(runs(fx)).toEqual({ train: 2, report: 2 });
    expect(fx.read('model/weights.txt')).toBe('ABCDEF\n');

    const out = repro(fx);
    expect(out).toContain('Stage `train` restored from run-cache');
    expect(out).toContain('Stage `report` restored from run-cache');
    expect(out).not.toContain('Running stage');
    expect(runs(fx)).toEqual({ train: 2, report: 2 });
    expect(snapshot(fx)).toEqual(first);
    expect(fx.read('metrics.json')).toBe('{"len": 4}');
    expect(fx.gitml('status').stdout).toContain('Everything is up to date.');
  });

  it('--no-run-cache runs the stages for real', () => {
    const fx = pipeline();
    const first = backAndForth(fx);
    const out = repro(fx, '--no-run-cache');
    expect(out).toContain('Running stage `train` (dep `input.txt` modified)');
    expect(out).not.toContain('restored from run-cache');
    expect(runs(fx)).toEqual({ train: 3, report: 3 });
    expect(snapshot(fx)).toEqual(first);
  });

  it('-f runs the stages for real even when the run-cache holds their result', () => {
    const fx = pipeline();
    const first = backAndForth(fx);
    const out = repro(fx, '-f');
    expect(out).toContain('Running stage `train`');
    expect(out).toContain('Running stage `report`');
    expect(out).not.toContain('restored from run-cache');
    expect(runs(fx)).toEqual({ train: 3, report: 3 });
    expect(snapshot(fx)).toEqual(first);
  });

  it('a param changed and changed back also hits', () => {
    const fx = pipeline();
    const first = backAndForth(
      fx,
      () => fx.write('params.yaml', 'train:\n  lr: 0.2\n'),
      () => fx.write('params.yaml', PARAMS),
    );
    expect(fx.read('model/config.txt')).toBe('lr=0.2\n');
    // The weights came out the same, so `report` did not need to run again.
    expect(runs(fx)).toEqual({ train: 2, report: 1 });

    const out = repro(fx);
    expect(out).toContain('Stage `train` restored from run-cache');
    expect(out).not.toContain('Running stage');
    expect(runs(fx)).toEqual({ train: 2, report: 1 });
    expect(snapshot(fx)).toEqual(first);
    expect(fx.read('model/config.txt')).toBe('lr=0.1\n');
  });

  it('a missing cache object makes the entry a miss: the stage runs for real and its outputs are right', () => {
    const fx = pipeline();
    const first = backAndForth(fx);
    // The first version of model/weights.txt exists only in the cache now; remove that one object.
    const lock = JSON.parse(first.lock);
    const manifest = JSON.parse(readFileSync(objectPath(fx, lock.stages.train.outs.model.hash), 'utf8')) as { files: { path: string; hash: string }[] };
    const weights = objectPath(fx, manifest.files.find((f) => f.path === 'weights.txt')!.hash);
    rmSync(weights);

    const out = repro(fx);
    expect(out).toContain('Running stage `train` (dep `input.txt` modified)');
    expect(out).not.toContain('Stage `train` restored from run-cache');
    expect(runs(fx).train).toBe(3);
    expect(snapshot(fx)).toEqual(first);
    expect(readFileSync(weights, 'utf8')).toBe('ABC\n');
  });

  it('a stage with always_changed: true is never restored', () => {
    const ml = `stages:
  stamp:
    cmd: echo stamp >> runs.log && tr a-z A-Z < input.txt > out.txt
    deps: [input.txt]
    outs: [out.txt]
    always_changed: true
`;
    const fx = pipeline({}, ml);
    const first = backAndForth(fx, undefined, undefined, ['out.txt']);
    const out = repro(fx);
    expect(out).toContain('Running stage `stamp`');
    expect(out).not.toContain('restored from run-cache');
    expect(runs(fx)).toEqual({ stamp: 3 });
    expect(snapshot(fx, ['out.txt'])).toEqual(first);
    expect(fx.exists('.ml/cache/runs')).toBe(false);
  });

  it('a stage with a persist output is never restored', () => {
    const ml = `stages:
  append:
    cmd: echo append >> runs.log && tr a-z A-Z < input.txt >> history.txt
    deps: [input.txt]
    outs:
      - history.txt:
          persist: true
`;
    const fx = pipeline({}, ml);
    backAndForth(fx, undefined, undefined, ['history.txt']);
    const out = repro(fx);
    expect(out).toContain('Running stage `append`');
    expect(out).not.toContain('restored from run-cache');
    expect(runs(fx)).toEqual({ append: 3 });
    expect(fx.read('history.txt')).toBe('ABC\nABCDEF\nABC\n');
    expect(fx.exists('.ml/cache/runs')).toBe(false);
  });

  for (const mode of ['hardlink', 'symlink'] as const) {
    it(`${mode} mode: a hit places cached outputs as ${mode}s and restores the metrics as regular, writable files`, () => {
      const fx = pipeline({ '.ml/config.yaml': `cache:\n  link: ${mode}\n` });
      const first = backAndForth(fx);
      expect(fx.read('metrics.json')).toBe('{"len": 7}');
      // After a real run too, metrics stay plain private files: git tracks them.
      const ran = lstatSync(join(fx.dir, 'metrics.json'));
      expect(ran.isFile() && ran.nlink === 1 && (ran.mode & 0o200) !== 0).toBe(true);

      const out = repro(fx);
      expect(out).toContain('Stage `train` restored from run-cache');
      expect(runs(fx)).toEqual({ train: 2, report: 2 });
      expect(snapshot(fx)).toEqual(first);

      const metrics = lstatSync(join(fx.dir, 'metrics.json'));
      expect(metrics.isFile()).toBe(true);
      expect(metrics.nlink).toBe(1);
      expect(metrics.mode & 0o200).toBe(0o200);
      expect(fx.lock().stages.train.outs['metrics.json']).toMatchObject({ cache: false });

      const lock = fx.lock();
      const manifest = JSON.parse(readFileSync(objectPath(fx, lock.stages.train.outs.model.hash), 'utf8')) as { files: { path: string; hash: string }[] };
      for (const f of manifest.files) {
        const ws = join(fx.dir, 'model', f.path);
        if (mode === 'hardlink') expect(lstatSync(ws).ino).toBe(statSync(objectPath(fx, f.hash)).ino);
        else expect(lstatSync(ws).isSymbolicLink()).toBe(true);
      }
      expect(fx.gitml('status').stdout).toContain('Everything is up to date.');
    });
  }

  it('records one run-cache entry per distinct set of inputs', () => {
    const fx = pipeline();
    backAndForth(fx);
    repro(fx);
    const entries = readdirSync(join(fx.dir, '.ml/cache/runs'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    // train and report, each with two distinct inputs.
    expect(entries.length).toBe(4);
  });
});
