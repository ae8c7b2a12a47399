import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, makeFixture, type Fixture } from '../helpers/fixture.js';

// `train` (cached output) takes a moment, so parallel runs overlap; `evaluate` scores lr * epochs.
const PIPELINE = `stages:
  train:
    cmd: >-
      test \${train.epochs} -gt 0 && sleep 0.4 && mkdir -p models &&
      echo "lr=\${train.lr} epochs=\${train.epochs}" > models/model.txt
    deps: [data.txt]
    outs: [models/model.txt]
  evaluate:
    cmd: >-
      awk -v lr=\${train.lr} -v e=\${train.epochs} 'BEGIN { printf "{\\"score\\": %.2f}", lr * e }' > metrics.json
    deps: [models/model.txt]
    metrics: [{path: metrics.json, better: {score: higher}}]
`;

const PARAMS = '# learning settings\ntrain:\n  lr: 0.1 # step size\n  epochs: 1\n';

let fx: Fixture;
let head: string;

beforeAll(() => {
  fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': PARAMS, 'data.txt': 'rows\n' });
  expect(fx.gitml('init').code).toBe(0);
  expect(fx.gitml('repro', '-q').code).toBe(0);
  fx.git('add', '-A');
  fx.git('commit', '-qm', 'baseline');
  head = fx.git('rev-parse', 'HEAD').trim();
});

interface ShowRow {
  name: string;
  status: string;
  info?: Record<string, any>;
  params: Record<string, Record<string, unknown>>;
  metrics: Record<string, Record<string, unknown>>;
}
const show = (): ShowRow[] => JSON.parse(fx.gitml('exp', 'show', '--json').stdout);

