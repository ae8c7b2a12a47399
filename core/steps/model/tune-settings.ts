/**
 * What the JSON Schema of `gitml/model/tune` cannot say about its `with:` map (pure; run at load time after the schema
 * passes, so each problem is reported at its line and column): searched keys that are settings of the model, lists
 * that are not empty, ranges that make sense, values the train step accepts, and a score the task has.
 */
import type { TuneWith } from '../../generated/steps.js';
import * as validators from '../../generated/validate-steps.js';
import { schemaChecker, type SchemaIssue } from '../../pipeline/schema.js';
import { isRange } from './tune-search.js';
import { taskMismatch } from './tasks.js';

type TunedModel = TuneWith['model'];

const NN = ['optimizer', 'learning_rate', 'epochs', 'batch_size', 'l2', 'early_stopping', 'validation_fraction'];
/** The train settings each model takes, which are the ones a search can vary. */
export const SEARCHABLE: Record<TunedModel, readonly string[]> = {
  linear: NN,
  logistic: [...NN, 'class_weight'],
  mlp: [...NN, 'hidden', 'activation', 'dropout', 'class_weight'],
  gbdt: [
    'learning_rate',
    'max_iter',
    'max_depth',
    'max_leaf_nodes',
    'min_samples_leaf',
    'l2_regularization',
    'max_bins',
    'subsample',
    'colsample',
    'early_stopping',
    'validation_fraction',
    'class_weight',
  ],
};

/** Settings that take whole numbers: a range over one draws whole numbers. */
export const INTEGER_SETTINGS: ReadonlySet<string> = new Set(['epochs', 'batch_size', 'max_iter', 'max_depth', 'max_leaf_nodes', 'min_samples_leaf', 'max_bins']);
/** Settings that take one number: the only ones a range can cover. */
const NUMERIC_SETTINGS: ReadonlySet<string> = new Set([...INTEGER_SETTINGS, 'learning_rate', 'l2', 'dropout', 'validation_fraction', 'l2_regularization', 'subsample', 'colsample']);

/** Train keys that are not model settings: the data, the outputs, the seed (tune's own seeds every fit). */
const NOT_SEARCHED = ['input', 'label', 'features', 'task', 'model', 'output', 'metrics', 'history', 'monitor', 'record', 'transform', 'validation', 'seed', 'backend', 'monitor_batches'];

/** The metrics a trial can be scored by (what gitml/model/evaluate writes at the top level, with a direction). */
export const SCORES = {
  classification: [
    'accuracy',
    'balanced_accuracy',
    'precision_macro',
    'recall_macro',
    'f1_macro',
    'precision_weighted',
    'recall_weighted',
    'f1_weighted',
    'log_loss',
  ],
  binary: ['precision', 'recall', 'f1', 'roc_auc', 'pr_auc'],
  multiclass: ['roc_auc_macro', 'roc_auc_weighted', 'pr_auc_macro', 'pr_auc_weighted'],
  regression: ['mse', 'rmse', 'mae', 'r2', 'mape'],
} as const;

/** Classification or regression, as far as ml.yaml says (binary or multiclass is known once the label is read). */
export function taskFamily(w: Pick<TuneWith, 'task' | 'model'>): 'classification' | 'regression' {
  return w.task === 'regression' || w.model === 'linear' ? 'regression' : 'classification';
}

/** The score a tune ranks by: as written, or accuracy for classification and rmse for regression. */
export function scoreOf(w: Pick<TuneWith, 'task' | 'model' | 'score'>): string {
  return w.score ?? (taskFamily(w) === 'regression' ? 'rmse' : 'accuracy');
}

const checkTrain = schemaChecker(validators.train);

export function checkTuneWith(w: TuneWith): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const problem = (path: (string | number)[], message: string, key = false) => issues.push({ path, message, ...(key ? { key } : {}) });
  const method = w.method ?? 'grid';
  const takes = SEARCHABLE[w.model];

  const mismatch = w.task === undefined ? undefined : taskMismatch(w.model, w.task);
  if (mismatch) problem(['task'], mismatch);
  if (method === 'random' && w.trials === undefined) problem(['method'], 'random search needs `trials`: how many settings to draw');
  if (method === 'grid' && w.trials !== undefined) problem(['trials'], 'a grid search runs every combination; `trials` is for `method: random`', true);

  for (const [key, values] of Object.entries(w.search)) {
    const at = ['search', key];
    if (!takes.includes(key)) {
      const why = NOT_SEARCHED.includes(key)
        ? `\`${key}\` is not a model setting that can be searched`
        : Object.values(SEARCHABLE).some((list) => list.includes(key))
          ? `\`${key}\` is not a setting of model ${w.model}`
          : `\`${key}\` is not a train setting`;
      problem(at, `${why}; model ${w.model} takes ${takes.join(', ')}`, true);
      continue;
    }
    if (key in w) problem(at, `\`${key}\` is both searched and fixed (\`${key}:\` in \`with\`); keep one`, true);
    if (isRange(values)) {
      if (method !== 'random') {
        problem(at, `a range is drawn from by \`method: random\`; a grid search takes a list of values`);
        continue;
      }
      if (!NUMERIC_SETTINGS.has(key)) {
        problem(at, `\`${key}\` is not a number; list the values to try instead of a range`);
        continue;
      }
      const before = issues.length;
      if (!(values.min < values.max)) problem([...at, 'min'], `min (${values.min}) must be below max (${values.max})`);
      if (values.log && values.min <= 0) problem([...at, 'min'], `a log range needs min > 0, got ${values.min}`);
      const whole = values.int || INTEGER_SETTINGS.has(key);
      if (INTEGER_SETTINGS.has(key) && values.int === false) problem([...at, 'int'], `\`${key}\` takes whole numbers; leave out \`int: false\``);
      if (whole) for (const end of ['min', 'max'] as const) if (!Number.isInteger(values[end])) problem([...at, end], `${end} must be a whole number for \`${key}\`, got ${values[end]}`);
      // Bounds the train step would refuse, once the range itself makes sense.
      if (issues.length === before) for (const end of ['min', 'max'] as const) valueIssues(w, key, values[end], [...at, end], problem);
      continue;
    }
    if (values.length === 0) {
      problem(at, `the list of values for \`${key}\` is empty; give at least one`);
      continue;
    }
    values.forEach((v, i) => valueIssues(w, key, v, [...at, i], problem));
  }

  const family = taskFamily(w);
  const scores: readonly string[] = family === 'regression' ? SCORES.regression : [...SCORES.classification, ...SCORES.binary, ...SCORES.multiclass];
  if (w.score !== undefined && !scores.includes(w.score)) problem(['score'], `\`${w.score}\` is not a ${family} metric; score by one of ${scores.join(', ')}`);
  return issues;
}

/** A searched value must be one the train step takes for that key. */
function valueIssues(w: TuneWith, key: string, value: unknown, at: (string | number)[], problem: (path: (string | number)[], message: string) => void): void {
  for (const issue of checkTrain({ input: 'x.csv', output: 'x', model: w.model, [key]: value })) {
    if (issue.path[0] !== key) continue;
    problem([...at, ...issue.path.slice(1)], issue.message);
  }
}
