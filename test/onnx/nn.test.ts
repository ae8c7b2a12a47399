import { describe, expect, it } from 'vitest';
import { OnnxGraph } from '../../core/onnx/graph.js';
import { OnnxExportError } from '../../core/onnx/errors.js';
import { nnToOnnx } from '../../core/onnx/nn.js';
import { createSession, loadOrt } from '../../core/onnx/runtime.js';
import { fitNn, type NnSettings } from '../../core/steps/model/nn/index.js';
import type { Dataset, Matrix } from '../../core/steps/model/types.js';
import { blobs, linearData } from '../steps/model/nn/data.js';

/**
 * The largest difference between the JS model's predictions and the exported graph's on `x`, absolute up to 1 and
 * relative above (the package step's parity measure: float networks differ in the last bits, which a target scale of
 * hundreds multiplies).
 */
async function maxDiff(train: Dataset, settings: NnSettings, x: Matrix): Promise<{ diff: number; outputs: string[] }> {
  const model = await fitNn(train, { ...settings, backend: 'cpu', seed: 3 });
  const expected = model.predict(x);
  const g = new OnnxGraph();
  const input = g.input('x', 'double', ['N', x.cols]);
  const out = nnToOnnx(g, model.toFiles(), input);
  const [name, value] = Object.entries(out)[0]!;
  g.output(value!, name === 'value' ? 'double' : 'float', name === 'probabilities' ? ['N', model.outputs] : ['N']);
  const session = await createSession(g.encode({ graphName: 'nn', producerVersion: 'test' }));
  const { Tensor } = loadOrt();
  const result = await session.run({ x: new Tensor('float64', x.data, [x.rows, x.cols]) });
  const got = result[value!]!.data as Float32Array | Float64Array;
  expect(got.length).toBe(expected.length);
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  await session.release();
  model.dispose();
  return { diff, outputs: Object.keys(out) };
}

describe('nnToOnnx', () => {
  it('gives the probabilities of binary and multiclass MLPs and logistic models to within float rounding', async () => {
    const two = blobs(300, 4, 2, 1);
    const three = blobs(300, 5, 3, 2);
    for (const [data, settings] of [
      [two, { model: 'mlp', task: 'binary', hidden: [16, 8], activation: 'tanh', dropout: 0.2, epochs: 3 }],
      [three, { model: 'mlp', task: 'multiclass', hidden: [12], activation: 'elu', epochs: 3 }],
      [three, { model: 'logistic', task: 'multiclass', epochs: 3 }],
      [two, { model: 'mlp', task: 'binary', hidden: [8], activation: 'selu', epochs: 2 }],
    ] as const) {
      const { diff, outputs } = await maxDiff(data, settings as NnSettings, data.x);
      expect(outputs).toEqual(['probabilities']);
      expect(diff).toBeLessThan(1e-6);
    }
  });

  it('gives a regression value on the target scale, and an autoencoder score, within 1e-5', async () => {
    const reg = linearData(300, 4);
    // A target far from 0, so that rounding the value to float would show.
    const far = { ...reg, y: reg.y!.map((v) => 1000 + 50 * v) };
    const { diff, outputs } = await maxDiff(far, { model: 'mlp', task: 'regression', hidden: [8], activation: 'relu', epochs: 3 }, far.x);
    expect(outputs).toEqual(['value']);
    expect(diff).toBeLessThan(1e-5);
    const anomaly = await maxDiff(reg, { model: 'autoencoder', task: 'anomaly', encoder: [2], epochs: 3 }, reg.x);
    expect(anomaly.outputs).toEqual(['score']);
    expect(anomaly.diff).toBeLessThan(1e-6);
  });

  it('refuses damaged model files with a typed error', () => {
    const g = new OnnxGraph();
    const x = g.input('x', 'double', ['N', 2]);
    expect(() => nnToOnnx(g, [], x)).toThrow(OnnxExportError);
    expect(() => nnToOnnx(g, [{ path: 'model.json', bytes: new TextEncoder().encode('{"modelTopology": {}}') }], x)).toThrow(/no gitml section/);
  });
});
