import { describe, expect, it } from 'vitest';
import { classWeights, rowWeights } from '../../../core/steps/model/weights.js';

describe('class weights', () => {
  it('balances as scikit-learn does: rows / (classes x rows of the class)', () => {
    // 95 of class 0, 5 of class 1.
    const y = Float64Array.from({ length: 100 }, (_, i) => (i < 95 ? 0 : 1));
    const w = classWeights('balanced', y, ['stay', 'churn']);
    expect([...w]).toEqual([100 / (2 * 95), 100 / (2 * 5)]);
    // Each class then carries the same total weight.
    const rows = rowWeights(w, y);
    const total = (c: number) => rows.reduce((s, v, i) => s + (y[i] === c ? v : 0), 0);
    expect(total(0)).toBeCloseTo(total(1), 10);
  });

  it('takes explicit weights by class name, 1 for classes left out, and names an unknown class', () => {
    const y = Float64Array.from([0, 1, 2, 1]);
    expect([...classWeights({ b: 3 }, y, ['a', 'b', 'c'])]).toEqual([1, 3, 1]);
    expect(() => classWeights({ d: 2 }, y, ['a', 'b', 'c'])).toThrow('class_weight names `d`, not a class of the label (its classes: `a`, `b`, `c`)');
  });

  it('multiplies into weights the rows already have', () => {
    expect([...rowWeights(Float64Array.from([1, 2]), Float64Array.from([0, 1, 1]), Float64Array.from([1, 0.5, 2]))]).toEqual([1, 1, 4]);
  });
});
