import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { TrainWith, TuneWith } from '../../../core/generated/steps.js';
import { Random } from '../../../core/steps/model/random.js';
import { assignFolds, foldRows } from '../../../core/steps/model/tune-folds.js';
import { bestResult, bestSettingsText, rankTrials, resultColumns, type TrialOutcome } from '../../../core/steps/model/tune-results.js';
import { draw, gridSize, gridTrials, randomTrials } from '../../../core/steps/model/tune-search.js';
import { checkTuneWith } from '../../../core/steps/model/tune-settings.js';
import { runTrial, type TrialData } from '../../../core/steps/model/tune-trial.js';

describe('grid search', () => {
  it('lists every combination once, keys by name, the last varying fastest', () => {
    const trials = gridTrials({ max_depth: [2, 4], learning_rate: [0.1, 0.3, 1] });
    expect(gridSize({ max_depth: [2, 4], learning_rate: [0.1, 0.3, 1] })).toBe(6);
    expect(trials.map((t) => t.trial)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(trials.map((t) => t.settings)).toEqual([
      { learning_rate: 0.1, max_depth: 2 },
      { learning_rate: 0.1, max_depth: 4 },
      { learning_rate: 0.3, max_depth: 2 },
      { learning_rate: 0.3, max_depth: 4 },
      { learning_rate: 1, max_depth: 2 },
      { learning_rate: 1, max_depth: 4 },
    ]);
    expect(Object.keys(trials[0]!.settings)).toEqual(['learning_rate', 'max_depth']);
  });

  it('keeps list values such as hidden layers whole', () => {
    expect(gridTrials({ hidden: [[8], [16, 8]] }).map((t) => t.settings.hidden)).toEqual([[8], [16, 8]]);
  });
});

describe('random search', () => {
  it('draws distinct combinations of lists, at most the grid, the same for the same seed', () => {
    const space = { a: [1, 2, 3], b: ['x', 'y'] };
    const trials = randomTrials(space, 4, new Random(5));
    const seen = new Set(trials.map((t) => JSON.stringify(t.settings)));
    expect(seen.size).toBe(4);
    expect(randomTrials(space, 4, new Random(5))).toEqual(trials);
    expect(randomTrials(space, 4, new Random(6))).not.toEqual(trials);
    const all = randomTrials(space, 50, new Random(1));
    expect(all).toHaveLength(6);
    expect(new Set(all.map((t) => JSON.stringify(t.settings))).size).toBe(6);
  });

  it('draws from ranges within their bounds: whole numbers, log scale', () => {
    const r = new Random(3);
    const ints = Array.from({ length: 300 }, () => draw({ min: 2, max: 5, int: true }, r) as number);
    expect(new Set(ints)).toEqual(new Set([2, 3, 4, 5]));
    const logs = Array.from({ length: 300 }, () => draw({ min: 1e-4, max: 1, log: true }, r) as number);
    expect(Math.min(...logs)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...logs)).toBeLessThanOrEqual(1);
    // On a log scale about half the draws fall below the geometric middle (0.01); uniformly, about 1%.
    const below = logs.filter((v) => v < 0.01).length / logs.length;
    expect(below).toBeGreaterThan(0.35);
    expect(below).toBeLessThan(0.65);
    const trials = randomTrials({ learning_rate: { min: 0.01, max: 0.3 }, max_depth: [3, 5] }, 10, new Random(0));
    expect(trials).toHaveLength(10);
    for (const t of trials) {
      expect(t.settings.learning_rate).toBeGreaterThanOrEqual(0.01);
      expect(t.settings.learning_rate).toBeLessThanOrEqual(0.3);
      expect([3, 5]).toContain(t.settings.max_depth);
    }
  });
});

