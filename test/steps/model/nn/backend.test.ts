import { createRequire } from 'node:module';
import { expect, test } from 'vitest';
import { BACKENDS, fitNn, loadBackend, NnBackendError } from '../../../../core/steps/model/nn/index.js';
import { blobs } from './data.js';

const installed = (pkg: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

test('forcing cpu and wasm loads each and the model says which trained it', async () => {
  const data = blobs(50, 2, 2, 1);
  for (const backend of ['wasm', 'cpu'] as const) {
    const model = await fitNn(data, { model: 'logistic', task: 'binary', epochs: 1, backend });
    expect(model.backend).toMatchObject({ name: backend, deterministic: true, skipped: [] });
    const { tf } = await loadBackend(backend);
    expect(tf.getBackend()).toBe(backend);
  }
});

test('auto takes the first backend that loads and says why it skipped the ones before it', async () => {
  const { info } = await loadBackend('auto');
  const at = BACKENDS.indexOf(info.name);
  expect(info.skipped.map((s) => s.name)).toEqual(BACKENDS.slice(0, at));
  for (const s of info.skipped) expect(s.reason).toMatch(/tfjs-node/);
  if (!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu')) expect(info.name).toBe('wasm');
});

test.runIf(!installed('@tensorflow/tfjs-node'))('forcing tfjs-node where it is not installed is a typed error that says how to install it', async () => {
  const err = await fitNn(blobs(10, 2, 2, 1), { model: 'logistic', task: 'binary', backend: 'tfjs-node' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NnBackendError);
  expect((err as NnBackendError).code).toBe('E_NN_BACKEND');
  expect((err as Error).message).toBe(
    'backend `tfjs-node` could not be loaded: @tensorflow/tfjs-node is not installed. Install it with `npm install @tensorflow/tfjs-node@4` (it downloads libtensorflow at install time, so it needs internet then), or use `backend: auto`',
  );
});

test.runIf(!installed('@tensorflow/tfjs-node-gpu'))('forcing tfjs-node-gpu where it is not installed names its package', async () => {
  await expect(loadBackend('tfjs-node-gpu')).rejects.toThrow('@tensorflow/tfjs-node-gpu is not installed. Install it with `npm install @tensorflow/tfjs-node-gpu@4`');
});
