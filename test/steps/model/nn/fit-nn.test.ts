import { describe, expect, test } from 'vitest';
import { fitNn, loadBackend, NnSettingsError } from '../../../../core/steps/model/nn/index.js';
import { Random } from '../../../../core/steps/model/random.js';
import type { Dataset } from '../../../../core/steps/model/types.js';
import { classWeights, rowWeights } from '../../../../core/steps/model/weights.js';
import { accuracy, blobs, linearData } from './data.js';

const backend = 'cpu' as const;

describe('each model kind learns its task', () => {
  test('logistic regression separates two classes and returns probabilities that sum to 1', async () => {
    const train = blobs(400, 4, 2, 1);
    const test = blobs(200, 4, 2, 1);
    const model = await fitNn(train, { model: 'logistic', task: 'binary', epochs: 10, learningRate: 0.05, backend });
    const p = model.predict(test.x);
    expect(model.outputs).toBe(2);
    expect(p.length).toBe(400);
    for (let r = 0; r < 200; r++) expect(p[2 * r]! + p[2 * r + 1]!).toBe(1);
    expect(accuracy(p, test.y!, 2)).toBeGreaterThan(0.95);
    expect(model.history.at(-1)!.metric).toBeGreaterThan(0.95);
    expect(model.history.at(-1)!.loss).toBeLessThan(model.history[0]!.loss);
  });

  test('an MLP learns three classes', async () => {
    const train = blobs(450, 5, 3, 2);
    const model = await fitNn(train, { model: 'mlp', task: 'multiclass', hidden: [16, 8], dropout: 0.1, l2: 1e-4, epochs: 15, learningRate: 0.01, backend });
    const p = model.predict(train.x);
    expect(model.outputs).toBe(3);
    for (let r = 0; r < 450; r++) expect(p[3 * r]! + p[3 * r + 1]! + p[3 * r + 2]!).toBeCloseTo(1, 12);
    expect(accuracy(p, train.y!, 3)).toBeGreaterThan(0.95);
  });

  test('a multiclass logistic model with sgd and rmsprop learns too', async () => {
    const train = blobs(300, 3, 3, 3);
    for (const [optimizer, learningRate] of [['sgd', 0.5], ['rmsprop', 0.05]] as const) {
      const model = await fitNn(train, { model: 'logistic', task: 'multiclass', optimizer, learningRate, epochs: 10, backend });
      expect(accuracy(model.predict(train.x), train.y!, 3)).toBeGreaterThan(0.9);
    }
  });

  test('linear regression finds the coefficients, in the target units, features on different scales', async () => {
    const train = linearData(500, 4);
    const test = linearData(200, 5);
    const model = await fitNn(train, { model: 'linear', task: 'regression', epochs: 40, learningRate: 0.05, backend });
    const p = model.predict(test.x);
    let sq = 0;
    for (let r = 0; r < 200; r++) sq += (p[r]! - test.y![r]!) ** 2;
    // The noise is 0.1; the target's spread is about 20.
    expect(Math.sqrt(sq / 200)).toBeLessThan(0.3);
    expect(model.history.at(-1)!.metric).toBeLessThan(0.3);
  });

  test('an MLP fits a nonlinear regression', async () => {
    const random = new Random(6);
    const rows = 400;
    const x = new Float64Array(rows * 2);
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const a = random.next() * 4 - 2;
      const b = random.next() * 4 - 2;
      x.set([a, b], 2 * r);
      y[r] = a * a + Math.sin(2 * b);
    }
    const model = await fitNn({ x: { rows, cols: 2, data: x }, y }, { model: 'mlp', task: 'regression', hidden: [32, 32], activation: 'tanh', epochs: 30, batchSize: 16, learningRate: 0.01, backend });
    // A straight line leaves an RMSE of about 1.4 on this target.
    expect(model.history.at(-1)!.metric).toBeLessThan(0.3);
  });

  test('an autoencoder scores injected outliers highest', async () => {
    const random = new Random(7);
    const rows = 400;
    const cols = 6;
    const x = new Float64Array(rows * cols);
    // Six features driven by two hidden factors: the autoencoder's bottleneck of two can rebuild them.
    const mix = Array.from({ length: cols }, () => [random.normal(), random.normal()]);
    const outliers = new Set<number>();
    while (outliers.size < 8) outliers.add(random.int(rows));
    for (let r = 0; r < rows; r++) {
      const f = [random.normal(), random.normal()];
      for (let c = 0; c < cols; c++)
        x[r * cols + c] = outliers.has(r) ? random.normal() * 3 : mix[c]![0]! * f[0]! + mix[c]![1]! * f[1]! + random.normal() * 0.05;
    }
    const data: Dataset = { x: { rows, cols, data: x } };
    const model = await fitNn(data, { model: 'autoencoder', task: 'anomaly', encoder: [4, 2], epochs: 40, learningRate: 0.01, backend });
    const scores = model.predict(data.x);
    expect(model.outputs).toBe(1);
    const top = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]!).slice(0, 8);
    expect(top.filter((r) => outliers.has(r)).length).toBeGreaterThanOrEqual(7);
    expect(model.history[0]!.metric).toBeUndefined();
  });
});

