import { describe, expect, it } from 'vitest';
import { gbdtToOnnx } from '../../core/onnx/gbdt.js';
import { OnnxGraph } from '../../core/onnx/graph.js';
import { createSession, loadOrt } from '../../core/onnx/runtime.js';
import { fitGbdt, gbdtFromJSON, type GbdtModel, type GbdtTask } from '../../core/steps/model/gbdt/index.js';
import { Random } from '../../core/steps/model/random.js';
import type { Dataset, Matrix } from '../../core/steps/model/types.js';

const TOLERANCE = 1e-6;

/** The model as one ONNX file: `x` double [N, P] in, `probabilities` or `value` out. */
function exportModel(model: GbdtModel, task: GbdtTask = model.task): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input('x', 'double', ['N', model.features]);
  const out = gbdtToOnnx(g, model, x, task);
  if (task === 'regression') g.output(g.rename(out.value!, 'value'), 'float', ['N']);
  else g.output(g.rename(out.probabilities!, 'probabilities'), 'float', ['N', model.outputs]);
  return g.encode({ graphName: 'gbdt', producerVersion: '0.0.0' });
}

/** Runs the exported model on `x`; returns its one output. */
async function runOnnx(bytes: Uint8Array, x: Matrix): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const { Tensor } = loadOrt();
  const session = await createSession(bytes);
  try {
    const result = await session.run({ x: new Tensor('float64', x.data, [x.rows, x.cols]) });
    const out = result[session.outputNames[0]!]!;
    return { dims: out.dims, data: out.data as Float32Array };
  } finally {
    await session.release();
  }
}

/** The largest absolute difference between the JS prediction and the ONNX one, after checking the shape. */
async function parity(model: GbdtModel, x: Matrix): Promise<number> {
  const js = model.predict(x);
  const onnx = await runOnnx(exportModel(model), x);
  expect(onnx.dims).toEqual(model.task === 'regression' ? [x.rows] : [x.rows, model.outputs]);
  expect(onnx.data).toHaveLength(js.length);
  let max = 0;
  for (let i = 0; i < js.length; i++) {
    expect(Number.isFinite(onnx.data[i]!)).toBe(true);
    max = Math.max(max, Math.abs(js[i]! - onnx.data[i]!));
  }
  return max;
}

/**
 * Four features: 0 never missing, 1 missing for a fifth of the rows, 2 integers 0..9 (many rows tie on a value),
 * 3 missing for a twentieth. The label reads all four, missingness of feature 1 included.
 */
function makeData(rows: number, seed: number, label: (x: Float64Array, r: Random) => number): Dataset {
  const r = new Random(seed);
  const cols = 4;
  const data = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = data.subarray(i * cols, (i + 1) * cols);
    row[0] = r.next() * 2 - 1;
    row[1] = r.next() < 0.2 ? NaN : r.normal();
    row[2] = r.int(10);
    row[3] = r.next() < 0.05 ? NaN : r.next() * 4;
    y[i] = label(row, r);
  }
  return { x: { rows, cols, data }, y };
}

/** A signal every task derives its label from. */
function signal(x: Float64Array, r: Random): number {
  const x1 = Number.isNaN(x[1]!) ? 1.2 : x[1]!;
  const x3 = Number.isNaN(x[3]!) ? 0 : x[3]!;
  return 2 * Math.sin(3 * x[0]!) + x1 + (x[2]! - 4.5) / 3 + 0.3 * x3 + 0.3 * r.normal();
}

const float64 = new Float64Array(1);
const bits = new BigInt64Array(float64.buffer);
/** The next double after `v` towards +Infinity (`dir` 1) or -Infinity (`dir` -1); `v` finite. */
function nextDouble(v: number, dir: 1 | -1): number {
  if (v === 0) return dir * Number.MIN_VALUE;
  float64[0] = v;
  bits[0] = bits[0]! + (v > 0 === dir > 0 ? 1n : -1n);
  return float64[0];
}

