import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Random } from '../../core/steps/model/random.js';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

/** Two informative features and one of noise; a 3-class label and a numeric one. */
function dataset(rows: number, seed: number): string {
  const r = new Random(seed);
  const lines = ['x1,x2,noise,species,amount'];
  for (let i = 0; i < rows; i++) {
    const [x1, x2, noise] = [r.normal(), r.normal(), r.normal()];
    const species = x1 > 0.5 ? 'a' : x2 > 0 ? 'b' : 'c';
    lines.push(`${[x1, x2, noise].map((v) => v.toFixed(4)).join(',')},${species},${(3 * x1 - 2 * x2 + 0.1 * r.normal()).toFixed(4)}`);
  }
  return `${lines.join('\n')}\n`;
}

const TUNE = `  tune:
    uses: gitml/model/tune
    with:
      input: train.csv
      label: species
      features: [x1, x2, noise]
      model: gbdt
      max_iter: 15
      search:
        max_depth: [2, 3]
        learning_rate: [0.1, 0.3, 50]
      folds: 4
      seed: 7
      jobs: 2
      results: tune/results.csv
      best: tune/best.yaml
      metrics: tune/metrics.json
`;

const TRAIN = `  train:
    uses: gitml/model/train
    with:
      input: train.csv
      label: species
      features: [x1, x2, noise]
      model: gbdt
      max_iter: 15
      max_depth: \${max_depth}
      learning_rate: \${learning_rate}
      output: models/gbdt
  evaluate:
    uses: gitml/model/evaluate
    with:
      model: models/gbdt
      input: test.csv
      metrics: metrics/eval.json
`;

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
}

const sha = (fx: Fixture, path: string) => createHash('sha256').update(readFileSync(join(fx.dir, path))).digest('hex');
const csvRows = (text: string) => {
  const [head, ...rows] = text.trim().split('\n');
  const names = head!.split(',');
  return rows.map((line) => {
    const cells = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''));
    return Object.fromEntries(names.map((n, i) => [n, cells[i]]));
  });
};

