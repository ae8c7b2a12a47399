import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmaxClasses,
  confusionMatrix,
  permutationImportance,
  regressionMetrics,
} from '../../../../core/steps/model/metrics/index.js';
import { Random } from '../../../../core/steps/model/random.js';
import type { Matrix } from '../../../../core/steps/model/types.js';

/** 400 rows, two columns of standard normals; the label depends on column 0 only. */
function data(): { x: Matrix; y: Float64Array; target: Float64Array } {
  const rng = new Random(21);
  const rows = 400;
  const x: Matrix = { rows, cols: 2, data: Float64Array.from({ length: rows * 2 }, () => rng.normal()) };
  const y = Float64Array.from({ length: rows }, (_, r) => (x.data[r * 2]! > 0 ? 1 : 0));
  const target = Float64Array.from({ length: rows }, (_, r) => 2 * x.data[r * 2]! + 0.1 * rng.normal());
  return { x, y, target };
}

/** A classifier leaning on column 0, with a little weight on the noise column. */
function classify(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows * 2);
  for (let r = 0; r < m.rows; r++) {
    const p = 1 / (1 + Math.exp(-(4 * m.data[r * 2]! + 0.3 * m.data[r * 2 + 1]!)));
    out[2 * r] = 1 - p;
    out[2 * r + 1] = p;
  }
  return out;
}

const accuracyOf = (y: Float64Array, proba: Float64Array) => accuracy(confusionMatrix(y, argmaxClasses(proba, 2), 2));

describe('permutation importance', () => {
  it('ranks the informative feature above the noise feature', () => {
    const { x, y } = data();
    const r = permutationImportance({
      x,
      y,
      predict: classify,
      score: accuracyOf,
      higherIsBetter: true,
      seed: 1,
      repeats: 5,
      features: ['signal', 'noise'],
    });
    expect(r.baseline).toBeGreaterThan(0.95);
    const [signal, noise] = r.features;
    expect(signal).toMatchObject({ feature: 'signal', column: 0 });
    expect(signal!.mean).toBeGreaterThan(0.3);
    expect(Math.abs(noise!.mean)).toBeLessThan(0.05);
    expect(signal!.drops.length).toBe(5);
    const mean = signal!.drops.reduce((a, b) => a + b, 0) / 5;
    expect(signal!.mean).toBeCloseTo(mean, 15);
    expect(signal!.std).toBeCloseTo(Math.sqrt(signal!.drops.reduce((a, d) => a + (d - mean) ** 2, 0) / 5), 15);
  });

  it('turns the sign for a score where lower is better, so a helpful feature still has a positive drop', () => {
    const { x, target } = data();
    const predict = (m: Matrix) => Float64Array.from({ length: m.rows }, (_, r) => 2 * m.data[r * 2]!);
    const rmse = (y: Float64Array, p: Float64Array) => regressionMetrics({ y, predicted: p }).metrics.rmse;
    const r = permutationImportance({ x, y: target, predict, score: rmse, higherIsBetter: false, seed: 3, repeats: 3 });
    expect(r.features[0]!.mean).toBeGreaterThan(1);
    // The model ignores column 1 entirely: shuffling it changes nothing.
    expect(r.features[1]).toMatchObject({ feature: 'x1', mean: 0, std: 0 });
  });

  it('is deterministic for a seed, differs for another, and leaves the caller matrix as it was', () => {
    const { x, y } = data();
    const before = Float64Array.from(x.data);
    const run = (seed: number) =>
      permutationImportance({ x, y, predict: classify, score: accuracyOf, higherIsBetter: true, seed, repeats: 4 });
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8).features[0]!.drops).not.toEqual(a.features[0]!.drops);
    expect(x.data).toEqual(before);
  });

  it('refuses a score that is not a finite number, naming the shuffled feature', () => {
    const { x, y } = data();
    let calls = 0;
    const score = () => (calls++ === 0 ? 1 : NaN);
    expect(() => permutationImportance({ x, y, predict: classify, score, higherIsBetter: true, seed: 1, features: ['a', 'b'] })).toThrow(
      'the score with `a` shuffled is NaN; the score function must return a finite number',
    );
    expect(() => permutationImportance({ x, y, predict: classify, score: accuracyOf, higherIsBetter: true, seed: 1, repeats: 0 })).toThrow(
      'repeats must be a whole number >= 1, got 0',
    );
  });
});