/**
 * Rows that probe every split of `model`: from `base` rows (cycled), one with the split's feature exactly on its
 * threshold, one a double below and one a double above (+Infinity and -Infinity for an infinite threshold), and one
 * with it missing; then the `base` rows themselves with every feature missing in turn.
 */
function probeRows(model: GbdtModel, base: Matrix): Matrix {
  const p = base.cols;
  const out: number[] = [];
  let b = 0;
  const push = (f: number, v: number): void => {
    const row = Array.from(base.data.subarray(b * p, (b + 1) * p));
    b = (b + 1) % base.rows;
    row[f] = v;
    out.push(...row);
  };
  const seen = new Set<string>();
  for (const tree of model.trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      const f = tree.feature[i]!;
      if (f < 0) continue;
      const t = tree.threshold[i]!;
      if (seen.has(`${f}:${t}`)) continue;
      seen.add(`${f}:${t}`);
      if (Number.isFinite(t)) for (const v of [t, nextDouble(t, -1), nextDouble(t, 1)]) push(f, v);
      else push(f, t);
      push(f, -Infinity);
      push(f, NaN);
    }
  }
  for (let r = 0; r < base.rows; r++)
    for (let f = 0; f < p; f++) {
      b = r;
      push(f, NaN);
    }
  return { rows: out.length / p, cols: p, data: Float64Array.from(out) };
}

/** How many times rows of `x` reach a split with the value exactly on its threshold, or missing going left or right. */
function splitVisits(
  model: GbdtModel,
  x: Matrix,
): { onThreshold: number; missingLeft: number; missingRight: number; missingOnCleanFeature: number } {
  const visits = { onThreshold: 0, missingLeft: 0, missingRight: 0, missingOnCleanFeature: 0 };
  for (const tree of model.trees) {
    for (let r = 0; r < x.rows; r++) {
      let node = 0;
      while (tree.feature[node]! >= 0) {
        const f = tree.feature[node]!;
        const v = x.data[r * x.cols + f]!;
        if (v === tree.threshold[node]) visits.onThreshold++;
        if (Number.isNaN(v)) {
          if (tree.missingLeft[node] === 1) visits.missingLeft++;
          else visits.missingRight++;
          if (f === 0) visits.missingOnCleanFeature++;
        }
        node = v <= tree.threshold[node]! || (Number.isNaN(v) && tree.missingLeft[node] === 1) ? tree.left[node]! : tree.right[node]!;
      }
    }
  }
  return visits;
}

/** Fits `task` on generated data (early stopping off), then checks the ONNX export against `predict` on probe rows. */
async function fitAndCompare(
  task: GbdtTask,
  label: (x: Float64Array, r: Random) => number,
  settings: Record<string, number> = {},
): Promise<number> {
  const model = fitGbdt(makeData(1500, 1, label), { task, max_iter: 30, early_stopping: false, ...settings });
  const held = makeData(300, 2, label).x;
  const probes = probeRows(model, held);
  const visits = splitVisits(model, probes);
  // The probes reach splits on their thresholds, and missing values on both sides, on the never-missing feature too.
  expect(visits.onThreshold).toBeGreaterThan(100);
  expect(visits.missingLeft).toBeGreaterThan(100);
  expect(visits.missingRight).toBeGreaterThan(100);
  expect(visits.missingOnCleanFeature).toBeGreaterThan(10);
  const diff = Math.max(await parity(model, held), await parity(model, probes));
  expect(diff).toBeLessThanOrEqual(TOLERANCE);
  return diff;
}