describe('gitml exp run', () => {
  it('runs one experiment per combination in parallel, leaving the working tree, index and branch alone', () => {
    const r = fx.gitml('exp', 'run', '-S', 'train.lr=0.5,0.25', '-S', 'train.epochs=2,4', '-n', 'sweep', '-j', '2');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('4 experiments recorded');
    expect(fx.git('status', '--porcelain')).toBe('');
    expect(fx.git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(fx.git('branch', '--show-current').trim()).toBe('main');
    expect(fx.read('params.yaml')).toBe(PARAMS);
    expect(fx.git('for-each-ref', '--format=%(refname)', 'refs/exps').split('\n').filter(Boolean)).toEqual([
      'refs/exps/sweep-1',
      'refs/exps/sweep-2',
      'refs/exps/sweep-3',
      'refs/exps/sweep-4',
    ]);

    const rows = show();
    expect(rows.map((x) => [x.name, x.params['params.yaml'], x.metrics['metrics.json']])).toEqual([
      ['HEAD', { 'train.epochs': 1, 'train.lr': 0.1 }, { score: 0.1 }],
      ['sweep-1', { 'train.epochs': 2, 'train.lr': 0.5 }, { score: 1 }],
      ['sweep-2', { 'train.epochs': 4, 'train.lr': 0.5 }, { score: 2 }],
      ['sweep-3', { 'train.epochs': 2, 'train.lr': 0.25 }, { score: 0.5 }],
      ['sweep-4', { 'train.epochs': 4, 'train.lr': 0.25 }, { score: 1 }],
    ]);
    // Two at a time: the first two runs overlapped.
    const [a, b] = [rows[1]!.info!, rows[2]!.info!];
    expect(a.started < b.finished && b.started < a.finished).toBe(true);
  });

  it('records who ran it, when, where, with what, on which data, and how it ended', () => {
    const info = show()[1]!.info!;
    expect(info).toMatchObject({
      name: 'sweep-1',
      base: head,
      params: { 'params.yaml:train.lr': 0.5, 'params.yaml:train.epochs': 2 },
      exitCode: 0,
    });
    expect(info.user).toBe('Test <test@example.com>');
    expect(typeof info.host).toBe('string');
    expect(info.node).toBe(process.version);
    expect(info.gitml).toMatch(/^\d+\.\d+\.\d+/);
    expect(Date.parse(info.finished) - Date.parse(info.started)).toBeGreaterThanOrEqual(400);
    expect(info.durationS).toBeGreaterThan(0);
    expect(Object.keys(info.data)).toEqual(['data.txt']);
    expect(info.data['data.txt']).toBe(fx.lock().stages.train.deps['data.txt'].hash);
    // The commit holds the params as run (comments kept), the lockfile and the metrics.
    expect(fx.git('show', 'refs/exps/sweep-1:params.yaml')).toBe('# learning settings\ntrain:\n  lr: 0.5 # step size\n  epochs: 2\n');
    expect(fx.git('show', 'refs/exps/sweep-1:metrics.json')).toBe('{"score": 1.00}');
    expect(JSON.parse(fx.git('show', 'refs/exps/sweep-1:ml.lock.json')).stages.train.params['params.yaml']).toEqual({
      'train.epochs': 2,
      'train.lr': 0.5,
    });
  });

  it('records a failed run with its exit status and exits 1', () => {
    const r = fx.gitml('exp', 'run', '-S', 'train.epochs=0', '-n', 'broken');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('broken failed; see .ml/logs/exps/<name>.log');
    const row = show().find((x) => x.name === 'broken')!;
    expect(row.status).toBe('failed (1)');
    expect(row.info!.exitCode).toBe(1);
    expect(fx.read('.ml/logs/exps/broken.log')).toContain('Stage `train` failed');
    expect(fx.gitml('exp', 'remove', 'broken').code).toBe(0);
  });

  it('rejects unknown keys, taken names and malformed options before running anything', () => {
    const typo = fx.gitml('exp', 'run', '-S', 'train.lrr=1');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('params.yaml has no key `train.lrr`; did you mean `train.lr`?');
    expect(fx.gitml('exp', 'run', '-S', 'train.lr', '-n', 'x').stderr).toContain('expected [file:]key=value');
    expect(fx.gitml('exp', 'run', '-S', 'train.lr=1', '-n', 'sweep-1').stderr).toContain('an experiment named `sweep-1` exists');
    expect(fx.gitml('exp', 'run', '-n', 'bad name').stderr).toContain('is not a valid experiment name');
  });
});

describe('gitml exp show', () => {
  it('prints a table with the params that differ, sorted by a metric best first', () => {
    const lines = fx.gitml('exp', 'show', '--sort-by', 'score').stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Experiment\s+Rev\s+Status\s+Created\s+score\s+train\.epochs\s+train\.lr$/);
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['Experiment', 'HEAD', 'sweep-2', 'sweep-1', 'sweep-4', 'sweep-3']);
    expect(lines[2]).toMatch(/^sweep-2\s+[0-9a-f]{7}\s+success\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+2\s+4\s+0\.5$/);
  });

  it('prints markdown and CSV', () => {
    expect(fx.gitml('exp', 'show', '--md').stdout.split('\n')[1]).toBe('| --- | --- | --- | --- | ---: | ---: | ---: |');
    const csv = fx.gitml('exp', 'show', '--csv').stdout.trim().split('\n');
    expect(csv[0]).toBe('Experiment,Rev,Status,Created,score,train.epochs,train.lr');
    expect(csv[1]).toMatch(/^HEAD,[0-9a-f]{7},baseline,,0.1,1,0.1$/);
  });

  it('sorts best first by the declared `better:` direction when --sort-by is absent', () => {
    const lines = fx.gitml('exp', 'show').stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['Experiment', 'HEAD', 'sweep-2', 'sweep-1', 'sweep-4', 'sweep-3']);
    expect(fx.gitml('exp', 'show', '--md').stdout.split('\n').slice(2, 7).map((l) => l.split(' | ')[0])).toEqual(['| HEAD', '| sweep-2', '| sweep-1', '| sweep-4', '| sweep-3']);
  });

  it('picks columns with --only and --drop, params the same everywhere included when named', () => {
    const head = (...args: string[]) => fx.gitml('exp', 'show', ...args).stdout.split('\n')[0]!.split(/\s+/);
    expect(head('--only', 'train.lr,score')).toEqual(['Experiment', 'Rev', 'Status', 'Created', 'train.lr', 'score']);
    expect(head('--drop', 'score')).toEqual(['Experiment', 'Rev', 'Status', 'Created', 'train.epochs', 'train.lr']);
    const typo = fx.gitml('exp', 'show', '--only', 'train.rl');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe('error: --only train.rl: no such metric or param; did you mean `train.lr`?\n');
  });

  it('fits the terminal width, leaving out the last columns with a count', () => {
    const show = (columns: string) =>
      spawnSync(process.execPath, [CLI, 'exp', 'show'], { cwd: fx.dir, encoding: 'utf8', env: { ...process.env, COLUMNS: columns } }).stdout.trim().split('\n');
    let lines = show('60');
    expect(lines[0]).toMatch(/^Experiment\s+Rev\s+Status\s+Created\s+score$/);
    for (const l of lines.slice(0, -1)) expect(l.length).toBeLessThanOrEqual(60);
    expect(lines.at(-1)).toBe('... 2 more columns (pick with --only/--drop)');
    lines = show('70');
    expect(lines[0]).toMatch(/^Experiment\s+Rev\s+Status\s+Created\s+score\s+train\.epochs$/);
    expect(lines.at(-1)).toBe('... 1 more column: train.lr (pick with --only/--drop)');
    // Every column when the output is not a terminal and COLUMNS is unset.
    const piped = spawnSync(process.execPath, [CLI, 'exp', 'show'], { cwd: fx.dir, encoding: 'utf8', env: { ...process.env, COLUMNS: '' } });
    expect(piped.stdout.split('\n')[0]).toMatch(/score\s+train\.epochs\s+train\.lr$/);
  });

  it('names an unknown metric to sort by', () => {
    const r = fx.gitml('exp', 'show', '--sort-by', 'acc');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--sort-by acc: no experiment has that metric; the metrics are score');
  });
});