describe('gitml/model/tune', () => {
  const fx = makeFixture({ 'train.csv': dataset(600, 1), 'test.csv': dataset(300, 2), 'ml.yaml': `stages:\n${TUNE}` });

  it('cross-validates every combination, records the failed ones with their reason, and writes the best settings', () => {
    const log = ok(fx, 'repro');
    expect(log).toMatch(/tune: 6 trials of gbdt \(multiclass\) x 4 folds on 600 rows, 2 at a time, by accuracy/);
    const rows = csvRows(fx.read('tune/results.csv'));
    expect(rows.map((r) => r.trial)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(Object.keys(rows[0]!)).toEqual(['trial', 'learning_rate', 'max_depth', 'accuracy_mean', 'accuracy_std', 'fold_1', 'fold_2', 'fold_3', 'fold_4', 'rank', 'status', 'reason']);
    const good = rows.filter((r) => r.learning_rate !== '50.0');
    const bad = rows.filter((r) => r.learning_rate === '50.0');
    expect(good.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(good.map((r) => Number(r.rank)).sort()).toEqual([1, 2, 3, 4]);
    for (const r of good) {
      expect(Number(r.accuracy_mean)).toBeGreaterThan(0.9);
      const folds = [r.fold_1, r.fold_2, r.fold_3, r.fold_4].map(Number);
      expect(Number(r.accuracy_mean)).toBeCloseTo(folds.reduce((a, b) => a + b) / 4, 12);
    }
    expect(bad).toHaveLength(2);
    for (const r of bad) {
      expect(r.status).toBe('failed');
      expect(r.rank).toBe('');
      expect(r.reason).toMatch(/learning_rate: must be a number in \(0, 10\], got 50/);
    }
    const best = parse(fx.read('tune/best.yaml'));
    const first = good.find((r) => r.rank === '1')!;
    expect(best).toEqual({ learning_rate: Number(first.learning_rate), max_depth: Number(first.max_depth) });
    expect(JSON.parse(fx.read('tune/metrics.json'))).toEqual({
      accuracy: Number(first.accuracy_mean),
      accuracy_std: Number(first.accuracy_std),
      best_trial: Number(first.trial),
      trials: 6,
      failed: 2,
    });
    expect(ok(fx, 'metrics', 'show')).toContain('tune/metrics.json');
  });

  it('gives byte-identical files on a rerun and with the trials run one at a time', () => {
    const files = ['tune/results.csv', 'tune/best.yaml', 'tune/metrics.json'];
    const before = files.map((f) => sha(fx, f));
    ok(fx, 'repro', '-f', '--no-run-cache', 'tune');
    expect(files.map((f) => sha(fx, f))).toEqual(before);
    fx.write('ml.yaml', fx.read('ml.yaml').replace('jobs: 2', 'jobs: 1'));
    ok(fx, 'repro', '--no-run-cache', 'tune');
    expect(files.map((f) => sha(fx, f))).toEqual(before);
  });

  it('feeds a train stage through vars: the model is trained with the best settings', () => {
    const best = parse(fx.read('tune/best.yaml'));
    fx.write('ml.yaml', `vars: [tune/best.yaml]\nstages:\n${TUNE.replace('jobs: 2', 'jobs: 1')}${TRAIN}`);
    const log = ok(fx, 'repro');
    expect(log).not.toMatch(/Running stage `tune`/);
    const meta = JSON.parse(fx.read('models/gbdt/metadata.json'));
    expect(meta.settings).toMatchObject(best);
    expect(JSON.parse(fx.read('metrics/eval.json')).accuracy).toBeGreaterThan(0.9);
  });

  it('feeds a train stage through `settings:` in one repro, and trains again in the same repro when the search changes', () => {
    const one = makeFixture({
      'train.csv': dataset(600, 1),
      'test.csv': dataset(300, 2),
      'ml.yaml': `stages:\n${TUNE.replace('jobs: 2', 'jobs: 1')}${TRAIN.replace(/      max_depth: .*\n      learning_rate: .*\n/, '      settings: tune/best.yaml\n')}`,
    });
    const settings = () => JSON.parse(one.read('models/gbdt/metadata.json')).settings;
    const changed = () => Object.entries(JSON.parse(one.gitml('status', '--json').stdout).stages).filter(([, s]) => (s as { changed: boolean }).changed);
    const log = ok(one, 'repro');
    expect(log).toMatch(/Running stage `tune`[\s\S]*Running stage `train`/);
    expect(settings()).toMatchObject(parse(one.read('tune/best.yaml')));
    expect(settings()).not.toHaveProperty('settings');
    expect(changed()).toEqual([]);

    one.write('ml.yaml', one.read('ml.yaml').replace('learning_rate: [0.1, 0.3, 50]', 'learning_rate: [0.2]'));
    ok(one, 'repro');
    expect(parse(one.read('tune/best.yaml')).learning_rate).toBe(0.2);
    expect(settings().learning_rate).toBe(0.2);
    expect(changed()).toEqual([]);
  });

  it('names each problem in a settings file at its line: not a model setting, also in with:, a value refused', () => {
    const bad = makeFixture({
      'train.csv': dataset(60, 1),
      'best.yaml': 'max_depth: 0\nlearning_rate: 0.1\noutput: elsewhere\n',
      'ml.yaml': `stages:\n${TRAIN.replace(/      max_depth: .*\n      learning_rate: .*\n/, '      settings: best.yaml\n      learning_rate: 0.3\n').replace(/  evaluate:[\s\S]*/, '')}`,
    });
    const r = bad.gitml('repro');
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/best\.yaml:2:1: `learning_rate` is also set in ml\.yaml `with:`; keep one/);
    expect(r.stderr + r.stdout).toMatch(/best\.yaml:3:1: `output` is not a model setting; set it in ml\.yaml `with:`/);
    bad.write('best.yaml', 'max_depth: 0\n');
    const r2 = bad.gitml('repro');
    expect(r2.code).toBe(1);
    expect(r2.stderr + r2.stdout).toMatch(/best\.yaml:1:12: `max_depth`: .*1/);
    expect(bad.exists('models/gbdt')).toBe(false);
  });

  it('records a neural trial whose loss diverges, and fails only when every trial fails', () => {
    const nn = makeFixture({
      'train.csv': dataset(200, 3),
      'ml.yaml': `stages:
  tune:
    uses: gitml/model/tune
    with:
      input: train.csv
      label: amount
      task: regression
      features: [x1, x2]
      model: mlp
      hidden: [4]
      epochs: 2
      optimizer: sgd
      backend: cpu
      search:
        learning_rate: [0.01, 1000000]
      folds: 2
      results: results.csv
      best: best.json
`,
    });
    ok(nn, 'repro');
    const rows = csvRows(nn.read('results.csv'));
    expect(rows.map((r) => [r.trial, r.status])).toEqual([
      ['1', 'ok'],
      ['2', 'diverged'],
    ]);
    expect(rows[1]!.reason).toMatch(/^fold 1: the loss stopped being finite at epoch 1/);
    expect(JSON.parse(nn.read('best.json'))).toEqual({ learning_rate: 0.01 });

    nn.write('ml.yaml', nn.read('ml.yaml').replace('[0.01, 1000000]', '[1000000, 10000000]'));
    const r = nn.gitml('repro');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/ml\.yaml:\d+:\d+: tune: every trial failed \(results\.csv lists them\): fold 1: the loss stopped being finite/);
    expect(csvRows(nn.read('results.csv')).map((row) => row.status)).toEqual(['diverged', 'diverged']);
  });

  it('points a setting the model does not take, an empty list and a wrong score at their place in ml.yaml', () => {
    const bad = makeFixture({
      'train.csv': dataset(50, 1),
      'ml.yaml': TUNE.replace('max_depth: [2, 3]', 'hidden: [[8]]\n        max_bins: []').replace('jobs: 2', 'score: rmse').replace(/^/, 'stages:\n'),
    });
    const r = bad.gitml('status');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ml\.yaml:11:9: .*`hidden` is not a setting of model gbdt; model gbdt takes learning_rate, max_iter/);
    expect(r.stderr).toMatch(/ml\.yaml:12:19: .*the list of values for `max_bins` is empty/);
    expect(r.stderr).toMatch(/ml\.yaml:16:14: .*`rmse` is not a classification metric/);
  });
});
