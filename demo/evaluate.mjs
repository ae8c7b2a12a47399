// Score the trained model on the held-out split: summary metrics plus an ROC curve.
import fs from 'node:fs';
import { readRows } from './table.mjs';

const LABEL = 'churned';
const model = JSON.parse(fs.readFileSync('models/model.json', 'utf8'));
const rows = readRows('data/features/test.parquet').map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])));

const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const scores = rows.map((r) => sigmoid(model.features.reduce((s, f) => s + model.weights[f] * r[f], model.bias)));
const labels = rows.map((r) => r[LABEL]);
const round6 = (x) => Math.round(x * 1e6) / 1e6;

let tp = 0,
  fp = 0,
  tn = 0,
  fn = 0,
  loss = 0;
const EPS = 1e-15; // clip probabilities so log(0) never happens
scores.forEach((p, i) => {
  const pred = p >= 0.5 ? 1 : 0;
  if (pred === 1) labels[i] === 1 ? tp++ : fp++;
  else labels[i] === 1 ? fn++ : tn++;
  const pc = Math.min(1 - EPS, Math.max(EPS, p));
  loss -= labels[i] * Math.log(pc) + (1 - labels[i]) * Math.log(1 - pc);
});
// Define undefined ratios (no positives predicted/present) as 0 rather than NaN, which JSON cannot hold.
const precision = tp + fp ? tp / (tp + fp) : 0;
const recall = tp + fn ? tp / (tp + fn) : 0;
const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
const metrics = {
  accuracy: round6((tp + tn) / rows.length),
  precision: round6(precision),
  recall: round6(recall),
  f1: round6(f1),
  log_loss: round6(loss / rows.length),
};

// ROC: sweep the threshold down through each distinct score; start at (0, 0) with threshold 1
// (JSON has no Infinity). Ties are grouped so the curve does not depend on sort stability.
const P = labels.filter((l) => l === 1).length || 1;
const N = labels.length - labels.filter((l) => l === 1).length || 1;
const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
const roc = [{ fpr: 0, tpr: 0, threshold: 1 }];
let cTp = 0,
  cFp = 0;
for (let k = 0; k < order.length; k++) {
  const i = order[k];
  labels[i] === 1 ? cTp++ : cFp++;
  if (k + 1 < order.length && scores[order[k + 1]] === scores[i]) continue;
  roc.push({ fpr: round6(cFp / N), tpr: round6(cTp / P), threshold: round6(scores[i]) });
}

fs.mkdirSync('metrics', { recursive: true });
fs.writeFileSync('metrics/eval.json', JSON.stringify(metrics, null, 2) + '\n');
fs.writeFileSync('metrics/roc.json', JSON.stringify({ roc }, null, 2) + '\n');
console.log(`evaluate: accuracy ${metrics.accuracy}, f1 ${metrics.f1}, log_loss ${metrics.log_loss}`);
