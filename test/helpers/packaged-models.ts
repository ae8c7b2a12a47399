// Packaged models for the tests of packaging, predicting and serving: a small pipeline trains and packages a binary
// gbdt (numeric and text inputs, one-hot in the graph) and an MLP regression (imputation, normalize, bucketize and
// ordinal in the graph).
import { expect } from 'vitest';
import { Random } from '../../core/steps/model/random.js';
import { makeFixture, type Fixture } from './fixture.js';

const PLANS = ['basic', 'pro', 'team'];

/**
 * Raw rows: an id, two numbers (spend sometimes missing), a plan (text, sometimes missing; `enterprise` only in the
 * new rows, unseen at fit time), a binary label and a numeric target.
 */
export function dataset(rows: number, seed: number, unseen = false): string {
  const r = new Random(seed);
  const lines = ['id,tenure,spend,plan,churned,amount'];
  for (let i = 0; i < rows; i++) {
    const tenure = Math.floor(r.next() * 60);
    const spend = r.next() < 0.05 ? '' : (20 + 80 * r.next()).toFixed(2);
    const plan = r.next() < 0.05 ? '' : unseen && i % 10 === 0 ? 'enterprise' : PLANS[Math.floor(r.next() * 3)]!;
    const s = spend === '' ? 50 : Number(spend);
    const z = -0.05 * tenure + 0.03 * s + (plan === 'pro' ? 1 : plan === 'team' ? -1 : 0) + 0.5 * r.normal();
    lines.push(`${1000 + i},${tenure},${spend},${plan},${z > 0 ? 'yes' : 'no'},${(2 * tenure + s + 10 * (plan === 'pro' ? 1 : 0) + r.normal()).toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

export const PIPELINE = `stages:
  features:
    uses: gitml/data/features
    with:
      input: train.csv
      output: features.parquet
      transform: transform.json
      standardize: [tenure]
      log: [spend]
      one_hot: [plan]
  gbdt:
    uses: gitml/model/train
    with:
      input: features.parquet
      label: churned
      features: [tenure, spend, plan_basic, plan_pro, plan_team]
      model: gbdt
      max_iter: 30
      transform: transform.json
      output: models/churn
  package-gbdt:
    uses: gitml/model/package
    with:
      model: models/churn
      output: models/churn.onnx
      parity: new.csv
      metrics: metrics/package-gbdt.json
  clean:
    uses: gitml/data/clean
    with:
      input: train.csv
      output: clean.parquet
      report: clean.json
      impute: {spend: median, plan: mode}
  features-clean:
    uses: gitml/data/features
    with:
      input: clean.parquet
      output: features-clean.parquet
      transform: transform-clean.json
      normalize: [spend]
      bucketize: {tenure: [12, 24, 36]}
      ordinal: [plan]
  mlp:
    uses: gitml/model/train
    with:
      input: features-clean.parquet
      label: amount
      features: [tenure, spend, plan]
      model: mlp
      task: regression
      hidden: [8]
      epochs: 5
      backend: cpu
      transform: transform-clean.json
      output: models/amount
  package-mlp:
    uses: gitml/model/package
    with:
      model: models/amount
      output: models/amount.onnx
      signature: models/amount.json
      name: amount
      parity: new.csv
      impute: clean.json
      metrics: metrics/package-mlp.json
`;

/** A fixture with the pipeline, `train.csv` and `new.csv` (with a category unseen in training); `repro` builds the models. */
export function packageFixture(): Fixture {
  return makeFixture({ 'train.csv': dataset(400, 1), 'new.csv': dataset(200, 2, true), 'ml.yaml': PIPELINE });
}

/** `packageFixture`, built: `models/churn.onnx` and `models/amount.onnx` are there. */
export function packagedModels(): Fixture {
  const fx = packageFixture();
  const r = fx.gitml('repro');
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return fx;
}