describe('gbdtToOnnx', () => {
  it('binary: [1 - p, p] per row match predict, on thresholds, a double either side, and missing values', async () => {
    await fitAndCompare('binary', (x, r) => (signal(x, r) > 0.5 ? 1 : 0));
  });

  it('multiclass: softmax over three classes matches predict', async () => {
    await fitAndCompare('multiclass', (x, r) => {
      const s = signal(x, r);
      return s < -0.5 ? 0 : s < 1.5 ? 1 : 2;
    });
  });

  it('regression: the value matches predict', async () => {
    await fitAndCompare('regression', signal, { max_iter: 60 });
  });

  it('a feature never missing in training sends missing values to the child with more rows, as predict does', async () => {
    const model = fitGbdt(
      makeData(1500, 3, (x) => (x[0]! > 0.2 ? 1 : 0)),
      { task: 'binary', max_iter: 10, early_stopping: false },
    );
    const onClean = model.trees.flatMap((t) => Array.from(t.feature.keys()).filter((i) => t.feature[i] === 0));
    expect(onClean.length).toBeGreaterThan(5);
    const held = makeData(200, 4, () => 0).x;
    for (let r = 0; r < held.rows; r++) if (r % 2 === 0) held.data[r * held.cols] = NaN;
    expect(await parity(model, held)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('a split that sends only missing values right (threshold +Infinity) does so in ONNX too', async () => {
    const model = fitGbdt(
      makeData(1000, 12, (x) => (Number.isNaN(x[1]!) ? 1 : 0)),
      { task: 'binary', max_iter: 5, early_stopping: false },
    );
    expect(model.trees.some((t) => t.threshold.includes(Infinity))).toBe(true);
    const probes = probeRows(model, makeData(100, 13, () => 0).x);
    expect(await parity(model, probes)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('runs trees that are a single leaf, leaves that all push one way, and a model with no trees', async () => {
    // Every feature constant: nothing to split, every tree one leaf.
    const flat = makeData(200, 5, (_, r) => (r.next() < 0.3 ? 1 : 0));
    for (let i = 0; i < flat.x.rows; i++) flat.x.data.fill(1, i * 4, i * 4 + 4);
    const stump = fitGbdt(flat, { task: 'binary', max_iter: 5, early_stopping: false });
    expect(stump.trees.every((t) => t.feature.length === 1)).toBe(true);
    const x = makeData(50, 6, () => 0).x;
    expect(await parity(stump, x)).toBeLessThanOrEqual(TOLERANCE);

    const fitted = fitGbdt(
      makeData(600, 7, (v, r) => (signal(v, r) > 0 ? 1 : 0)),
      { task: 'binary', max_iter: 5, early_stopping: false },
    );
    const json = fitted.toJSON();
    const positive = gbdtFromJSON({ ...json, trees: json.trees.map((t) => ({ ...t, value: t.value.map(Math.abs) })) });
    expect(await parity(positive, x)).toBeLessThanOrEqual(TOLERANCE);

    for (const task of ['binary', 'regression'] as const) {
      const source = task === 'binary' ? json : fitGbdt(makeData(300, 8, signal), { task, max_iter: 2, early_stopping: false }).toJSON();
      const empty = gbdtFromJSON({ ...source, trees: [], rounds: 0 });
      expect(await parity(empty, x)).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('refuses a task the model does not do', () => {
    const model = fitGbdt(
      makeData(200, 9, (x, r) => (signal(x, r) > 0 ? 1 : 0)),
      { task: 'binary', max_iter: 2, early_stopping: false },
    );
    expect(() => exportModel(model, 'regression')).toThrow(
      expect.objectContaining({ code: 'E_GBDT_MODEL', message: expect.stringMatching(/does binary, not regression/) }),
    );
  });

  it('exports and runs 100 rounds of 31-leaf trees in well under a second', async () => {
    const label = (x: Float64Array, r: Random): number => (signal(x, r) + x[0]! * x[3]! > 0.5 ? 1 : 0);
    const model = fitGbdt(makeData(20_000, 10, label), { task: 'binary', max_iter: 100, early_stopping: false });
    const leaves = model.trees.reduce((n, t) => n + t.feature.filter((f) => f < 0).length, 0);
    expect(model.trees).toHaveLength(100);
    expect(leaves).toBeGreaterThan(100 * 25);
    const start = performance.now();
    const bytes = exportModel(model);
    const ms = performance.now() - start;
    expect(ms).toBeLessThan(1000);
    const held = makeData(2000, 11, label).x;
    expect(await parity(model, held)).toBeLessThanOrEqual(TOLERANCE);
    expect(bytes.length).toBeLessThan(2_000_000);
  });
});
