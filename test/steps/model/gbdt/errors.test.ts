import { describe, expect, it } from 'vitest';
import {
  checkGbdtSettings,
  fitGbdt,
  gbdtFromJSON,
  GbdtDataError,
  GbdtModelFormatError,
  GbdtSettingsError,
  GbdtTaskError,
} from '../../../../core/steps/model/gbdt/index.js';
import { makeData } from './data.js';

const data = makeData(200, 2, 1, (x) => (x[0]! > 0 ? 1 : 0));

describe('gbdt errors', () => {
  it('lists every setting out of range, with what is allowed', () => {
    const run = () =>
      fitGbdt(data, { task: 'binary', learning_rate: -1, max_bins: 300, subsample: 0, max_leaf_nodes: 1.5, speed: 3 } as never);
    expect(run).toThrow(GbdtSettingsError);
    try {
      run();
    } catch (e) {
      const err = e as GbdtSettingsError;
      expect(err.code).toBe('E_GBDT_SETTINGS');
      expect(err.problems.map((p) => p.path)).toEqual(['speed', 'learning_rate', 'max_leaf_nodes', 'max_bins', 'subsample']);
      expect(err.message).toContain('learning_rate: must be a number in (0, 10], got -1');
      expect(err.message).toContain('max_bins: must be an integer in [2, 255], got 300');
      expect(err.message).toContain('speed: unknown setting');
    }
    expect(checkGbdtSettings({ task: 'regression', early_stopping: 'yes' as never }).errors).toEqual([
      { path: 'early_stopping', message: "must be auto, true or false, got 'yes'" },
    ]);
    expect(checkGbdtSettings({ task: 'binary', classes: 3 }).errors[0]!.message).toBe('must be 2 for a binary task, got 3');
  });

  it('refuses anomaly detection with a typed error that says what to use', () => {
    expect(() => fitGbdt(data, { task: 'anomaly' })).toThrow(GbdtTaskError);
    expect(() => fitGbdt(data, { task: 'anomaly' })).toThrow(/autoencoder/);
  });

  it('says what is wrong with the data', () => {
    const bad = { ...data, y: data.y!.map((v, i) => (i === 3 ? 2 : v)) };
    expect(() => fitGbdt(bad, { task: 'binary' })).toThrow(/label 2 in a binary task; labels must be 0 or 1/);
    expect(() => fitGbdt({ x: data.x }, { task: 'regression' })).toThrow(GbdtDataError);
    expect(() => fitGbdt({ ...data, weights: new Float64Array(200).fill(-1) }, { task: 'binary' })).toThrow(/weight -1 of row 0/);
    const validation = makeData(10, 3, 2, () => 0);
    expect(() => fitGbdt(data, { task: 'binary' }, { validation })).toThrow(
      /validation data: 3 feature columns, but the training data has 2/,
    );
    const model = fitGbdt(data, { task: 'binary', max_iter: 2 });
    expect(() => model.predict({ rows: 1, cols: 3, data: new Float64Array(3) })).toThrow(/fitted on 2 feature columns but got 3/);
  });

  it('rejects a damaged model file instead of predicting from it', () => {
    const json = fitGbdt(data, { task: 'binary', max_iter: 3 }).toJSON();
    expect(() => gbdtFromJSON('{')).toThrow(GbdtModelFormatError);
    expect(() => gbdtFromJSON({ ...json, version: 9 } as never)).toThrow(/version 9 is not one this gitml reads/);
    const loop = structuredClone(json);
    loop.trees[0]!.left[0] = 0;
    expect(() => gbdtFromJSON(loop)).toThrow(/trees\[0\]\.left\[0\]: 0 is not a node after 0/);
    const short = structuredClone(json);
    short.trees[1]!.value.pop();
    expect(() => gbdtFromJSON(short)).toThrow(/trees\[1\]\.value: \d+ values for \d+ nodes/);
  });
});
