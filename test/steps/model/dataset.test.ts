import { describe, expect, it } from 'vitest';
import { DatasetError, toDataset, type TableColumn } from '../../../core/steps/model/dataset.js';

const table: TableColumn[] = [
  { name: 'age', kind: 'int', values: [30, 41, null, 25] },
  { name: 'spend', kind: 'float', values: [1.5, 2.25, 3, 0.5] },
  { name: 'member', kind: 'bool', values: [true, false, true, false] },
  { name: 'city', kind: 'string', values: ['a', 'b', 'a', 'c'] },
  { name: 'tier', kind: 'int', values: [10, 2, 2, 10] },
  { name: 'churned', kind: 'string', values: ['yes', 'no', 'no', 'yes'] },
];

function error(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DatasetError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('toDataset', () => {
  it('reads the named features row-major, booleans as 0/1 and nulls as NaN, and classes in sorted order', () => {
    const d = toDataset(table, { task: 'binary', label: 'churned', features: ['age', 'spend', 'member'] });
    expect(d.features).toEqual([
      { name: 'age', type: 'int' },
      { name: 'spend', type: 'float' },
      { name: 'member', type: 'bool' },
    ]);
    expect(d.dataset.x.rows).toBe(4);
    expect(d.dataset.x.cols).toBe(3);
    expect([...d.dataset.x.data]).toEqual([30, 1.5, 1, 41, 2.25, 0, NaN, 3, 1, 25, 0.5, 0]);
    expect(d.classes).toEqual(['no', 'yes']);
    expect([...d.dataset.y!]).toEqual([1, 0, 0, 1]);
  });

  it('orders numeric classes by value and keeps the classes a trained model knows', () => {
    const multi = toDataset(table, { task: 'multiclass', label: 'tier', features: ['spend'] });
    expect(multi.classes).toEqual(['2', '10']);
    expect([...multi.dataset.y!]).toEqual([1, 0, 0, 1]);
    const scored = toDataset(table, { task: 'binary', label: 'churned', features: ['spend'], classes: ['yes', 'no'] });
    expect([...scored.dataset.y!]).toEqual([0, 1, 1, 0]);
    const e = error(() => toDataset(table, { task: 'binary', label: 'churned', features: ['spend'], classes: ['yes', 'maybe'] }));
    expect(e.message).toBe('label `churned` has `no`, which the model was not trained on (its classes: `yes`, `maybe`)');
  });

  it('without a feature list takes every other column, and a text column is an error pointing at `features`', () => {
    const e = error(() => toDataset(table, { task: 'binary', label: 'churned' }));
    expect(e.key).toBe('features');
    expect(e.column).toBe('city');
    expect(e.message).toContain('column `city` is string, and models take numbers: encode it first (one_hot or ordinal in gitml/data/features)');
  });

  it('says what is wrong with the label for the task', () => {
    expect(error(() => toDataset(table, { task: 'regression', label: 'churned', features: ['age'] })).message).toBe(
      'label `churned` is string; a regression label must be numeric',
    );
    expect(error(() => toDataset(table, { task: 'binary', label: 'nope', features: ['age'] })).key).toBe('label');
    const three = [...table.slice(0, 5), { name: 'y', kind: 'string' as const, values: ['a', 'b', 'c', 'a'] }];
    expect(error(() => toDataset(three, { task: 'binary', label: 'y', features: ['age'] })).message).toContain('a binary task needs exactly 2 (use task: multiclass for more)');
    expect(error(() => toDataset(table, { task: 'regression', label: 'age', features: ['spend'] })).message).toBe(
      'label `age` is missing or not finite in row 3',
    );
    expect(error(() => toDataset(table, { task: 'binary', features: ['spend'] })).message).toBe('a binary model needs a `label` column');
  });

  it('reads regression labels as numbers and anomaly labels as flags', () => {
    expect([...toDataset(table, { task: 'regression', label: 'spend', features: ['member'] }).dataset.y!]).toEqual([1.5, 2.25, 3, 0.5]);
    const a = toDataset(table, { task: 'anomaly', label: 'churned', features: ['spend'] });
    expect(a.dataset.y).toBeUndefined();
    expect([...a.anomalies!]).toEqual([1, 0, 0, 1]);
    expect(toDataset(table, { task: 'anomaly', features: ['spend'] }).anomalies).toBeUndefined();
  });
});
