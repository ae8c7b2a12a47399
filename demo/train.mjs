// Fit a logistic regression with full-batch gradient descent.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { readRows } from './table.mjs';

const LABEL = 'churned';
const { values } = parseArgs({
  options: { lr: { type: 'string' }, epochs: { type: 'string' }, l2: { type: 'string' } },
});
const lr = Number(values.lr ?? 0.1);
const epochs = Number(values.epochs ?? 300);
const l2 = Number(values.l2 ?? 0);
if (!(lr > 0) || !Number.isInteger(epochs) || epochs < 1 || !(l2 >= 0)) {
  throw new Error(`bad hyperparameters: --lr ${values.lr} --epochs ${values.epochs} --l2 ${values.l2}`);
}

const rows = readRows('data/features/train.parquet');
const features = Object.keys(rows[0]).filter((c) => c !== LABEL);
const X = rows.map((r) => features.map((f) => Number(r[f])));
const y = rows.map((r) => Number(r[LABEL]));

const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const EPS = 1e-15; // clip probabilities so log(0) never happens
const n = X.length,
  d = features.length;
// Zero initialisation: no randomness needed, and the result is fully deterministic.
const w = new Array(d).fill(0);
let b = 0;
const logEvery = Math.max(1, Math.round(epochs / 5));

for (let epoch = 1; epoch <= epochs; epoch++) {
  const gw = new Array(d).fill(0);
  let gb = 0,
    loss = 0;
  for (let i = 0; i < n; i++) {
    const p = sigmoid(X[i].reduce((s, x, j) => s + x * w[j], b));
    const err = p - y[i];
    for (let j = 0; j < d; j++) gw[j] += err * X[i][j];
    gb += err;
    const pc = Math.min(1 - EPS, Math.max(EPS, p));
    loss -= y[i] * Math.log(pc) + (1 - y[i]) * Math.log(1 - pc);
  }
  // L2 penalty on the weights only (not the bias), as is conventional.
  loss = loss / n + (l2 / 2) * w.reduce((s, v) => s + v * v, 0);
  for (let j = 0; j < d; j++) w[j] -= lr * (gw[j] / n + l2 * w[j]);
  b -= lr * (gb / n);
  if (epoch % logEvery === 0 || epoch === epochs) console.log(`epoch ${epoch}: loss ${loss.toFixed(6)}`);
}

const model = { weights: Object.fromEntries(features.map((f, j) => [f, w[j]])), bias: b, features };
fs.mkdirSync('models', { recursive: true });
fs.writeFileSync('models/model.json', JSON.stringify(model, null, 2) + '\n');
