import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { fitNn, type NnSettings } from '../../../../core/steps/model/nn/index.js';
import type { Dataset } from '../../../../core/steps/model/types.js';
import { blobs } from './data.js';

const digest = (files: { path: string; bytes: Uint8Array }[]): Record<string, string> =>
  Object.fromEntries(files.map((f) => [f.path, createHash('sha256').update(f.bytes).digest('hex')]));

async function run(data: Dataset, settings: NnSettings) {
  const model = await fitNn(data, settings);
  const out = { files: digest(model.toFiles()), history: model.history, layers: model.layers, predictions: model.predict(data.x) };
  model.dispose();
  return out;
}

describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  // Dropout, a validation split and the monitor all draw from the seed.
  const data = blobs(300, 4, 3, 21, 2);
  const settings: NnSettings = { model: 'mlp', task: 'multiclass', hidden: [12, 6], dropout: 0.2, l2: 1e-3, epochs: 4, validationFraction: 0.2, seed: 5, backend };

  test('the same seed gives bit-identical files, metrics, monitor records and predictions', async () => {
    const a = await run(data, settings);
    const b = await run(data, settings);
    expect(b.files).toEqual(a.files);
    expect(b.history).toEqual(a.history);
    expect(b.layers).toEqual(a.layers);
    expect(Buffer.from(b.predictions.buffer).equals(Buffer.from(a.predictions.buffer))).toBe(true);
  });

  test('another seed gives other weights', async () => {
    const a = await run(data, settings);
    const c = await run(data, { ...settings, seed: 6 });
    expect(c.files['weights.bin']).not.toBe(a.files['weights.bin']);
    expect(c.history).not.toEqual(a.history);
  });

  test('the model reports the backend and that it is deterministic', async () => {
    const model = await fitNn(data, { ...settings, epochs: 1 });
    expect(model.backend.name).toBe(backend);
    expect(model.backend.tfjsVersion).toMatch(/^4\.\d+\.\d+$/);
    expect(model.deterministic).toBe(true);
    expect(model.nondeterministicReason).toBeUndefined();
    expect(model.rowsPerSecond).toBeGreaterThan(0);
  });
});