test('class weights given as sample weights raise the minority class recall on a 95/5 dataset', async () => {
  const random = new Random(8);
  const rows = 1000;
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    y[r] = r % 20 === 0 ? 1 : 0;
    // Overlapping classes: the minority's centre is 1.5 standard deviations away.
    x[2 * r] = random.normal() + 1.5 * y[r]!;
    x[2 * r + 1] = random.normal();
  }
  const train: Dataset = { x: { rows, cols: 2, data: x }, y };
  const weights = rowWeights(classWeights('balanced', y, ['0', '1']), y);
  const recall = (p: Float64Array): number => {
    let hit = 0;
    for (let r = 0; r < rows; r++) if (y[r] === 1 && p[2 * r + 1]! > 0.5) hit++;
    return hit / 50;
  };
  const settings = { model: 'logistic', task: 'binary', epochs: 20, learningRate: 0.05, backend } as const;
  const plain = recall((await fitNn(train, settings)).predict(train.x));
  const balanced = recall((await fitNn({ ...train, weights }, settings)).predict(train.x));
  expect(plain).toBeLessThan(0.2);
  expect(balanced).toBeGreaterThan(0.6);
});

test('early stopping stops when the followed figure stops improving and restores the best weights', async () => {
  // Few noisy rows and a large network: validation loss turns up after a few epochs.
  const train = blobs(60, 10, 2, 9, 4);
  const validation = blobs(200, 10, 2, 9, 4);
  const model = await fitNn(
    train,
    { model: 'mlp', task: 'binary', hidden: [128, 128], epochs: 200, learningRate: 0.01, earlyStopping: { patience: 3 }, backend },
    { validation },
  );
  expect(model.stoppedEarly).toBe(true);
  expect(model.epochs).toBeLessThan(200);
  expect(model.epochs).toBe(model.bestEpoch + 3);
  const losses = model.history.map((h) => h.val_loss!);
  expect(Math.min(...losses)).toBe(losses[model.bestEpoch - 1]);
  // The model holds the best epoch's weights: its validation log-loss is that epoch's, not the last one's.
  const p = model.predict(validation.x);
  let loss = 0;
  for (let r = 0; r < 200; r++) loss -= Math.log(Math.max(p[2 * r + validation.y![r]!]!, 1e-7));
  expect(loss / 200).toBeCloseTo(losses[model.bestEpoch - 1]!, 4);
  expect(loss / 200).not.toBeCloseTo(losses.at(-1)!, 4);
});

test('early stopping can follow validation accuracy, from a validation fraction', async () => {
  const model = await fitNn(blobs(300, 3, 2, 10), {
    model: 'logistic',
    task: 'binary',
    epochs: 50,
    validationFraction: 0.2,
    learningRate: 0.1,
    earlyStopping: { metric: 'val_accuracy', patience: 2 },
    backend,
  });
  expect(model.stoppedEarly).toBe(true);
  expect(model.history[0]!.val_metric).toBeGreaterThan(0.5);
  const best = model.history[model.bestEpoch - 1]!.val_metric!;
  expect(model.history.every((h) => h.val_metric! <= best)).toBe(true);
});

test('a diverging loss stops training and is reported', async () => {
  const model = await fitNn(linearData(100, 12), { model: 'linear', task: 'regression', optimizer: 'sgd', learningRate: 1e6, standardize: false, epochs: 30, backend });
  expect(model.diverged).toBe(true);
  expect(model.epochs).toBeLessThan(30);
  expect(Number.isFinite(model.history.at(-1)!.loss)).toBe(false);
});

test('training frees every tensor it made but the model\'s weights', async () => {
  const { tf } = await loadBackend(backend);
  const before = tf.memory().numTensors;
  const model = await fitNn(
    blobs(200, 3, 2, 13),
    { model: 'mlp', task: 'binary', hidden: [4], dropout: 0.5, l2: 0.01, epochs: 6, perBatch: true, earlyStopping: { patience: 1 }, backend },
    { validation: blobs(30, 3, 2, 14) },
  );
  model.predict(blobs(10, 3, 2, 15).x);
  model.toFiles();
  expect(tf.memory().numTensors).toBe(before + 4);
  model.dispose();
  expect(tf.memory().numTensors).toBe(before);
});

describe('settings that do not fit are named, all at once', () => {
  const data = blobs(20, 2, 3, 11);
  test.each([
    [{ model: 'linear', task: 'binary' }, 'model `linear` does not do task `binary`; it does regression'],
    [{ model: 'mlp', task: 'multiclass', classes: 2 }, 'the labels hold class 2 but classes is 2'],
    [{ model: 'mlp', task: 'multiclass', earlyStopping: {} }, 'early stopping cannot follow `val_loss`; it needs validation data or a validationFraction'],
    [{ model: 'mlp', task: 'multiclass', dropout: 1, epochs: 0, hidden: [0] }, 'hidden must be a list of positive whole numbers of units; dropout must be in [0, 1), not 1; epochs must be a whole number >= 1, not 0'],
  ])('%j', async (settings, message) => {
    const err = await fitNn(data, settings as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NnSettingsError);
    expect((err as NnSettingsError).code).toBe('E_NN_SETTINGS');
    expect((err as Error).message).toContain(message);
  });

  test('a label that is not a class index, and missing feature values', async () => {
    const bad: Dataset = { x: { rows: 2, cols: 1, data: Float64Array.from([1, Number.NaN]) }, y: Float64Array.from([0, 1.5]) };
    await expect(fitNn(bad, { model: 'logistic', task: 'binary', backend })).rejects.toThrow(
      'row 1 has label 1.5, not a class index from 0 to 1; training data: a feature value is missing or not finite (impute it first)',
    );
  });
});
