// Training throughput of the neural models: an MLP 20-64-2 trained by gitml's fitNn (training monitor on) against a
// plain TensorFlow.js script (tfjs-layers `model.fit`) doing the same training on the same backend, the backend
// chosen automatically. Runs alternate so that load from elsewhere on the machine falls on both alike; medians.
import { join } from 'node:path';

const COLS = 20;
const HIDDEN = 64;
const BATCH = 32;

/** `rows` x 20 standard normal features (seeded), label 1 when a fixed mix of the first features is positive. */
function dataset(rows, Random) {
  const random = new Random(7);
  const x = new Float64Array(rows * COLS);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < COLS; c++) {
      const v = random.normal();
      x[r * COLS + c] = v;
      if (c < 5) s += v * (c + 1);
    }
    y[r] = s + random.normal() > 0 ? 1 : 0;
  }
  return { x: { rows, cols: COLS, data: x }, y };
}

/** The plain script: what a user writes with tfjs-layers for the same network and training. */
async function plainFit(tf, tfl, d, epochs) {
  const xs = tf.tensor2d(Float32Array.from(d.x.data), [d.x.rows, COLS]);
  const ys = tf.oneHot(tf.tensor1d(Int32Array.from(d.y), 'int32'), 2);
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: HIDDEN, activation: 'relu', inputShape: [COLS] }), tfl.layers.dense({ units: 2, activation: 'softmax' })],
  });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const h = await model.fit(xs, ys, { epochs, batchSize: BATCH, verbose: 0 });
  tf.dispose([xs, ys]);
  model.optimizer.dispose();
  model.dispose();
  return h.history.acc.at(-1);
}

export async function benchNn({ root, quick, record, note }) {
  const nn = await import(join(root, 'dist/core/steps/model/nn/index.js'));
  const { Random } = await import(join(root, 'dist/core/steps/model/random.js'));
  const rows = quick ? 20_000 : 100_000;
  const epochs = quick ? 1 : 2;
  const rounds = quick ? 1 : 3;
  const d = dataset(rows, Random);
  const backend = await nn.loadBackend('auto');
  const { tf, tfl } = backend;
  const settings = { model: 'mlp', task: 'multiclass', classes: 2, hidden: [HIDDEN], epochs, batchSize: BATCH, seed: 1, backend: backend.info.name };
  // Both once on a small table first, so that neither pays for the backend's first kernel calls in the figures.
  const warm = dataset(2_000, Random);
  (await nn.fitNn(warm, { ...settings, epochs: 1 })).dispose();
  await plainFit(tf, tfl, warm, 1);
  const ours = [];
  const plain = [];
  let accuracy;
  let plainAccuracy;
  for (let i = 0; i < rounds; i++) {
    const steps = [
      async () => {
        const t = performance.now();
        const model = await nn.fitNn(d, settings);
        ours.push((rows * epochs) / ((performance.now() - t) / 1000));
        accuracy = model.history.at(-1).metric;
        model.dispose();
      },
      async () => {
        const t = performance.now();
        plainAccuracy = await plainFit(tf, tfl, d, epochs);
        plain.push((rows * epochs) / ((performance.now() - t) / 1000));
      },
    ];
    for (const step of i % 2 ? [...steps].reverse() : steps) await step();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(' ');
  note(`  backend ${backend.info.name} (tfjs ${backend.info.tfjsVersion}${backend.info.skipped.length ? `; skipped ${backend.info.skipped.map((s) => s.name).join(', ')}` : ''})`);
  note(`  rows/s, ${rows} rows x ${epochs} epochs: gitml ${fmt(ours)} (monitor on; last epoch accuracy ${accuracy.toFixed(3)}); model.fit ${fmt(plain)} (accuracy ${plainAccuracy.toFixed(3)})`);
  // Overhead <= 1.05x in time is throughput >= 1/1.05 of the plain script's.
  record(`MLP 20-64-2 training, ${rows} rows (${backend.info.name})`, median(ours), 'tfjs-layers model.fit', median(plain), 0.95, 'rows/s', true, {
    backend: backend.info.name,
    tfjs: backend.info.tfjsVersion,
    rounds,
  });
}
