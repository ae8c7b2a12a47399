import { expect, test } from 'vitest';
import { fitNn, loadNn, NnModelFileError, type NnSettings } from '../../../../core/steps/model/nn/index.js';
import type { Dataset } from '../../../../core/steps/model/types.js';
import { blobs, linearData } from './data.js';

const cases: [string, Dataset, NnSettings][] = [
  ['binary mlp', blobs(100, 3, 2, 41), { model: 'mlp', task: 'binary', hidden: [6], dropout: 0.2, epochs: 2, backend: 'wasm' }],
  ['multiclass logistic', blobs(90, 3, 3, 42), { model: 'logistic', task: 'multiclass', epochs: 2, backend: 'cpu' }],
  ['linear regression', linearData(80, 43), { model: 'linear', task: 'regression', epochs: 2, backend: 'cpu' }],
  ['autoencoder', { x: blobs(80, 4, 2, 44).x }, { model: 'autoencoder', task: 'anomaly', epochs: 2, backend: 'wasm' }],
];

test.each(cases)('a %s read back from its files predicts the same numbers and writes the same files', async (_name, data, settings) => {
  const model = await fitNn(data, settings);
  const files = model.toFiles();
  expect(files.map((f) => f.path)).toEqual(['model.json', 'weights.bin']);
  const loaded = await loadNn(files.map((f) => ({ path: f.path, bytes: f.bytes.slice() })), { backend: settings.backend! });
  expect(loaded.task).toBe(model.task);
  expect(loaded.outputs).toBe(model.outputs);
  expect(loaded.backend.name).toBe(settings.backend);
  expect(Array.from(loaded.predict(data.x))).toEqual(Array.from(model.predict(data.x)));
  expect(loaded.toFiles()).toEqual(files);
});

test('model.json is a TensorFlow.js layers model with gitml\'s section', async () => {
  const model = await fitNn(blobs(60, 3, 3, 45), { model: 'mlp', task: 'multiclass', hidden: [5], epochs: 1, backend: 'cpu' });
  const json = JSON.parse(new TextDecoder().decode(model.toFiles()[0]!.bytes));
  expect(json.format).toBe('layers-model');
  expect(json.modelTopology.config.layers.map((l: { config: { name: string } }) => l.config.name)).toEqual(['dense_1', 'output', 'probability']);
  expect(json.weightsManifest[0].weights.map((w: { name: string; shape: number[] }) => `${w.name} ${w.shape.join('x')}`)).toEqual([
    'dense_1/kernel 3x5',
    'dense_1/bias 5',
    'output/kernel 5x3',
    'output/bias 3',
  ]);
  expect(json.userDefinedMetadata.gitml).toMatchObject({ schema: 1, model: 'mlp', task: 'multiclass', features: 3, outputs: 3 });
  expect(json.userDefinedMetadata.gitml.scale.mean).toHaveLength(3);
});

test('missing or damaged files are named', async () => {
  const files = (await fitNn(blobs(40, 2, 2, 46), { model: 'logistic', task: 'binary', epochs: 1, backend: 'cpu' })).toFiles();
  await expect(loadNn([files[0]!])).rejects.toThrow(new NnModelFileError('weights.bin', 'missing from the model directory'));
  await expect(loadNn([files[0]!, { path: 'weights.bin', bytes: files[1]!.bytes.slice(4) }])).rejects.toThrow('weights.bin: holds 8 bytes where model.json lists 12');
  await expect(loadNn([{ path: 'model.json', bytes: new TextEncoder().encode('{') }, files[1]!])).rejects.toThrow(/^model\.json: not valid JSON/);
});
