import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/steps/model/random.js';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

/** A CSV of `rows` rows: two informative features, one noise feature, a binary, a 3-class and a numeric label. */
function dataset(rows: number, seed: number): string {
  const r = new Random(seed);
  const lines = ['x1,x2,noise,churned,species,amount'];
  for (let i = 0; i < rows; i++) {
    const x1 = r.normal();
    const x2 = r.normal();
    const noise = r.normal();
    const churned = x1 + 0.5 * x2 + 0.3 * r.normal() > 0 ? 'yes' : 'no';
    const species = x1 > 0.5 ? 'a' : x2 > 0 ? 'b' : 'c';
    const amount = 3 * x1 - 2 * x2 + 0.1 * r.normal();
    lines.push([x1, x2, noise].map((v) => v.toFixed(4)).join(',') + `,${churned},${species},${amount.toFixed(4)}`);
  }
  return `${lines.join('\n')}\n`;
}

const PIPELINE = `stages:
  train-mlp:
    uses: gitml/model/train
    with:
      input: train.csv
      label: churned
      features: [x1, x2, noise]
      model: mlp
      hidden: [16]
      epochs: 8
      batch_size: 32
      learning_rate: 0.01
      backend: cpu
      seed: 3
      output: models/mlp
      record: runs/mlp.json
      metrics: metrics/train-mlp.json
      history: plots/history-mlp.json
  eval-mlp:
    uses: gitml/model/evaluate
    with:
      model: models/mlp
      input: test.csv
      metrics: metrics/eval-mlp.json
      roc: plots/roc.json
      pr: plots/pr.json
      confusion: plots/confusion.json
      importance: plots/importance.json
      threshold: max_f1
  train-gbdt:
    uses: gitml/model/train
    with:
      input: train.csv
      label: species
      features: [x1, x2, noise]
      model: gbdt
      max_iter: 30
      output: models/gbdt
  eval-gbdt:
    uses: gitml/model/evaluate
    with:
      model: models/gbdt
      input: test.csv
      metrics: metrics/eval-gbdt.json
      roc: plots/roc-gbdt.json
      pr: plots/pr-gbdt.json
  train-linear:
    uses: gitml/model/train
    with:
      input: train.csv
      label: amount
      features: [x1, x2]
      model: linear
      epochs: 30
      learning_rate: 0.05
      backend: cpu
      output: models/linear
  eval-linear:
    uses: gitml/model/evaluate
    with:
      model: models/linear
      input: test.csv
      metrics: metrics/eval-linear.json
      predicted: plots/predicted.json
  accept:
    uses: gitml/model/accept
    with:
      model: models/gbdt
      input: test.csv
      checks:
        - accuracy >= 0.85
        - per_class.a.recall >= 0.8
      max_latency_ms: 50
      report: metrics/accept.json
`;

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Every file under `dir` with its SHA-256, for comparing two runs byte for byte. */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length + 1)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('the model steps', () => {
  const fx = makeFixture({ 'train.csv': dataset(600, 1), 'test.csv': dataset(300, 2), 'ml.yaml': PIPELINE });

  it('train and evaluate a binary MLP, a 3-class gbdt and a linear regression, with metrics and plots', () => {
    ok(fx, 'repro');
    const mlp = JSON.parse(fx.read('metrics/eval-mlp.json'));
    expect(mlp.accuracy).toBeGreaterThan(0.85);
    expect(mlp.roc_auc).toBeGreaterThan(0.9);
    expect(mlp.importance.x1).toBeGreaterThan(mlp.importance.noise);
    const meta = JSON.parse(fx.read('models/mlp/metadata.json'));
    expect(meta).toMatchObject({ model: 'mlp', task: 'binary', label: 'churned', classes: ['no', 'yes'], backend: { name: 'cpu', deterministic: true } });
    expect(meta.features.map((f: { name: string }) => f.name)).toEqual(['x1', 'x2', 'noise']);
    expect(meta.data.train).toMatchObject({ path: 'train.csv', rows: 600 });
    expect(meta.data.train.hash).toMatch(/^blake3:[0-9a-f]{64}$/);
    const record = JSON.parse(fx.read('runs/mlp.json'));
    expect(record.rows_per_second).toBeGreaterThan(0);
    expect(record.node).toBe(process.version);
    expect(JSON.parse(fx.read('plots/history-mlp.json'))[0]).toHaveProperty('accuracy');
    expect(JSON.parse(fx.read('metrics/train-mlp.json'))).toMatchObject({ backend: 'cpu', epochs: 8, stopped_early: false });
    expect(JSON.parse(fx.read('models/mlp.monitor.json'))[0]).toHaveProperty('epoch');

    const gbdt = JSON.parse(fx.read('metrics/eval-gbdt.json'));
    expect(gbdt.accuracy).toBeGreaterThan(0.9);
    expect(Object.keys(gbdt.per_class)).toEqual(['a', 'b', 'c']);
    // Multiclass curves pool every row's one-vs-rest decisions (300 rows x 3 classes: 300 positives, 600 negatives).
    const roc: { fpr: number; tpr: number }[] = JSON.parse(fx.read('plots/roc-gbdt.json'));
    expect(roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    for (let i = 1; i < roc.length; i++) expect(roc[i]!.fpr >= roc[i - 1]!.fpr && roc[i]!.tpr >= roc[i - 1]!.tpr).toBe(true);
    for (const p of roc) expect([p.fpr * 600, p.tpr * 300].map((c) => Math.abs(c - Math.round(c)))).toEqual([expect.closeTo(0, 9), expect.closeTo(0, 9)]);
    const auc = roc.slice(1).reduce((a, p, i) => a + ((p.fpr - roc[i]!.fpr) * (p.tpr + roc[i]!.tpr)) / 2, 0);
    expect(auc).toBeGreaterThan(0.95);
    const pr: { recall: number; precision: number }[] = JSON.parse(fx.read('plots/pr-gbdt.json'));
    expect(pr[0]).toMatchObject({ recall: 0, precision: 1 });
    expect(pr.at(-1)!.recall).toBe(1);
    const linear = JSON.parse(fx.read('metrics/eval-linear.json'));
    expect(linear.rmse).toBeLessThan(0.5);
    expect(linear.r2).toBeGreaterThan(0.95);

    // The metrics are declared with their directions, and the plots as plots.
    expect(ok(fx, 'metrics', 'show')).toContain('metrics/eval-mlp.json');
    const plots = ok(fx, 'plots', 'show', '--json');
    // The training history draws every figure it has, not only the first.
    expect(JSON.parse(plots)['plots/history-mlp.json'].transform).toEqual([{ fold: ['loss', 'accuracy'], as: ['field', 'value'] }]);
    for (const p of ['plots/roc.json', 'plots/pr.json', 'plots/confusion.json', 'plots/importance.json', 'plots/predicted.json', 'plots/roc-gbdt.json']) expect(plots).toContain(p);
  });

  it('accepts a model that passes its checks, and fails naming each check that does not hold', () => {
    const report = JSON.parse(fx.read('metrics/accept.json'));
    expect(report.passed).toBe(true);
    expect(report.checks['accuracy >= 0.85'].passed).toBe(true);
    // The time is in the log, not the report, which must come out the same on every run.
    expect(report.checks['latency_ms_per_row <= 50']).toEqual({ passed: true });
    const strict = makeFixture({ 'train.csv': dataset(600, 1), 'test.csv': dataset(300, 2), 'ml.yaml': PIPELINE.replace('accuracy >= 0.85', 'log_loss <= 0.000001').replace('per_class.a.recall', 'per_class.z.recall') });
    const r = strict.gitml('repro', 'accept');
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/ml\.yaml:\d+:7: accept: 2 of 3 acceptance checks failed: log_loss = [\d.e-]+, needs <= 0\.000001; per_class\.z\.recall: no such metric for this model/);
    const typo = strict.gitml('status');
    expect(typo.code).toBe(0);
    strict.write('ml.yaml', strict.read('ml.yaml').replace('- log_loss <= 0.000001', '- accuracy at least 0.9'));
    const bad = strict.gitml('status');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ml\.yaml:\d+:11: .*`accuracy at least 0\.9` is not a check: write METRIC OP NUMBER/);
  });

  it('gives byte-identical models and metrics when run again', () => {
    const before = { models: digest(join(fx.dir, 'models')), metrics: digest(join(fx.dir, 'metrics')) };
    ok(fx, 'repro', '-f', '--no-run-cache');
    const after = { models: digest(join(fx.dir, 'models')), metrics: digest(join(fx.dir, 'metrics')) };
    // The run record (runs/mlp.json) says who and when: it differs, and is declared so.
    expect(fx.lock().stages['train-mlp'].outs['runs/mlp.json']).toBeDefined();
    for (const side of ['models', 'metrics'] as const)
      for (const [file, hash] of Object.entries(before[side])) expect(after[side][file], `${side}/${file}`).toBe(hash);
    expect(after).toEqual(before);
  });

  it('points a text feature and an unknown class weight at their settings in ml.yaml', () => {
    const bad = makeFixture({
      'train.csv': dataset(50, 1),
      'ml.yaml': 'stages:\n  t:\n    uses: gitml/model/train\n    with:\n      input: train.csv\n      label: churned\n      model: gbdt\n      output: m\n',
    });
    const r = bad.gitml('repro');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('ml.yaml:4:5: train: column `species` is string, and models take numbers');
    bad.write('ml.yaml', bad.read('ml.yaml').replace('      output: m\n', '      output: m\n      features: [x1]\n      class_weight: {maybe: 2}\n'));
    const w = bad.gitml('repro');
    expect(w.stdout + w.stderr).toMatch(/ml\.yaml:10:7: train: class_weight names `maybe`, not a class of the label/);
  });
});
