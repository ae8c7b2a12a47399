/**
 * What a search found: each trial's mean and spread of the score over the folds, its rank, the best trial, and the
 * files that say so (the results table's columns, the best settings). Pure: results are ordered by trial number
 * whatever order the trials finished in, and ties go to the earlier trial.
 */
import { stringify } from 'yaml';
import type { Direction } from './metrics/index.js';
import type { Trial } from './tune-search.js';

/** `diverged`: the loss or the predictions stopped being finite. `failed`: the fit or the scoring threw. */
export type TrialStatus = 'ok' | 'diverged' | 'failed';

/** What running one trial gave: a score per fold, or why there is none. */
export interface TrialOutcome {
  trial: number;
  status: TrialStatus;
  /** One per fold, in fold order; empty unless `ok`. */
  scores: number[];
  reason?: string;
}

export interface TrialResult extends Trial, TrialOutcome {
  /** Mean of the fold scores (`ok` trials). */
  mean?: number;
  /** Population standard deviation of the fold scores (`ok` trials). */
  std?: number;
  /** 1 for the best `ok` trial. */
  rank?: number;
}

/** Joins trials with their outcomes, in trial order, and ranks the `ok` ones by mean score (ties: earlier first). */
export function rankTrials(trials: readonly Trial[], outcomes: readonly TrialOutcome[], direction: Direction): TrialResult[] {
  const byTrial = new Map(outcomes.map((o) => [o.trial, o]));
  const results: TrialResult[] = [...trials]
    .sort((a, b) => a.trial - b.trial)
    .map((t) => {
      const o = byTrial.get(t.trial);
      if (!o) throw new Error(`trial ${t.trial} has no outcome`);
      const r: TrialResult = { ...t, ...o, trial: t.trial };
      if (o.status === 'ok') {
        r.mean = mean(o.scores);
        r.std = Math.sqrt(mean(o.scores.map((s) => (s - r.mean!) ** 2)));
      }
      return r;
    });
  const better = (a: TrialResult, b: TrialResult) => (direction === 'higher' ? b.mean! - a.mean! : a.mean! - b.mean!) || a.trial - b.trial;
  results
    .filter((r) => r.status === 'ok')
    .sort(better)
    .forEach((r, i) => {
      r.rank = i + 1;
    });
  return results;
}

/** The rank-1 trial, or undefined when none succeeded. */
export function bestResult(results: readonly TrialResult[]): TrialResult | undefined {
  return results.find((r) => r.rank === 1);
}

export type Cell = number | string | boolean | null;

/** A results column: its values, and what they are (whole numbers are written as such, not as floats). */
export interface ResultColumn {
  name: string;
  type: 'int' | 'float' | 'bool' | 'string';
  values: Cell[];
}

/**
 * The results table, column by column: `trial`, each searched setting, `SCORE_mean`, `SCORE_std`, `fold_1`..`fold_k`,
 * `rank`, `status`, `reason`. A setting whose values are not all numbers, all booleans or all strings is written as
 * JSON text (a list of hidden units, say).
 */
export function resultColumns(results: readonly TrialResult[], keys: readonly string[], score: string, folds: number): ResultColumn[] {
  const setting = (name: string): ResultColumn => {
    const values = results.map((r) => r.settings[name]);
    const same = (type: string) => values.every((v) => typeof v === type);
    if (same('number')) return { name, type: (values as number[]).every(Number.isInteger) ? 'int' : 'float', values: values as number[] };
    if (same('boolean')) return { name, type: 'bool', values: values as boolean[] };
    if (same('string')) return { name, type: 'string', values: values as string[] };
    return { name, type: 'string', values: values.map((v) => (v === undefined ? null : JSON.stringify(v))) };
  };
  const float = (name: string, values: (number | undefined)[]): ResultColumn => ({ name, type: 'float', values: values.map((v) => v ?? null) });
  return [
    { name: 'trial', type: 'int', values: results.map((r) => r.trial) },
    ...keys.map(setting),
    float(`${score}_mean`, results.map((r) => r.mean)),
    float(`${score}_std`, results.map((r) => r.std)),
    ...Array.from({ length: folds }, (_, f) => float(`fold_${f + 1}`, results.map((r) => r.scores[f]))),
    { name: 'rank', type: 'int', values: results.map((r) => r.rank ?? null) },
    { name: 'status', type: 'string', values: results.map((r) => r.status) },
    { name: 'reason', type: 'string', values: results.map((r) => r.reason ?? null) },
  ];
}

/** The best settings as the text of a YAML file, or JSON when the path says `.json`: a map of setting -> value. */
export function bestSettingsText(settings: Record<string, unknown>, path: string): string {
  return /\.json$/i.test(path) ? `${JSON.stringify(settings, null, 2)}\n` : stringify(settings);
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}
