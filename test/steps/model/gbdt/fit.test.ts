import { describe, expect, it } from 'vitest';
import { fitGbdt, gbdtFromJSON } from '../../../../core/steps/model/gbdt/index.js';
import { accuracy, makeData, recall, sameBits } from './data.js';

describe('fitGbdt', () => {
  it('learns an XOR boundary and a linear one, on held-out rows', () => {
    const xor = (x: Float64Array): number => (x[0]! * x[1]! > 0 ? 1 : 0);
    const linear = (x: Float64Array): number => (x[0]! + 2 * x[1]! - 0.5 * x[2]! > 0.1 ? 1 : 0);
    for (const label of [xor, linear]) {
      const model = fitGbdt(makeData(4000, 4, 1, label), { task: 'binary', early_stopping: false });
      const test = makeData(2000, 4, 2, label);
      expect(accuracy(model.predict(test.x), 2, test.y!)).toBeGreaterThan(0.95);
      expect(model.outputs).toBe(2);
      expect(model.rounds).toBe(100);
      expect(model.history).toHaveLength(100);
      // Probabilities: two per row, summing to 1.
      const p = model.predict(test.x);
      expect(p[0]! + p[1]!).toBeCloseTo(1, 12);
    }
  });

  it('learns three classes with one tree per class per round', () => {
    const label = (x: Float64Array): number => (x[0]! < -0.3 ? 0 : x[1]! < 0 ? 1 : 2);
    const model = fitGbdt(makeData(3000, 3, 3, label), { task: 'multiclass', max_iter: 40, early_stopping: false });
    expect(model.outputs).toBe(3);
    expect(model.trees).toHaveLength(120);
    const test = makeData(1000, 3, 4, label);
    expect(accuracy(model.predict(test.x), 3, test.y!)).toBeGreaterThan(0.95);
    expect(model.history.at(-1)!.loss).toBeLessThan(model.history[0]!.loss);
  });

  it('fits a regression to a low RMSE', () => {
    const target = (x: Float64Array, r: { normal(): number }): number => 3 * Math.sin(3 * x[0]!) + x[1]! ** 2 * 2 + 0.1 * r.normal();
    const model = fitGbdt(makeData(5000, 3, 5, target), { task: 'regression', max_iter: 200, early_stopping: false });
    const test = makeData(1000, 3, 6, target);
    const pred = model.predict(test.x);
    let se = 0;
    let spread = 0;
    let mean = 0;
    for (const v of test.y!) mean += v / test.y!.length;
    for (let i = 0; i < pred.length; i++) {
      se += (pred[i]! - test.y![i]!) ** 2;
      spread += (test.y![i]! - mean) ** 2;
    }
    const rmse = Math.sqrt(se / pred.length);
    expect(rmse).toBeLessThan(0.25);
    expect(rmse).toBeLessThan(0.15 * Math.sqrt(spread / pred.length));
    expect(model.metricName).toBe('rmse');
    expect(model.history.at(-1)!.metric).toBeCloseTo(Math.sqrt(model.history.at(-1)!.loss), 12);
  });

  it('learns which side missing values go, and routes unseen missing values somewhere sane', () => {
    // Feature 0 is missing for a third of the rows, and those rows are all class 1.
    const d = makeData(3000, 2, 7, (x, r) => {
      if (r.next() < 1 / 3) {
        x[0] = NaN;
        return 1;
      }
      return x[0]! > 0.5 ? 1 : 0;
    });
    const model = fitGbdt(d, { task: 'binary', max_iter: 30, early_stopping: false });
    const p = model.predict({ rows: 3, cols: 2, data: Float64Array.of(NaN, 0, -0.9, 0, 0.9, 0) });
    expect(p[1]).toBeGreaterThan(0.9); // missing -> class 1
    expect(p[3]).toBeLessThan(0.1);
    expect(p[5]).toBeGreaterThan(0.9);
    // Feature 1 never had a missing value: a NaN there still gets a probability, as if it were absent.
    const q = model.predict({ rows: 1, cols: 2, data: Float64Array.of(0.9, NaN) });
    expect(q[1]).toBeGreaterThan(0.9);
  });

  it('honours sample weights: weighting the rare class up raises its recall', () => {
    // 10% class 1, overlapping with class 0.
    const make = (seed: number) =>
      makeData(4000, 3, seed, (x, r) => {
        const z = x[0]! + 0.6 * r.normal();
        return z > 0.9 ? 1 : 0;
      });
    const train = make(8);
    const test = make(9);
    const plain = fitGbdt(train, { task: 'binary', max_iter: 50, early_stopping: false });
    const weights = train.y!.map((c) => (c === 1 ? 8 : 1));
    const weighted = fitGbdt({ ...train, weights }, { task: 'binary', max_iter: 50, early_stopping: false });
    const before = recall(plain.predict(test.x), 2, test.y!, 1);
    const after = recall(weighted.predict(test.x), 2, test.y!, 1);
    expect(after).toBeGreaterThan(before + 0.15);
  });

  it('stops early on a noisy problem and keeps the best round', () => {
    const noisy = (x: Float64Array, r: { next(): number }): number => (r.next() < 0.35 ? 1 - +(x[0]! > 0) : +(x[0]! > 0));
    const train = makeData(3000, 5, 10, noisy);
    const validation = makeData(1500, 5, 11, noisy);
    const model = fitGbdt(train, { task: 'binary', max_iter: 300, learning_rate: 0.3, min_samples_leaf: 5 }, { validation });
    expect(model.history.length).toBeLessThan(300);
    expect(model.history.length).toBe(model.rounds + 10); // stopped n_iter_no_change rounds after the best
    const losses = model.history.map((h) => h.val_loss!);
    expect(losses[model.rounds - 1]).toBe(Math.min(...losses));
    expect(model.trees).toHaveLength(model.rounds);
    // Without a validation set, `true` holds out validation_fraction of the rows.
    const held = fitGbdt(train, { task: 'binary', max_iter: 300, learning_rate: 0.3, min_samples_leaf: 5, early_stopping: true });
    expect(held.rounds).toBeLessThan(300);
    expect(held.history[0]!.val_loss).toBeGreaterThan(0);
  });

  it('ranks an informative feature above noise features by gain', () => {
    const model = fitGbdt(
      makeData(3000, 5, 12, (x) => (x[2]! > 0.2 ? 1 : 0)),
      { task: 'binary', max_iter: 30, early_stopping: false },
    );
    const importance = model.importance();
    expect(importance).toHaveLength(5);
    expect(importance.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(importance[2]).toBeGreaterThan(0.8);
  });

  it('gives bit-identical models for the same seed, and different ones for another seed when sampling', () => {
    const d = makeData(3000, 6, 13, (x) => (x[0]! + x[1]! * x[2]! > 0 ? 1 : 0));
    const settings = { task: 'binary' as const, max_iter: 20, subsample: 0.7, colsample: 0.6, seed: 5, early_stopping: false };
    const a = fitGbdt(d, settings);
    const b = fitGbdt(d, settings);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(sameBits(b.predict(d.x), a.predict(d.x))).toBe(true);
    const c = fitGbdt(d, { ...settings, seed: 6 });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    expect(sameBits(c.predict(d.x), a.predict(d.x))).toBe(false);
  });

  it('gives the same model on worker threads as on one thread', () => {
    // Large enough that histograms of the upper nodes are shared out (200,000 cells and up).
    const d = makeData(40_000, 8, 14, (x, r) => (x[0]! * x[1]! + 0.3 * x[2]! + 0.2 * r.normal() > 0 ? 1 : 0));
    for (const extra of [{}, { colsample: 0.75, subsample: 0.8 }]) {
      const settings = { task: 'binary' as const, max_iter: 8, early_stopping: false, ...extra };
      const one = fitGbdt(d, settings, { threads: 1 });
      const three = fitGbdt(d, settings, { threads: 3 });
      expect(JSON.stringify(three)).toBe(JSON.stringify(one));
    }
  });

  it('round-trips through JSON to a model predicting bit-identically', () => {
    const d = makeData(2000, 3, 15, (x) => (x[0]! > 0 ? 2 : x[1]! > 0 ? 1 : 0));
    d.x.data[5] = NaN;
    const model = fitGbdt(d, { task: 'multiclass', max_iter: 10, early_stopping: false });
    const text = JSON.stringify(model);
    const loaded = gbdtFromJSON(text);
    const probe = { rows: 4, cols: 3, data: Float64Array.of(0.3, -0.2, NaN, NaN, NaN, NaN, -0.9, 0.9, 0, 1e300, -1e300, 0) };
    expect(sameBits(loaded.predict(probe), model.predict(probe))).toBe(true);
    expect(sameBits(loaded.predict(d.x), model.predict(d.x))).toBe(true);
    expect(JSON.stringify(loaded)).toBe(text);
    expect(sameBits(gbdtFromJSON(JSON.parse(text)).importance(), model.importance())).toBe(true);
  });
});
