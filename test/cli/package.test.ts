import { describe, expect, it } from 'vitest';
import { loadModel, ModelInputError } from '../../core/serve/model.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeFixture, type Fixture } from '../helpers/fixture.js';
import { packageFixture } from '../helpers/packaged-models.js';

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
}

const csvRows = (text: string): string[][] => text.trim().split('\n').map((l) => l.split(','));

describe('gitml/model/package and gitml predict', () => {
  const fx = packageFixture();

  it('packages a classifier and a regressor with their preprocessing in the graph, checked against the JS models', () => {
    const log = ok(fx, 'repro');
    expect(log).toMatch(/package: models\/churn -> models\/churn\.onnx \(3 raw inputs -> label, probabilities/);
    for (const m of ['gbdt', 'mlp']) {
      const metrics = JSON.parse(fx.read(`metrics/package-${m}.json`));
      expect(metrics.parity_rows).toBe(200);
      expect(metrics.parity_max_diff).toBeLessThan(1e-5);
    }
    const sig = JSON.parse(fx.read('models/churn.signature.json'));
    expect(sig).toMatchObject({ format: 'gitml-signature', name: 'churn', task: 'binary', model: 'gbdt', label: 'churned', classes: ['no', 'yes'] });
    expect(sig.inputs).toEqual([
      { name: 'tenure', datatype: 'FP64', shape: [-1] },
      { name: 'spend', datatype: 'FP64', shape: [-1] },
      { name: 'plan', datatype: 'BYTES', shape: [-1] },
    ]);
    expect(sig.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
    ]);
    expect(sig.model_version).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse(fx.read('models/amount.json'))).toMatchObject({ name: 'amount', task: 'regression', outputs: [{ name: 'value', datatype: 'FP64', shape: [-1] }] });
    // Deterministic: packaging again gives the same bytes, so the lock entry stays.
    const before = fx.read('ml.lock.json');
    ok(fx, 'repro', '-f', 'package-gbdt', 'package-mlp');
    expect(fx.read('ml.lock.json')).toBe(before);
  });

  it('predicts a file in batches, beside the id, with the model version; the same from Parquet and NDJSON', async () => {
    const log = ok(fx, 'predict', 'models/churn.onnx', '-i', 'new.csv', '-o', 'out/pred.csv', '--id', 'id', '--batch', '64');
    expect(log).toMatch(/wrote out\/pred\.csv: 200 predictions by churn \(version [0-9a-f]{16}\) from 1 file/);
    const rows = csvRows(fx.read('out/pred.csv'));
    expect(rows[0]).toEqual(['id', 'label', 'probability_no', 'probability_yes', 'model_version']);
    expect(rows).toHaveLength(201);
    const version = JSON.parse(fx.read('models/churn.signature.json')).model_version;
    for (const r of rows.slice(1)) {
      expect(Number(r[2]) + Number(r[3])).toBeCloseTo(1, 6);
      expect(r[1]).toBe(Number(r[3]) > Number(r[2]) ? 'yes' : 'no');
      expect(r[4]).toBe(version);
    }
    expect(rows.slice(1).map((r) => r[0])).toEqual(Array.from({ length: 200 }, (_, i) => String(1000 + i)));

    // The library gives the same answers, from records.
    const model = await loadModel(join(fx.dir, 'models/churn.onnx'));
    const records = csvRows(fx.read('new.csv'))
      .slice(1)
      .map(([, tenure, spend, plan]) => ({ tenure: Number(tenure), spend: spend === '' ? null : Number(spend), plan: plan === '' ? null : plan }));
    const answers = await model.predict(records);
    answers.forEach((a, i) => {
      expect(a.label).toBe(rows[i + 1]![1]);
      expect(a.probabilities!.yes).toBeCloseTo(Number(rows[i + 1]![3]), 6);
    });
    expect(model.metadata.classes).toEqual(['no', 'yes']);
    await expect(model.predict([{ tenure: 3, spend: 'a lot', plan: 'pro' }])).rejects.toThrow(ModelInputError);
    await expect(model.predict({ tenure: [3], plan: ['pro'] })).rejects.toThrow(/missing input column `spend`/);
    await model.close();

    // Another input format, another output format: the same predictions.
    fx.write('new.ndjson', records.map((r, i) => JSON.stringify({ id: 1000 + i, ...r })).join('\n') + '\n');
    ok(fx, 'predict', 'models/churn.onnx', '-i', 'new.ndjson', '-o', 'out/pred.ndjson', '--id', 'id');
    const nd = fx.read('out/pred.ndjson').trim().split('\n').map((l) => JSON.parse(l));
    expect(nd.map((r) => r.label)).toEqual(rows.slice(1).map((r) => r[1]));
    expect(nd[0]).toMatchObject({ id: 1000, model_version: version });
    const pl = (await import('nodejs-polars')).default;
    pl.readCSV(join(fx.dir, 'new.csv')).writeParquet(join(fx.dir, 'new.parquet'));
    ok(fx, 'predict', 'models/churn.onnx', '-i', 'new.parquet', '-o', 'out/pred.parquet', '--id', 'id', '--batch', '50');
    // 64-bit ids keep every digit (read as text, not as JS numbers).
    const big = pl.readCSV(fx.read('new.csv').replace(/\n1000,/, '\n9007199254740993,'));
    big.writeParquet(join(fx.dir, 'big-id.parquet'));
    ok(fx, 'predict', 'models/churn.onnx', '-i', 'big-id.parquet', '-o', 'out/big-id.csv', '--id', 'id');
    expect(fx.read('out/big-id.csv').split('\n')[1]).toMatch(/^9007199254740993,/);
    const pq = pl.readParquet(join(fx.dir, 'out/pred.parquet'));
    expect(pq.columns).toEqual(rows[0]);
    expect(pq.getColumn('label').toArray()).toEqual(rows.slice(1).map((r) => r[1]));
    expect(pq.getColumn('id').toArray().map(Number)).toEqual(rows.slice(1).map((r) => Number(r[0])));
  });

  it('runs batch prediction as a pipeline stage (gitml/model/predict), reproduced like any other', () => {
    fx.write('ml.yaml', `${fx.read('ml.yaml')}  score:
    uses: gitml/model/predict
    with:
      model: models/churn.onnx
      input: new.csv
      output: scored/new.parquet
      id: id
`);
    const log = ok(fx, 'repro', 'score');
    expect(log).toMatch(/predict: 200 rows of new\.csv by churn \(version [0-9a-f]{16}\) -> scored\/new\.parquet/);
    expect(fx.lock().stages.score.outs['scored/new.parquet']).toBeDefined();
    expect(ok(fx, 'status', 'score')).toMatch(/up to date/);
  });

  it('predicts a regression value, and names a missing column or a wrong value before writing anything', () => {
    ok(fx, 'predict', 'models/amount.onnx', '-i', 'new.csv', '-o', 'out/amount.csv');
    const rows = csvRows(fx.read('out/amount.csv'));
    expect(rows[0]).toEqual(['row', 'value', 'model_version']);
    expect(rows[1]![0]).toBe('1');
    expect(Number(rows[1]![1])).toBeGreaterThan(0);

    fx.write('bad.csv', 'id,tenure,plan\n1,3,pro\n');
    const missing = fx.gitml('predict', 'models/churn.onnx', '-i', 'bad.csv', '-o', 'out/bad.csv');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/bad\.csv: no column `spend`, which the model takes/);
    fx.write('bad.csv', 'id,tenure,spend,plan\n1,3,20,pro\n2,4,lots,pro\n');
    const wrong = fx.gitml('predict', 'models/churn.onnx', '-i', 'bad.csv', '-o', 'out/bad.csv');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/bad\.csv:3: `spend` must be a number, got "lots"/);
    expect(fx.exists('out/bad.csv')).toBe(false);
    // The same several batches in, while the batches before it are being predicted and written: nothing is left.
    fx.write('late.csv', `id,tenure,spend,plan\n${Array.from({ length: 40 }, (_, i) => `${i},3,${i === 33 ? 'lots' : 20},pro`).join('\n')}\n`);
    const late = fx.gitml('predict', 'models/churn.onnx', '-i', 'late.csv', '-o', 'out/late.csv', '--batch', '4');
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/late\.csv:35: `spend` must be a number, got "lots"/);
    expect(fx.exists('out/late.csv')).toBe(false);
    expect(readdirSync(join(fx.dir, 'out')).filter((f) => f.includes('late'))).toEqual([]);

    // A byte-order mark (as spreadsheets write) is not part of the first column's name; a missing --id column is
    // named as such; a 64-bit id from Parquet keeps every digit.
    fx.write('bom.csv', `\uFEFF${fx.read('new.csv')}`);
    ok(fx, 'predict', 'models/churn.onnx', '-i', 'bom.csv', '-o', 'out/bom.csv', '--id', 'id');
    expect(fx.read('out/bom.csv').split('\n')[1]).toMatch(/^1000,/);
    const noId = fx.gitml('predict', 'models/churn.onnx', '-i', 'new.csv', '-o', 'out/x.csv', '--id', 'customer');
    expect(noId.stderr).toMatch(/new\.csv: no column `customer` for --id/);
  });

  it('packages and predicts a model with a bool feature, taken as 1 and 0 as in training', async () => {
    const lines = ['x,vip,label'];
    for (let i = 0; i < 300; i++) {
      const x = ((i * 37) % 100) / 10;
      const vip = i % 3 === 0;
      lines.push(`${x},${vip},${x + (vip ? 4 : 0) > 6 ? 'yes' : 'no'}`);
    }
    const b = makeFixture({
      'train.csv': `${lines.join('\n')}\n`,
      'ml.yaml': `stages:
  train:
    uses: gitml/model/train
    with: {input: train.csv, label: label, model: gbdt, max_iter: 20, output: models/vip}
  package:
    uses: gitml/model/package
    with: {model: models/vip, output: models/vip.onnx, metrics: metrics/package.json}
`,
    });
    ok(b, 'repro');
    expect(JSON.parse(b.read('metrics/package.json')).parity_max_diff).toBeLessThan(1e-6);
    expect(JSON.parse(b.read('models/vip.signature.json')).inputs).toEqual([
      { name: 'x', datatype: 'FP64', shape: [-1] },
      { name: 'vip', datatype: 'FP64', shape: [-1] },
    ]);
    b.write('new.csv', 'x,vip\n5,true\n5,false\n');
    ok(b, 'predict', 'models/vip.onnx', '-i', 'new.csv', '-o', 'out.csv');
    expect(csvRows(b.read('out.csv')).map((r) => r[1])).toEqual(['label', 'yes', 'no']);
    const model = await loadModel(join(b.dir, 'models/vip.onnx'));
    expect((await model.predict([{ x: 5, vip: true }, { x: 5, vip: false }])).map((a) => a.label)).toEqual(['yes', 'no']);
    await model.close();
  });
});

