import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, REPO_ROOT } from './helpers/fixture.js';

/** Copies an example's pipeline, params, lockfile and shipped data (nothing it builds) into a fresh workspace. */
function freshCopy(name: string) {
  const src = join(REPO_ROOT, 'examples', name);
  const fx = makeFixture();
  for (const file of ['ml.yaml', 'params.yaml', 'ml.lock.json']) cpSync(join(src, file), join(fx.dir, file));
  for (const file of readdirSync(join(src, 'data')).filter((f) => f.endsWith('.csv'))) cpSync(join(src, 'data', file), join(fx.dir, 'data', file));
  return { fx, src };
}

describe('the example pipelines', () => {
  it('iris: a multiclass gbdt, reproduced byte for byte, accurate on every species', () => {
    const { fx, src } = freshCopy('iris');
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fx.read('ml.lock.json')).toBe(readFileSync(join(src, 'ml.lock.json'), 'utf8'));
    const m = JSON.parse(fx.read('metrics/eval.json'));
    expect(m.accuracy).toBeGreaterThan(0.9);
    expect(Object.keys(m.per_class)).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(JSON.parse(fx.read('metrics/accept.json')).passed).toBe(true);
  });

  it('diabetes: an MLP regression, reproduced byte for byte, better than predicting the mean', () => {
    const { fx, src } = freshCopy('diabetes');
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fx.read('ml.lock.json')).toBe(readFileSync(join(src, 'ml.lock.json'), 'utf8'));
    const m = JSON.parse(fx.read('metrics/eval.json'));
    expect(m.r2).toBeGreaterThan(0.3);
    expect(m.rmse).toBeLessThan(65);
    expect(JSON.parse(fx.read('metrics/accept.json')).passed).toBe(true);
  });
});
