import type { Task } from '../types.js';
import { GbdtSettingsError, GbdtTaskError, type GbdtSettingProblem } from './errors.js';

/** The tasks gradient-boosted trees do. */
export type GbdtTask = Exclude<Task, 'anomaly'>;

/**
 * Every setting of a gradient-boosted trees fit, defaults as scikit-learn's `HistGradientBoosting*` has them.
 * Names are those of `ml.yaml` (snake_case).
 */
export interface GbdtSettings {
  task: GbdtTask;
  /** Number of classes; classification only. @default 2 for binary, the largest label + 1 for multiclass */
  classes: number;
  /** Shrinkage applied to every leaf value. @default 0.1 */
  learning_rate: number;
  /** Boosting rounds (one tree per round, one per class per round for multiclass). @default 100 */
  max_iter: number;
  /** Deepest a tree may grow (the root is depth 0); `null` for no limit. @default null */
  max_depth: number | null;
  /** Most leaves per tree; `null` for no limit. @default 31 */
  max_leaf_nodes: number | null;
  /** Fewest training rows in a leaf. @default 20 */
  min_samples_leaf: number;
  /** L2 penalty on leaf values. @default 0 */
  l2_regularization: number;
  /** Bins for the non-missing values of a feature (missing values get one more). @default 255 */
  max_bins: number;
  /** Fraction of the rows each round is fitted on, drawn with the seed. @default 1 */
  subsample: number;
  /** Fraction of the features each tree may split on, drawn with the seed. @default 1 */
  colsample: number;
  /** Seed of every random choice: the validation split, the binning subsample, row and feature sampling. @default 0 */
  seed: number;
  /**
   * Stop when the validation loss has not improved by more than `tol` for `n_iter_no_change` rounds, and keep the
   * rounds up to the best one. `auto`: on when a validation set is given or there are more than 10,000 rows.
   * @default 'auto'
   */
  early_stopping: 'auto' | boolean;
  /** @default 10 */
  n_iter_no_change: number;
  /** Share of the training rows held out to score early stopping when no validation set is given. @default 0.1 */
  validation_fraction: number;
  /** Smallest decrease of the validation loss that counts as an improvement. @default 1e-7 */
  tol: number;
}

/** What a caller passes: the task, and any settings it sets. */
export type GbdtSettingsInput = { task: Task } & Partial<Omit<GbdtSettings, 'task'>>;

export const GBDT_DEFAULTS: Omit<GbdtSettings, 'task' | 'classes'> = {
  learning_rate: 0.1,
  max_iter: 100,
  max_depth: null,
  max_leaf_nodes: 31,
  min_samples_leaf: 20,
  l2_regularization: 0,
  max_bins: 255,
  subsample: 1,
  colsample: 1,
  seed: 0,
  early_stopping: 'auto',
  n_iter_no_change: 10,
  validation_fraction: 0.1,
  tol: 1e-7,
};

const KNOWN = new Set(['task', 'classes', ...Object.keys(GBDT_DEFAULTS)]);

/**
 * Checks settings and fills defaults. Returns every problem found rather than stopping at the first; `classes`
 * stays undefined when not given (it depends on the labels).
 */
export function checkGbdtSettings(input: GbdtSettingsInput): {
  value?: Omit<GbdtSettings, 'classes'> & { classes?: number };
  errors: GbdtSettingProblem[];
} {
  const errors: GbdtSettingProblem[] = [];
  const raw = input as unknown as Record<string, unknown>;
  for (const key of Object.keys(raw).sort()) {
    if (!KNOWN.has(key)) errors.push({ path: key, message: `unknown setting; the settings are ${[...KNOWN].sort().join(', ')}` });
  }
  if (raw.task === 'anomaly') throw new GbdtTaskError('anomaly');
  if (raw.task !== 'binary' && raw.task !== 'multiclass' && raw.task !== 'regression') {
    errors.push({ path: 'task', message: `must be binary, multiclass or regression, got ${show(raw.task)}` });
  }
  const s = { ...GBDT_DEFAULTS, ...raw } as Record<string, unknown>;
  const num = (key: string, ok: (v: number) => boolean, range: string, integer = false): void => {
    const v = s[key];
    if (typeof v !== 'number' || Number.isNaN(v) || (integer && !Number.isInteger(v)) || !ok(v)) {
      errors.push({ path: key, message: `must be ${integer ? 'an integer' : 'a number'} ${range}, got ${show(v)}` });
    }
  };
  const optionalInt = (key: string, min: number): void => {
    if (s[key] !== null) num(key, (v) => v >= min, `>= ${min} (or null for no limit)`, true);
  };
  num('learning_rate', (v) => v > 0 && v <= 10, 'in (0, 10]');
  num('max_iter', (v) => v >= 1 && v <= 100_000, 'in [1, 100000]', true);
  optionalInt('max_depth', 1);
  optionalInt('max_leaf_nodes', 2);
  num('min_samples_leaf', (v) => v >= 1, '>= 1', true);
  num('l2_regularization', (v) => v >= 0 && Number.isFinite(v), '>= 0');
  num('max_bins', (v) => v >= 2 && v <= 255, 'in [2, 255]', true);
  num('subsample', (v) => v > 0 && v <= 1, 'in (0, 1]');
  num('colsample', (v) => v > 0 && v <= 1, 'in (0, 1]');
  num('seed', (v) => Number.isSafeInteger(v), '(a safe integer)', true);
  if (s.early_stopping !== 'auto' && s.early_stopping !== true && s.early_stopping !== false) {
    errors.push({ path: 'early_stopping', message: `must be auto, true or false, got ${show(s.early_stopping)}` });
  }
  num('n_iter_no_change', (v) => v >= 1, '>= 1', true);
  num('validation_fraction', (v) => v > 0 && v < 1, 'in (0, 1)');
  num('tol', (v) => v >= 0 && Number.isFinite(v), '>= 0');
  if (s.classes !== undefined) {
    num('classes', (v) => v >= 2 && v <= 65_536, 'in [2, 65536]', true);
    if (raw.task === 'regression') errors.push({ path: 'classes', message: 'is for classification; a regression has no classes' });
    else if (raw.task === 'binary' && s.classes !== 2)
      errors.push({ path: 'classes', message: `must be 2 for a binary task, got ${show(s.classes)}` });
  }
  if (errors.length) return { errors };
  return { value: s as unknown as Omit<GbdtSettings, 'classes'> & { classes?: number }, errors };
}

/** `checkGbdtSettings`, throwing `GbdtSettingsError` with every problem when there is one. */
export function resolveGbdtSettings(input: GbdtSettingsInput): Omit<GbdtSettings, 'classes'> & { classes?: number } {
  const { value, errors } = checkGbdtSettings(input);
  if (!value) throw new GbdtSettingsError(errors);
  return value;
}

function show(v: unknown): string {
  return v === undefined
    ? 'nothing'
    : typeof v === 'string'
      ? `'${v}'`
      : typeof v === 'number'
        ? String(v)
        : (JSON.stringify(v) ?? String(v));
}
