import { expect, test } from 'vitest';
import { fitNn } from '../../../../core/steps/model/nn/index.js';
import { blobs } from './data.js';

const data = blobs(200, 4, 2, 31);
const FIELDS = ['activation_mean', 'activation_var', 'gradient_mean', 'gradient_var', 'update_mean', 'update_var'] as const;

test('the monitor records every dense layer once per epoch, with finite figures, on by default', async () => {
  const model = await fitNn(data, { model: 'mlp', task: 'binary', hidden: [8, 4], dropout: 0.1, epochs: 3, validationFraction: 0.25, backend: 'cpu' });
  expect(model.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
  for (const h of model.history) for (const v of [h.loss, h.metric, h.val_loss, h.val_metric]) expect(Number.isFinite(v)).toBe(true);
  expect(model.layers.map((l) => `${l.epoch} ${l.layer}`)).toEqual(
    [1, 2, 3].flatMap((e) => [`${e} dense_1`, `${e} dense_2`, `${e} output`]),
  );
  for (const l of model.layers) {
    for (const f of FIELDS) expect(Number.isFinite(l[f])).toBe(true);
    expect(l.activation_var).toBeGreaterThan(0);
    expect(l.gradient_var).toBeGreaterThan(0);
    // Every epoch moved every layer's weights.
    expect(l.update_var).toBeGreaterThan(0);
    expect(l.batch).toBeUndefined();
  }
  // ReLU outputs are never negative.
  expect(model.layers.filter((l) => l.layer !== 'output').every((l) => l.activation_mean >= 0)).toBe(true);
  expect(model.batches).toEqual([]);
});

test('per-batch recording adds a record per batch; the monitor can be turned off', async () => {
  const perBatch = await fitNn(data, { model: 'logistic', task: 'binary', epochs: 2, batchSize: 50, perBatch: true, backend: 'cpu' });
  expect(perBatch.batches.map((b) => `${b.epoch}.${b.batch}`)).toEqual(['1.0', '1.1', '1.2', '1.3', '2.0', '2.1', '2.2', '2.3']);
  expect(perBatch.layers.map((l) => `${l.epoch}.${l.batch} ${l.layer}`)).toEqual(perBatch.batches.map((b) => `${b.epoch}.${b.batch} output`));
  // The epoch's loss is the mean of its batches' (equal batches, no penalty).
  const epoch1 = perBatch.batches.filter((b) => b.epoch === 1).reduce((s, b) => s + b.loss, 0) / 4;
  expect(perBatch.history[0]!.loss).toBeCloseTo(epoch1, 6);

  const off = await fitNn(data, { model: 'logistic', task: 'binary', epochs: 2, monitor: false, backend: 'cpu' });
  expect(off.layers).toEqual([]);
  expect(off.history).toHaveLength(2);
});
