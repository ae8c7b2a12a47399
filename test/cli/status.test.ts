import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

const PIPELINE = `
stages:
  prepare:
    cmd: mkdir -p data && cp raw.txt data/raw.txt && cp extra.txt data/extra.txt
    deps: [raw.txt, extra.txt]
    params: [prepare.seed]
    outs: [data]
  train:
    cmd: cat data/raw.txt > model.txt && echo \${train.lr} >> model.txt
    deps: [data/raw.txt]
    outs: [model.txt]
  clock:
    cmd: date +%s%N > now.txt
    outs: [now.txt]
    always_changed: true
`;

function ran(): Fixture {
  const fx = makeFixture({
    'ml.yaml': PIPELINE,
    'params.yaml': 'prepare:\n  seed: 1\ntrain:\n  lr: 0.1\n',
    'raw.txt': 'rows\n',
    'extra.txt': 'more\n',
  });
  expect(fx.gitml('repro').code).toBe(0);
  return fx;
}

function statusJson(fx: Fixture): Record<string, { changed: boolean; reasons: string[]; missing?: { path: string; restore: string }[] }> {
  const r = fx.gitml('status', '--json');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).stages;
}

describe('gitml status', () => {
  it('says a stage never ran, in text and in the --json contract', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'prepare:\n  seed: 1\ntrain:\n  lr: 0.1\n', 'raw.txt': 'r\n', 'extra.txt': 'e\n' });
    const r = fx.gitml('status');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('prepare: changed\n    never run');
    expect(JSON.parse(fx.gitml('status', '--json').stdout)).toEqual({
      stages: {
        prepare: { changed: true, reasons: ['never run'] },
        train: { changed: true, reasons: ['never run'] },
        clock: { changed: true, reasons: ['never run'] },
      },
    });
  });

  it('reports up to date after a run, except for always_changed stages', () => {
    const fx = ran();
    expect(statusJson(fx)).toEqual({
      prepare: { changed: false, reasons: [] },
      train: { changed: false, reasons: [] },
      clock: { changed: true, reasons: ['always changed'] },
    });
  });

  it('names a modified and a deleted dependency', () => {
    const fx = ran();
    fx.write('raw.txt', 'other rows\n');
    fx.remove('extra.txt');
    expect(statusJson(fx).prepare).toEqual({ changed: true, reasons: ['dep `extra.txt` deleted', 'dep `raw.txt` modified'] });
  });

  it('names a changed param with old and new values, and a param used through ${}', () => {
    const fx = ran();
    fx.write('params.yaml', 'prepare:\n  seed: 2\ntrain:\n  lr: 0.05\n');
    const s = statusJson(fx);
    expect(s.prepare!.reasons).toEqual(['param `prepare.seed` changed `1 -> 2`']);
    expect(s.train!.reasons).toEqual(['command changed', 'param `train.lr` changed `0.1 -> 0.05`']);
  });

  it('names a missing and a modified output, including a file changed inside an output directory', () => {
    const fx = ran();
    fx.remove('model.txt');
    fx.write('data/extra.txt', 'tampered\n');
    const s = statusJson(fx);
    expect(s.train!.reasons).toEqual(['out `model.txt` not in the workspace']);
    expect(s.train!.missing).toEqual([{ path: 'model.txt', restore: 'checkout' }]);
    expect(s.prepare!.reasons).toEqual(['out `data` modified']);
  });

  it('in a fresh clone, says outputs are not in the workspace and how to bring them, for producer and consumer', () => {
    const a = ran();
    const clone = () => {
      const b = makeFixture({}, { git: false });
      b.git('clone', '-q', a.dir, '.');
      return b;
    };
    a.git('add', '-A');
    a.git('commit', '-qm', 'ran');
    // No remote and nothing cached: only a rerun brings it back.
    let s = statusJson(clone());
    expect(s.train!.reasons).toEqual(['dep `data/raw.txt` not in the workspace', 'out `model.txt` not in the workspace']);
    expect(s.train!.missing).toEqual([
      { path: 'data/raw.txt', restore: 'repro' },
      { path: 'model.txt', restore: 'repro' },
    ]);

    const remote = makeFixture({}, { git: false }).dir;
    expect(a.gitml('remote', 'add', 'origin', remote).code).toBe(0);
    a.git('add', '-A');
    a.git('commit', '-qm', 'remote');
    const b = clone();
    s = statusJson(b);
    expect(s.prepare!.missing).toEqual([{ path: 'data', restore: 'pull' }]);
    // The way back is said once, after the stages: `data`, `model.txt` and `now.txt`; `data/raw.txt` is inside `data`.
    const text = b.gitml('status').stdout;
    expect(text).toContain('train: changed\n    dep `data/raw.txt` not in the workspace\n    out `model.txt` not in the workspace\n');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '3 outputs are not in the workspace nor in the cache: `gitml pull` brings them from the default remote.',
    );
    expect(text.match(/gitml pull/g)).toHaveLength(1);
    // Once fetched into the cache, checkout is what brings them into the workspace.
    expect(a.gitml('push').code).toBe(0);
    expect(b.gitml('fetch').code).toBe(0);
    expect(statusJson(b).train!.missing).toEqual([
      { path: 'data/raw.txt', restore: 'checkout' },
      { path: 'model.txt', restore: 'checkout' },
    ]);
    expect(b.gitml('status').stdout.trimEnd().split('\n').at(-1)).toBe(
      '3 outputs are not in the workspace but in the cache: `gitml checkout` restores them.',
    );
    // repro says why a stage runs, briefly: no advice repeated per stage.
    const run = b.gitml('repro', '--dry').stdout;
    expect(run).toContain('train: would run (dep `data/raw.txt` not in the workspace; out `model.txt` not in the workspace)');
  });

  it('names a dependency added to ml.yaml and a changed command', () => {
    const fx = ran();
    fx.write('ml.yaml', PIPELINE.replace('deps: [data/raw.txt]', 'deps: [data/raw.txt, raw.txt]').replace('cat data/raw.txt >', 'cat  data/raw.txt >'));
    expect(statusJson(fx).train!.reasons).toEqual(['command changed', 'dep `raw.txt` added']);
  });

  it('limits itself to the named stages', () => {
    const fx = ran();
    expect(Object.keys(statusJson(fx))).toHaveLength(3);
    const r = fx.gitml('status', '--json', 'train');
    expect(Object.keys(JSON.parse(r.stdout).stages)).toEqual(['train']);
  });

  it('treats an edit that restores the same content as unchanged', () => {
    const fx = ran();
    fx.write('raw.txt', 'changed\n');
    fx.write('raw.txt', 'rows\n');
    expect(statusJson(fx).prepare).toEqual({ changed: false, reasons: [] });
  });

  it('reports a corrupt lockfile with exit 2 and leaves it as it was', () => {
    const fx = ran();
    fx.write('ml.lock.json', '{"schema": "1", "stages": {"train": {"cmd": "not a list", "deps": {}, "outs": {}}}}\n');
    const r = fx.gitml('status');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ml.lock.json:1:45: stages.train.cmd: must be array');
    expect(fx.read('ml.lock.json')).toContain('not a list');
  });
});