describe('folds', () => {
  it('stratifies: each fold holds each class about in proportion, sizes within one', () => {
    const y = Float64Array.from({ length: 103 }, (_, i) => (i < 80 ? 0 : i < 97 ? 1 : 2));
    const fold = assignFolds(y.length, 5, new Random(1), y);
    for (let f = 0; f < 5; f++) {
      const { train, test } = foldRows(fold, f);
      expect(train.length + test.length).toBe(103);
      expect([20, 21]).toContain(test.length);
      const count = (c: number) => [...test].filter((r) => y[r] === c).length;
      expect(count(0)).toBe(16);
      expect([3, 4]).toContain(count(1));
      expect([0, 1, 2]).toContain(count(2));
      expect([...train].every((r) => fold[r] !== f)).toBe(true);
    }
    expect(assignFolds(y.length, 5, new Random(1), y)).toEqual(fold);
    expect(assignFolds(y.length, 5, new Random(2), y)).not.toEqual(fold);
  });

  it('splits unstratified rows evenly, and refuses more folds than rows', () => {
    const fold = assignFolds(10, 3, new Random(0));
    expect([0, 1, 2].map((f) => foldRows(fold, f).test.length).sort()).toEqual([3, 3, 4]);
    expect(() => assignFolds(2, 3, new Random(0))).toThrow(/2 rows cannot be split into 3 folds/);
  });
});

describe('results', () => {
  const trials = [1, 2, 3, 4].map((trial) => ({ trial, settings: { max_depth: trial, hidden: trial === 4 ? [8, 4] : [8] } }));
  const outcomes: TrialOutcome[] = [
    { trial: 3, status: 'ok', scores: [0.9, 0.7] },
    { trial: 4, status: 'diverged', scores: [], reason: 'fold 1: the loss stopped being finite' },
    { trial: 1, status: 'ok', scores: [0.8, 0.8] },
    { trial: 2, status: 'ok', scores: [0.5, 0.5] },
  ];

  it('orders by trial whatever order they finished in, ranks by mean, ties to the earlier trial', () => {
    const results = rankTrials(trials, outcomes, 'higher');
    expect(results.map((r) => r.trial)).toEqual([1, 2, 3, 4]);
    expect(results.map((r) => r.rank)).toEqual([1, 3, 2, undefined]);
    expect(results[2]!.mean).toBeCloseTo(0.8, 12);
    expect(results[2]!.std).toBeCloseTo(0.1, 12);
    expect(results[0]!.std).toBe(0);
    expect(bestResult(results)!.trial).toBe(1);
    const lower = rankTrials(trials, outcomes, 'lower');
    expect(bestResult(lower)!.trial).toBe(2);
    expect(bestResult(rankTrials(trials, outcomes.map((o) => ({ ...o, status: 'failed', scores: [] })), 'higher'))).toBeUndefined();
  });

  it('lays out the table: settings, mean, std, fold scores, rank, status, reason', () => {
    const cols = resultColumns(rankTrials(trials, outcomes, 'higher'), ['hidden', 'max_depth'], 'accuracy', 2);
    expect(cols.map((c) => c.name)).toEqual(['trial', 'hidden', 'max_depth', 'accuracy_mean', 'accuracy_std', 'fold_1', 'fold_2', 'rank', 'status', 'reason']);
    const col = (name: string) => cols.find((c) => c.name === name)!;
    expect(col('hidden')).toMatchObject({ type: 'string', values: ['[8]', '[8]', '[8]', '[8,4]'] });
    expect(col('max_depth').type).toBe('int');
    expect(col('fold_2').values).toEqual([0.8, 0.5, 0.7, null]);
    expect(col('status').values).toEqual(['ok', 'ok', 'ok', 'diverged']);
    expect(col('reason').values[3]).toMatch(/not be finite|stopped being finite/);
  });

  it('writes the best settings as YAML or JSON by extension', () => {
    const settings = { hidden: [16, 8], learning_rate: 0.05 };
    expect(parse(bestSettingsText(settings, 'best.yaml'))).toEqual(settings);
    expect(JSON.parse(bestSettingsText(settings, 'out/best.json'))).toEqual(settings);
  });
});