describe('gitml exp diff, apply, branch, remove', () => {
  it('diffs two experiments by name', () => {
    const r = fx.gitml('exp', 'diff', 'sweep-1', 'sweep-2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.params['params.yaml']).toEqual({ 'train.epochs': { old: 2, new: 4, change: 2, relative: 1 } });
    expect(out.metrics['metrics.json'].score).toMatchObject({ old: 1, new: 2, verdict: 'better' });
    expect(out.outputs.map((o: { path: string }) => o.path)).toEqual(['models/model.txt']);
  });

  it('applies an experiment: params, lockfile, metrics and cached outputs, without running anything', () => {
    fx.write('params.yaml', `${PARAMS}# local note\n`);
    const refused = fx.gitml('exp', 'apply', 'sweep-2');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('params.yaml has uncommitted changes that applying sweep-2 would overwrite');
    fx.git('checkout', '--', 'params.yaml');

    const r = fx.gitml('exp', 'apply', 'sweep-2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('applied params.yaml');
    expect(r.stdout).toContain('restored models/model.txt');
    expect(fx.read('models/model.txt')).toBe('lr=0.5 epochs=4\n');
    expect(fx.read('metrics.json')).toBe('{"score": 2.00}');
    expect(fx.gitml('status').stdout).toContain('Everything is up to date.');
    fx.git('checkout', '--', '.');
    expect(fx.gitml('checkout', '-q').code).toBe(0);
  });

  it('creates a branch at an experiment, and removes experiments', () => {
    const r = fx.gitml('exp', 'branch', 'sweep-3', 'try-lr');
    expect(r.code, r.stderr).toBe(0);
    expect(fx.git('rev-parse', 'try-lr').trim()).toBe(fx.git('rev-parse', 'refs/exps/sweep-3').trim());
    expect(fx.git('log', '-1', '--format=%s', 'try-lr').trim()).toBe('exp sweep-3: train.lr=0.25 train.epochs=2');
    expect(fx.gitml('exp', 'branch', 'sweep-3', 'try-lr').stderr).toContain('a branch named `try-lr` already exists');

    expect(fx.gitml('exp', 'remove', 'sweep-9').stderr).toContain('no experiment named `sweep-9`; did you mean');
    expect(fx.gitml('exp', 'remove', 'sweep-4').stdout).toContain('Removed sweep-4.');
    expect(show().map((x) => x.name)).toEqual(['HEAD', 'sweep-1', 'sweep-2', 'sweep-3']);
    expect(fx.gitml('exp', 'remove', '--all').code).toBe(0);
    expect(show().map((x) => x.name)).toEqual(['HEAD']);
  });
});

/**
 * A committed baseline and one experiment, `three` (epochs 3), in a workspace of its own; `model` is the hash of the
 * experiment's cached model and `object` where the cache keeps it.
 */
function withExperiment(): { g: Fixture; model: string; object: string } {
  const g = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': PARAMS, 'data.txt': 'rows\n' });
  expect(g.gitml('repro', '-q').code).toBe(0);
  g.git('add', '-A');
  g.git('commit', '-qm', 'baseline');
  expect(g.gitml('exp', 'run', '-S', 'train.epochs=3', '-n', 'three').code).toBe(0);
  const model = JSON.parse(g.git('show', 'refs/exps/three:ml.lock.json')).stages.train.outs['models/model.txt'].hash as string;
  return { g, model, object: `.ml/cache/blake3/${model.slice(7, 9)}/${model.slice(9)}` };
}

describe('gitml exp run with values JSON cannot hold', () => {
  it('records an integer beyond 2^53 with every digit and NaN as NaN, in params.yaml and in exp show', () => {
    const g = makeFixture({ 'ml.yaml': 'stages:\n  s:\n    cmd: echo ${seed} > seed.txt\n    metrics: [{path: seed.txt, cache: false}]\n', 'params.yaml': 'seed: 1\n' });
    expect(g.gitml('repro', '-q').code).toBe(0);
    g.git('add', '-A');
    g.git('commit', '-qm', 'baseline');
    const r = g.gitml('exp', 'run', '-S', 'seed=12345678901234567891,.nan', '-n', 'big');
    expect(r.code, r.stderr).toBe(0);
    expect(g.git('show', 'refs/exps/big-1:params.yaml')).toBe('seed: 12345678901234567891\n');
    expect(g.git('show', 'refs/exps/big-2:params.yaml')).toBe('seed: .nan\n');
    const rows = JSON.parse(g.gitml('exp', 'show', '--json').stdout) as ShowRow[];
    expect(rows.map((x) => x.info?.params)).toEqual([
      undefined,
      { 'params.yaml:seed': { $int: '12345678901234567891' } },
      { 'params.yaml:seed': { $float: 'nan' } },
    ]);
  });
});

describe('experiments and gc', () => {
  it('gc keeps the outputs of experiments until they are removed; --no-experiments drops them only with --force', () => {
    const { g, model, object } = withExperiment();
    expect(g.exists(object)).toBe(true);
    const kept = g.gitml('gc');
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('1 experiment) reference');
    expect(g.exists(object)).toBe(true);

    const refused = g.gitml('gc', '--no-experiments');
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(`models/model.txt (stage train)  ${model}`);
    expect(refused.stderr).toContain('still referenced by experiments');
    expect(g.exists(object)).toBe(true);
    expect(g.gitml('gc', '--no-experiments', '--dry').code).toBe(0);
    expect(g.exists(object)).toBe(true);

    expect(g.gitml('exp', 'remove', 'three').code).toBe(0);
    expect(g.gitml('gc').code).toBe(0);
    expect(g.exists(object)).toBe(false);
  });

  it('gc --no-experiments --force drops what only experiments reference', () => {
    const g = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': PARAMS, 'data.txt': 'rows\n' });
    expect(g.gitml('repro', '-q').code).toBe(0);
    g.git('add', '-A');
    g.git('commit', '-qm', 'baseline');
    expect(g.gitml('exp', 'run', '-S', 'train.epochs=3', '-n', 'three').code).toBe(0);
    const model = JSON.parse(g.git('show', 'refs/exps/three:ml.lock.json')).stages.train.outs['models/model.txt'].hash;
    const r = g.gitml('gc', '--no-experiments', '--force');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dropping objects that only experiments (refs/exps) reference');
    expect(g.exists(`.ml/cache/blake3/${model.slice(7, 9)}/${model.slice(9)}`)).toBe(false);
    // The baseline's outputs stay.
    const base = g.lock().stages.train.outs['models/model.txt'].hash as string;
    expect(g.exists(`.ml/cache/blake3/${base.slice(7, 9)}/${base.slice(9)}`)).toBe(true);
  });
});

describe('gitml exp apply with objects missing', () => {
  it('exits 1 naming the missing output and leaves params, lockfile, metrics and outputs as they were', () => {
    const { g, model, object } = withExperiment();
    g.remove(object);
    const before = ['params.yaml', 'ml.lock.json', 'metrics.json', 'models/model.txt'].map((f) => g.read(f));

    const r = g.gitml('exp', 'apply', 'three');
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('Applied');
    expect(r.stderr).toContain(`1 output of three is not in the cache: models/model.txt (stage train, ${model}). Nothing was changed.`);
    expect(r.stderr).toContain('`gitml repro --rev three`');
    expect(['params.yaml', 'ml.lock.json', 'metrics.json', 'models/model.txt'].map((f) => g.read(f))).toEqual(before);
  });

  it('refuses while another gitml process holds the workspace, before writing anything', () => {
    const { g } = withExperiment();
    const files = ['params.yaml', 'ml.lock.json', 'metrics.json', 'models/model.txt'];
    const before = files.map((f) => g.read(f));
    // The test runner stands in for a running `gitml repro`: a live process named in the guard.
    g.write('.ml/state/running.pid', String(process.pid));
    const r = g.gitml('exp', 'apply', 'three');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`another gitml process (pid ${process.pid})`);
    expect(files.map((f) => g.read(f))).toEqual(before);
    g.remove('.ml/state/running.pid');
    expect(g.gitml('exp', 'apply', 'three').code).toBe(0);
    expect(g.read('params.yaml')).toContain('epochs: 3');
  });

  it('a corrupt object, found only while it is copied, undoes the apply: the workspace is as it was', () => {
    const { g, object } = withExperiment();
    const abs = join(g.dir, object);
    chmodSync(abs, 0o644);
    writeFileSync(abs, readFileSync(abs, 'utf8').replace('epochs=3', 'epochs=9'));
    const files = ['params.yaml', 'ml.lock.json', 'metrics.json', 'models/model.txt'];
    const before = files.map((f) => g.read(f));

    const r = g.gitml('exp', 'apply', 'three');
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('Applied');
    expect(r.stderr).toContain('corrupt cache object, not used: models/model.txt');
    expect(r.stderr).toContain('Nothing of three was applied: the workspace is as it was.');
    expect(files.map((f) => g.read(f))).toEqual(before);
    expect(g.gitml('status').stdout).toContain('Everything is up to date.');
  });
});
