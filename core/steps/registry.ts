import * as validators from '../generated/validate-steps.js';
import { schemaChecker, type SchemaIssue } from '../pipeline/schema.js';
import type { SynthWith, TuneWith } from '../generated/steps.js';
import type { PlotOptions } from '../pipeline/types.js';
import { checkSynthWith } from './synth-settings.js';
import { METRIC_DIRECTIONS } from './model/metrics/direction.js';
import { monitorPath, recordPath, signaturePath } from './model/paths.js';
import { parseCheck } from './model/accept-checks.js';
import { checkTuneWith } from './model/tune-settings.js';

/** What `uses:` names: `gitml/data/<step>` for the data steps, `gitml/<family>/<step>` for the others. */
export const STEP_PREFIX = 'gitml/';
const DATA_PREFIX = 'gitml/data/';

export const STEP_NAMES = ['ingest', 'profile', 'validate', 'clean', 'features', 'split', 'synth', 'model/train', 'model/evaluate', 'model/accept', 'model/tune', 'model/package', 'model/predict'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** A file a step reads or writes, as named in its `with:` map (relative to the stage's wdir). */
export interface StepPath {
  /** The key path in `with:` (for error locations). */
  key: (string | number)[];
  path: string;
}

export interface StepOutput extends StepPath {
  /** Reports and fitted transforms are committed to git; datasets go to the cache. */
  cache: boolean;
  /** A metrics or plots file, declared as if under the stage's `metrics:` or `plots:`. @default 'out' */
  kind?: 'out' | 'metric' | 'plot';
  /** Metrics: which way is better for each key. */
  better?: Record<string, 'higher' | 'lower'>;
  /** Plots: how to draw the file. */
  plot?: PlotOptions;
  /** The step cannot promise the same bytes on every run here (say, training on a GPU). */
  nondeterministic?: boolean;
}

/** How a step runs: imported only by `gitml step`, so that loading ml.yaml never loads polars. */
export interface StepModule {
  run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void>;
}

export interface StepContext {
  /** The directory paths in `with:` are relative to (the stage's wdir). */
  cwd: string;
  /** Progress and summary lines for the stage log. */
  log: (line: string) => void;
}

export interface StepDefinition {
  name: StepName;
  summary: string;
  /** Accepted `with:` keys, for error messages. */
  keys: string[];
  check: (withMap: unknown) => SchemaIssue[];
  inputs: (withMap: Record<string, unknown>) => StepPath[];
  outputs: (withMap: Record<string, unknown>) => StepOutput[];
  load: () => Promise<StepModule>;
}

const str = (v: unknown): v is string => typeof v === 'string';

/** The schema's checks, then, once the shape is right, what the schema cannot say (run at load time, so located). */
function checkedBy(validator: Parameters<typeof schemaChecker>[0], more: (w: unknown) => SchemaIssue[]): StepDefinition['check'] {
  const schema = schemaChecker(validator);
  return (w) => {
    const issues = schema(w);
    return issues.length ? issues : more(w);
  };
}
const at = (w: Record<string, unknown>, key: string): StepPath[] => (str(w[key]) ? [{ key: [key], path: w[key] }] : []);
const out = (w: Record<string, unknown>, key: string, cache: boolean): StepOutput[] => at(w, key).map((p) => ({ ...p, cache }));

/**
 * The part of a glob before its first wildcard segment: the directory a stage depends on for it (`data/raw/*.csv`
 * -> `data/raw`), so a file added there reruns the stage.
 */
export function globBase(pattern: string): string | undefined {
  const parts = pattern.split('/');
  const first = parts.findIndex((p) => /[*?[\]{}]/.test(p));
  if (first < 0) return undefined;
  return parts.slice(0, first).join('/') || '.';
}

function ingestInputs(w: Record<string, unknown>): StepPath[] {
  const list = Array.isArray(w.input) ? w.input : [w.input];
  return list.flatMap((p, i): StepPath[] => {
    if (!str(p)) return [];
    const key = Array.isArray(w.input) ? ['input', i] : ['input'];
    return [{ key, path: globBase(p) ?? p }];
  });
}

const KEYS = {
  ingest: ['input', 'output', 'format', 'schema', 'mask', 'mask_key_env'],
  profile: ['input', 'output', 'html', 'label', 'bins', 'top', 'correlations'],
  validate: ['input', 'expectations', 'output', 'examples'],
  clean: ['input', 'output', 'report', 'impute', 'drop_duplicates', 'drop_nulls', 'outliers', 'cast'],
  features: ['input', 'output', 'transform', 'standardize', 'normalize', 'one_hot', 'ordinal', 'bucketize', 'log'],
  split: ['input', 'outputs', 'fractions', 'stratify', 'time', 'group', 'seed'],
  synth: ['profile', 'schema', 'output', 'rows', 'seed', 'correlations', 'label'],
  train: ['input', 'label', 'features', 'task', 'model', 'output', 'metrics', 'history', 'monitor', 'record', 'transform', 'settings', 'validation', 'validation_fraction', 'seed', 'class_weight', 'backend', 'hidden', 'activation', 'dropout', 'l2', 'encoder', 'optimizer', 'learning_rate', 'epochs', 'batch_size', 'early_stopping', 'monitor_batches', 'max_iter', 'max_depth', 'max_leaf_nodes', 'min_samples_leaf', 'l2_regularization', 'max_bins', 'subsample', 'colsample'],
  accept: ['model', 'input', 'label', 'checks', 'threshold', 'max_latency_ms', 'report', 'backend'],
  tune: ['input', 'label', 'features', 'task', 'model', 'search', 'method', 'trials', 'folds', 'score', 'seed', 'jobs', 'results', 'best', 'metrics', 'validation_fraction', 'class_weight', 'backend', 'hidden', 'activation', 'dropout', 'l2', 'optimizer', 'learning_rate', 'epochs', 'batch_size', 'early_stopping', 'max_iter', 'max_depth', 'max_leaf_nodes', 'min_samples_leaf', 'l2_regularization', 'max_bins', 'subsample', 'colsample'],
  predict: ['model', 'input', 'output', 'id', 'batch'],
  package: ['model', 'output', 'signature', 'name', 'parity', 'parity_rows', 'tolerance', 'impute', 'metrics', 'backend'],
  evaluate: ['model', 'input', 'label', 'metrics', 'threshold', 'roc', 'pr', 'confusion', 'predicted', 'residuals', 'importance', 'importance_repeats', 'seed', 'backend'],
};

/** `better:` of the metrics files the model steps write: every metric name they emit that has a direction. */
const MODEL_BETTER = Object.fromEntries(
  Object.entries({ ...METRIC_DIRECTIONS, loss: 'lower', val_loss: 'lower', val_accuracy: 'higher', val_rmse: 'lower', parity_max_diff: 'lower' }).filter(
    (e): e is [string, 'higher' | 'lower'] => e[1] !== null,
  ),
);

const metricOut = (w: Record<string, unknown>, key: string): StepOutput[] => out(w, key, false).map((o) => ({ ...o, kind: 'metric', better: MODEL_BETTER }));
const plotOut = (w: Record<string, unknown>, key: string, plot: PlotOptions): StepOutput[] => out(w, key, false).map((o) => ({ ...o, kind: 'plot', plot }));

export const STEPS: Record<StepName, StepDefinition> = {
  ingest: {
    name: 'ingest',
    summary: 'read CSV, TSV, Parquet, JSON, NDJSON or Arrow files into one file (its extension chooses the format), masking sensitive columns',
    keys: KEYS.ingest,
    check: schemaChecker(validators.ingest),
    inputs: ingestInputs,
    outputs: (w) => out(w, 'output', true),
    load: () => import('./ingest.js'),
  },
  profile: {
    name: 'profile',
    summary: 'per-column statistics (JSON) and an HTML page with histograms',
    keys: KEYS.profile,
    check: schemaChecker(validators.profile),
    inputs: (w) => at(w, 'input'),
    outputs: (w) => [...out(w, 'output', false), ...out(w, 'html', false)],
    load: () => import('./profile.js'),
  },
  validate: {
    name: 'validate',
    summary: 'check a dataset against an expectations file; fail on any failed expectation',
    keys: KEYS.validate,
    check: schemaChecker(validators.validate),
    inputs: (w) => [...at(w, 'input'), ...at(w, 'expectations')],
    outputs: (w) => out(w, 'output', false),
    load: () => import('./validate.js'),
  },
  clean: {
    name: 'clean',
    summary: 'impute, deduplicate, drop nulls, treat outliers, cast',
    keys: KEYS.clean,
    check: schemaChecker(validators.clean),
    inputs: (w) => at(w, 'input'),
    outputs: (w) => [...out(w, 'output', true), ...out(w, 'report', false)],
    load: () => import('./clean.js'),
  },
  features: {
    name: 'features',
    summary: 'fit feature transformations, save them, apply them',
    keys: KEYS.features,
    check: schemaChecker(validators.features),
    inputs: (w) => at(w, 'input'),
    outputs: (w) => [...out(w, 'output', true), ...out(w, 'transform', false)],
    load: () => import('./features.js'),
  },
  split: {
    name: 'split',
    summary: 'train, test and validation sets: stratified, by time or by group, reproducible from a seed',
    keys: KEYS.split,
    check: schemaChecker(validators.split),
    inputs: (w) => at(w, 'input'),
    outputs: (w) => {
      const o = (w.outputs ?? {}) as Record<string, unknown>;
      return (['train', 'test', 'val'] as const).flatMap((k) => (str(o[k]) ? [{ key: ['outputs', k], path: o[k], cache: true }] : []));
    },
    load: () => import('./split.js'),
  },
  synth: {
    name: 'synth',
    summary: 'synthetic rows from a profile or declared columns: the same marginals, correlations kept by a Gaussian copula, a label from a rule',
    keys: KEYS.synth,
    check: checkedBy(validators.synth, (w) => checkSynthWith(w as SynthWith)),
    inputs: (w) => at(w, 'profile'),
    outputs: (w) => out(w, 'output', true),
    load: () => import('./synth.js'),
  },
  'model/train': {
    name: 'model/train',
    summary: 'train a model (linear, logistic, MLP, autoencoder on TensorFlow.js; gradient-boosted trees) into a model directory with its metadata',
    keys: KEYS.train,
    check: schemaChecker(validators.train),
    inputs: (w) => [...at(w, 'input'), ...at(w, 'validation'), ...at(w, 'transform'), ...at(w, 'settings')],
    outputs: (w) => {
      const monitor = monitorPath(w);
      const record = recordPath(w);
      // TensorFlow.js on a GPU does not promise the same bits twice: `repro --rev` reports the model without failing.
      const gpu = w.backend === 'tfjs-node-gpu';
      return [
        ...out(w, 'output', true).map((o) => ({ ...o, nondeterministic: gpu })),
        ...metricOut(w, 'metrics').map((o) => ({ ...o, nondeterministic: gpu })),
        ...plotOut(w, 'history', { template: 'line', x: 'epoch', y: [], title: 'Training history' }),
        ...(monitor ? [{ key: [w.monitor === undefined ? 'output' : 'monitor'], path: monitor, cache: false, kind: 'plot' as const, plot: { template: 'line' as const, x: 'epoch', y: [], title: 'Training monitor: layer statistics per epoch' } }] : []),
        // Who trained it and when differs on every run: `repro --rev` reports it without failing.
        ...(record ? [{ key: ['record'], path: record, cache: true, nondeterministic: true }] : []),
      ];
    },
    load: () => import('./model/train.js'),
  },
  'model/evaluate': {
    name: 'model/evaluate',
    summary: 'score a model on a table: metrics at a chosen threshold, ROC, PR, confusion, regression plots, permutation importance',
    keys: KEYS.evaluate,
    check: schemaChecker(validators.evaluate),
    inputs: (w) => [...at(w, 'model'), ...at(w, 'input')],
    outputs: (w) => [
      ...metricOut(w, 'metrics'),
      ...plotOut(w, 'roc', { template: 'roc', title: 'ROC' }),
      ...plotOut(w, 'pr', { template: 'precision_recall', title: 'Precision and recall' }),
      ...plotOut(w, 'confusion', { template: 'confusion', title: 'Confusion matrix' }),
      ...plotOut(w, 'predicted', { template: 'scatter', x: 'actual', y: ['predicted'], title: 'Predicted against actual' }),
      ...plotOut(w, 'residuals', { template: 'scatter', x: 'predicted', y: ['residual'], title: 'Residuals' }),
      ...plotOut(w, 'importance', { template: 'bar', x: 'feature', y: ['importance'], title: 'Permutation importance' }),
    ],
    load: () => import('./model/evaluate.js'),
  },
  'model/accept': {
    name: 'model/accept',
    summary: 'the acceptance test on held-back rows: metric checks and latency per row; fails naming each that does not hold',
    keys: KEYS.accept,
    check: checkedBy(validators.accept, (w) =>
      ((w as { checks: string[] }).checks ?? []).flatMap((text, i) => {
        const parsed = parseCheck(text);
        return 'error' in parsed ? [{ path: ['checks', i], message: parsed.error }] : [];
      }),
    ),
    inputs: (w) => [...at(w, 'model'), ...at(w, 'input')],
    outputs: (w) => metricOut(w, 'report'),
    load: () => import('./model/accept.js'),
  },
  'model/tune': {
    name: 'model/tune',
    summary: 'search train settings (grid or seeded random) by k-fold cross-validation; writes every trial\'s results and the best settings for a train stage',
    keys: KEYS.tune,
    check: checkedBy(validators.tune, (w) => checkTuneWith(w as TuneWith)),
    inputs: (w) => at(w, 'input'),
    // The best settings are read by a train stage's `settings:` (or `vars:`): committed to git, like the results beside them.
    outputs: (w) => [...out(w, 'results', false), ...out(w, 'best', false), ...metricOut(w, 'metrics')],
    load: () => import('./model/tune.js'),
  },
  'model/package': {
    name: 'model/package',
    summary: 'export a trained model to ONNX with its preprocessing in the graph, and check it against the JavaScript model',
    keys: KEYS.package,
    check: schemaChecker(validators.packageModel),
    inputs: (w) => [...at(w, 'model'), ...at(w, 'parity'), ...at(w, 'impute')],
    outputs: (w) => {
      const signature = signaturePath(w);
      return [...out(w, 'output', true), ...(signature ? [{ key: [w.signature === undefined ? 'output' : 'signature'], path: signature, cache: false }] : []), ...metricOut(w, 'metrics')];
    },
    load: () => import('./model/package.js'),
  },
  'model/predict': {
    name: 'model/predict',
    summary: 'batch predictions of a packaged (ONNX) model over a table, a batch at a time, beside each row\'s id',
    keys: KEYS.predict,
    check: schemaChecker(validators.predict),
    inputs: (w) => [...at(w, 'model'), ...at(w, 'input')],
    outputs: (w) => out(w, 'output', true),
    load: () => import('./model/predict.js'),
  },
};

/**
 * The `uses:` value of a step. Data steps are named bare (`features`, run as `gitml step features`); steps of other
 * families carry it (`model/train`, from `uses: gitml/model/train`).
 */
export function usesOf(name: StepName): string {
  return name.includes('/') ? `${STEP_PREFIX}${name}` : `${DATA_PREFIX}${name}`;
}

/** Every `uses:` value there is, for messages. */
export function allUses(): string[] {
  return STEP_NAMES.map(usesOf);
}

/** The step a `uses:` value names, or `undefined`. */
export function findStep(uses: string): StepDefinition | undefined {
  const name = uses.startsWith(DATA_PREFIX) ? uses.slice(DATA_PREFIX.length) : uses.startsWith(STEP_PREFIX) ? uses.slice(STEP_PREFIX.length) : undefined;
  return name !== undefined && (STEP_NAMES as readonly string[]).includes(name) && usesOf(name as StepName) === uses ? STEPS[name as StepName] : undefined;
}

/** The step `gitml step NAME` names: by its name (`features`, `model/train`) or its `uses:` value. */
export function findStepByName(name: string): StepDefinition | undefined {
  return findStep(name.startsWith(STEP_PREFIX) ? name : (STEP_NAMES as readonly string[]).includes(name) ? usesOf(name as StepName) : `${DATA_PREFIX}${name}`);
}