describe('settings checks', () => {
  const base: TuneWith = { input: 't.csv', label: 'y', model: 'gbdt', search: { max_depth: [2, 3] }, results: 'r.csv', best: 'b.yaml' };
  const messages = (w: Partial<TuneWith>) => checkTuneWith({ ...base, ...w } as TuneWith).map((i) => `${i.path.join('.')}: ${i.message}`);

  it('accepts a sound search', () => {
    expect(messages({})).toEqual([]);
    expect(messages({ method: 'random', trials: 5, search: { learning_rate: { min: 0.01, max: 0.3, log: true }, max_depth: { min: 2, max: 8 } } })).toEqual([]);
  });

  it('names each bad key, empty list, range, value and score at its place', () => {
    expect(messages({ search: { hidden: [[8]], seed: [1], nonsense: [1] } })).toEqual([
      expect.stringMatching(/^search\.hidden: `hidden` is not a setting of model gbdt; model gbdt takes learning_rate, /),
      expect.stringMatching(/^search\.seed: `seed` is not a model setting that can be searched/),
      expect.stringMatching(/^search\.nonsense: `nonsense` is not a train setting/),
    ]);
    expect(messages({ search: { max_depth: [] } })).toEqual(['search.max_depth: the list of values for `max_depth` is empty; give at least one']);
    expect(messages({ search: { colsample: [0.5, 2] } })).toEqual(['search.colsample.1: must be <= 1']);
    expect(messages({ method: 'random', trials: 3, search: { learning_rate: { min: 0, max: 0.1, log: true }, max_depth: { min: 5, max: 2 } } })).toEqual([
      'search.learning_rate.min: a log range needs min > 0, got 0',
      'search.max_depth.min: min (5) must be below max (2)',
    ]);
    expect(messages({ method: 'random', trials: 3, search: { max_depth: { min: 2.5, max: 6 } } })).toEqual(['search.max_depth.min: min must be a whole number for `max_depth`, got 2.5']);
    expect(messages({ search: { max_depth: { min: 2, max: 6 } } })).toEqual([expect.stringMatching(/^search\.max_depth: a range is drawn from by `method: random`/)]);
    expect(messages({ method: 'random' })).toEqual(['method: random search needs `trials`: how many settings to draw']);
    expect(messages({ max_depth: 3 })).toEqual(['search.max_depth: `max_depth` is both searched and fixed (`max_depth:` in `with`); keep one']);
    expect(messages({ score: 'rmse' })).toEqual([expect.stringMatching(/^score: `rmse` is not a classification metric; score by one of accuracy, /)]);
    expect(messages({ model: 'linear', score: 'accuracy', search: { epochs: [5] } })).toEqual([expect.stringMatching(/^score: `accuracy` is not a regression metric/)]);
  });
});

describe('a trial', () => {
  // Two informative features; the label is the sign of their sum.
  const r = new Random(11);
  const rows = 200;
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    x[i * 2] = r.normal();
    x[i * 2 + 1] = r.normal();
    y[i] = x[i * 2]! + x[i * 2 + 1]! > 0 ? 1 : 0;
  }
  const data: TrialData = {
    x: { rows, cols: 2, data: x },
    y,
    fold: assignFolds(rows, 3, new Random(0), y),
    folds: 3,
    task: 'binary',
    classes: ['no', 'yes'],
    score: 'accuracy',
    fitSeeds: [1, 2, 3],
  };
  const w = (extra: Partial<TrainWith>): TrainWith => ({ input: 't.csv', output: '', model: 'gbdt', max_iter: 20, ...extra });

  it('scores each fold on its held-out rows, the same on every run', async () => {
    const a = await runTrial(data, { trial: 1, w: w({ max_depth: 3 }) });
    expect(a.status).toBe('ok');
    expect(a.scores).toHaveLength(3);
    for (const s of a.scores) expect(s).toBeGreaterThan(0.85);
    expect(await runTrial(data, { trial: 1, w: w({ max_depth: 3 }) })).toEqual(a);
  });

  it('ends with the reason when the fit fails, without throwing', async () => {
    const bad = await runTrial(data, { trial: 7, w: w({ learning_rate: 50 }) });
    expect(bad).toEqual({ trial: 7, status: 'failed', scores: [], reason: expect.stringMatching(/^fold 1: invalid gbdt settings: learning_rate: must be a number in \(0, 10\], got 50$/) });
  });
});
