// Gradient-boosted trees against scikit-learn's HistGradientBoostingClassifier/Regressor: the same generated
// 1,000,000 x 20 data (written as .npy for the Python side), the same settings, fit seconds and held-out
// accuracy/RMSE side by side. scikit-learn is the baseline; it is skipped, saying so, when Python or it is absent.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const GBDT_FEATURES = 20;

/**
 * `rows` rows of 20 standard-normal features (features 5-7 missing 5% of the time), with a binary label and a
 * regression target from a nonlinear function of the first 8 features plus noise. A fixed xorshift generator:
 * the same data every run.
 */
export function generateGbdtData(rows, seed = 2463534242) {
  let s = seed >>> 0;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const p = GBDT_FEATURES;
  const x = new Float64Array(rows * p);
  const binary = new Float64Array(rows);
  const target = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * p;
    for (let f = 0; f < p; f++) x[o + f] = f >= 5 && f <= 7 && rand() < 0.05 ? NaN : normal();
    const v = (f) => (Number.isNaN(x[o + f]) ? 1 : x[o + f]);
    const z =
      x[o] + 0.5 * x[o + 1] * x[o + 2] - x[o + 3] ** 2 + Math.sin(2 * x[o + 4]) + 0.8 * v(5) + 0.5 * v(6) * (v(7) > 0) + 0.6 * normal();
    binary[i] = z > -0.9 ? 1 : 0;
    target[i] = 3 * z + 10;
  }
  return { x, binary, target, rows, cols: p };
}

/** A little-endian float64 .npy file of `shape`. */
export function writeNpy(path, data, shape) {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
  header = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  writeSync(fd, Buffer.from(header, 'latin1'));
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at < bytes.length; at += 1 << 24) writeSync(fd, bytes, at, Math.min(1 << 24, bytes.length - at));
  closeSync(fd);
}

const SETTINGS = {
  max_iter: 100,
  learning_rate: 0.1,
  max_leaf_nodes: 31,
  min_samples_leaf: 20,
  max_bins: 255,
  l2_regularization: 0,
  early_stopping: false,
};

const BASELINE = `
import json, sys, time
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
d, task = sys.argv[1], sys.argv[2]
s = json.loads(sys.argv[3])
X, Xt = np.load(d + '/x_train.npy'), np.load(d + '/x_test.npy')
y, yt = np.load(d + '/y_train_' + task + '.npy'), np.load(d + '/y_test_' + task + '.npy')
Model = HistGradientBoostingClassifier if task == 'binary' else HistGradientBoostingRegressor
m = Model(max_iter=s['max_iter'], learning_rate=s['learning_rate'], max_leaf_nodes=s['max_leaf_nodes'], min_samples_leaf=s['min_samples_leaf'],
          max_bins=s['max_bins'], l2_regularization=s['l2_regularization'], early_stopping=False, random_state=0)
t = time.perf_counter()
m.fit(X, y)
fit = time.perf_counter() - t
p = m.predict(Xt)
score = float((p == yt).mean()) if task == 'binary' else float(np.sqrt(((p - yt) ** 2).mean()))
print(json.dumps({'fit': fit, 'score': score}))
`;

function hasSklearn() {
  const r = spawnSync('python3', ['-c', 'import sklearn, numpy'], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * Fits ours and scikit-learn's on the same generated rows with the same settings (early stopping off), binary and
 * regression; records fit seconds (target <= 2x) and held-out accuracy (>= 0.99x) and RMSE (<= 1.01x).
 */
export async function benchGbdt({ root, work, quick, record, note }) {
  const { fitGbdt } = await import(join(root, 'dist/core/steps/model/gbdt/index.js'));
  const rows = quick ? 100_000 : 1_000_000;
  const testRows = rows / 5;
  const dir = join(work, 'gbdt');
  mkdirSync(dir, { recursive: true });
  const t = performance.now();
  const d = generateGbdtData(rows + testRows);
  const p = d.cols;
  const split = (a, width) => [a.subarray(0, rows * width), a.subarray(rows * width)];
  const [x, xt] = split(d.x, p);
  const ys = { binary: split(d.binary, 1), regression: split(d.target, 1) };
  writeNpy(join(dir, 'x_train.npy'), x, [rows, p]);
  writeNpy(join(dir, 'x_test.npy'), xt, [testRows, p]);
  for (const [task, [y, yt]] of Object.entries(ys)) {
    writeNpy(join(dir, `y_train_${task}.npy`), y, [rows]);
    writeNpy(join(dir, `y_test_${task}.npy`), yt, [testRows]);
  }
  note(`generated ${rows} + ${testRows} rows x ${p} features in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const sklearn = hasSklearn();
  if (!sklearn) note('note: python3 with scikit-learn is not available (pip install scikit-learn); the gbdt baselines are skipped');
  const script = join(dir, 'baseline.py');
  writeFileSync(script, BASELINE);
  const ours = (task) => {
    const [y, yt] = ys[task];
    const started = performance.now();
    const model = fitGbdt({ x: { rows, cols: p, data: x }, y }, { task, ...SETTINGS });
    const fit = (performance.now() - started) / 1000;
    const pred = model.predict({ rows: testRows, cols: p, data: xt });
    let score = 0;
    if (task === 'binary') {
      for (let i = 0; i < testRows; i++) score += +((pred[2 * i + 1] > 0.5 ? 1 : 0) === yt[i]);
      score /= testRows;
    } else {
      for (let i = 0; i < testRows; i++) score += (pred[i] - yt[i]) ** 2;
      score = Math.sqrt(score / testRows);
    }
    return { fit, score };
  };
  const theirs = (task) => {
    const r = spawnSync('python3', [script, dir, task, JSON.stringify(SETTINGS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`scikit-learn baseline failed (${r.status}): ${r.stderr.slice(-2000)}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  // Alternated, which goes first alternating too, so that both see the same load; the best fit time of each.
  const runs = quick ? 1 : 2;
  for (const task of ['binary', 'regression']) {
    const mine = [];
    const base = [];
    for (let i = 0; i < runs; i++) {
      const steps = [() => mine.push(ours(task)), () => sklearn && base.push(theirs(task))];
      for (const step of i % 2 ? steps.reverse() : steps) step();
    }
    const fmt = (xs) => xs.map((r) => r.fit.toFixed(1)).join(' ');
    note(`  ${task}: gitml ${fmt(mine)} s; scikit-learn ${sklearn ? fmt(base) : 'absent'} s`);
    const best = (xs) => (xs.length ? xs.reduce((a, b) => (b.fit < a.fit ? b : a)) : undefined);
    const fit = best(mine).fit;
    const score = mine[0].score;
    const baseline = best(base);
    const label = `gbdt fit ${rows / 1e6}M x ${p} ${task}, 100 rounds`;
    record(label, fit, 'sklearn HistGradientBoosting', baseline?.fit, 2, 's', false, { runs, statistic: 'best' });
    if (task === 'binary')
      record(`gbdt held-out accuracy (${task})`, score, 'sklearn HistGradientBoosting', baseline?.score, 0.99, 'accuracy', true);
    else record(`gbdt held-out RMSE (${task})`, score, 'sklearn HistGradientBoosting', baseline?.score, 1.01, 'rmse');
  }
}
