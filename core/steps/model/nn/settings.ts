/**
 * The settings of the neural and linear models, their defaults, and the checks that tie them to the data. Pure.
 */
import { GitmlError } from '../../../errors.js';
import { MODEL_TASKS } from '../tasks.js';
import type { Task } from '../types.js';
import type { BackendChoice } from './backend.js';

export type NnModelKind = 'linear' | 'logistic' | 'mlp' | 'autoencoder';
export type NnActivation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'linear';
export type NnOptimizer = 'adam' | 'sgd' | 'rmsprop';

export interface EarlyStopping {
  /**
   * The epoch record field followed: `val_loss`, `loss`, or a metric (`val_accuracy`, `accuracy`, `val_rmse`,
   * `rmse`). Losses and `rmse` must fall, `accuracy` rise.
   * @default 'val_loss'
   */
  metric?: string;
  /** Epochs without improvement before training stops. @default 5 */
  patience?: number;
  /** The least change that counts as an improvement. @default 0 */
  minDelta?: number;
  /** Whether the weights of the best epoch are put back at the end. @default true */
  restoreBest?: boolean;
}

export interface NnSettings {
  model: NnModelKind;
  task: Task;
  /** Class count for classification. @default the largest class index in the training labels, plus one */
  classes?: number;
  /** `mlp`: units of each hidden layer. @default [64] */
  hidden?: number[];
  /** `mlp` and `autoencoder`: the hidden layers' activation. @default 'relu' */
  activation?: NnActivation;
  /** `mlp` and `autoencoder`: dropout rate after each hidden layer. @default 0 */
  dropout?: number;
  /** L2 penalty on every kernel (not biases). @default 0 */
  l2?: number;
  /** `autoencoder`: units of the encoder's layers, the last being the bottleneck. @default [max(1, ceil(features / 2))] */
  encoder?: number[];
  /** `autoencoder`: units of the decoder's hidden layers (the output layer has one unit per feature). @default the encoder's reversed, without the bottleneck */
  decoder?: number[];
  /** @default 'adam' */
  optimizer?: NnOptimizer;
  /** @default 0.001 for adam and rmsprop, 0.01 for sgd */
  learningRate?: number;
  /** @default 20 */
  epochs?: number;
  /** @default 32 */
  batchSize?: number;
  /** Seeds initial weights, dropout, the batch order and the validation split. @default 0 */
  seed?: number;
  /** Fraction of the training rows held out for validation (seeded), when no validation data is given. @default 0 */
  validationFraction?: number;
  /** Stops when the followed figure stops improving; off when absent. */
  earlyStopping?: EarlyStopping;
  /**
   * Standardize features (mean 0, variance 1, from the training rows) and, for regression, the target; the
   * statistics are saved with the model and applied when it predicts.
   * @default true
   */
  standardize?: boolean;
  /** @default 'auto' */
  backend?: BackendChoice;
  /** The per-epoch training monitor (layer statistics on a probe batch). @default true */
  monitor?: boolean;
  /** Rows in the monitor's probe batch (seeded sample of the training rows). @default 256 */
  probeRows?: number;
  /** Also record every batch (costs a quarter to half of the training time). @default false */
  perBatch?: boolean;
}

export type ResolvedNnSettings = Required<Omit<NnSettings, 'earlyStopping' | 'classes'>> & {
  classes: number;
  earlyStopping?: Required<EarlyStopping>;
};

/** Settings that do not fit the data or each other; every problem is listed. */
export class NnSettingsError extends GitmlError {
  constructor(readonly problems: string[]) {
    super('E_NN_SETTINGS', `invalid model settings: ${problems.join('; ')}`, { data: { problems }, exitCode: 2 });
  }
}

const KINDS: Record<NnModelKind, readonly Task[]> = {
  linear: MODEL_TASKS.linear,
  logistic: MODEL_TASKS.logistic,
  mlp: MODEL_TASKS.mlp,
  autoencoder: MODEL_TASKS.autoencoder,
};
const ACTIVATIONS: NnActivation[] = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'linear'];
const OPTIMIZERS: NnOptimizer[] = ['adam', 'sgd', 'rmsprop'];
const BACKEND_CHOICES: BackendChoice[] = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

/** The figures early stopping can follow, for a task, and whether each must rise. */
export function followable(task: Task, withValidation: boolean): Map<string, boolean> {
  const names = new Map<string, boolean>([['loss', false]]);
  const metric = metricName(task);
  if (metric) names.set(metric, metric === 'accuracy');
  if (withValidation) for (const [k, up] of [...names]) names.set(`val_${k}`, up);
  return names;
}

/** The metric recorded beside the loss: accuracy for classification, RMSE (in the target's units) for regression. */
export function metricName(task: Task): 'accuracy' | 'rmse' | undefined {
  return task === 'binary' || task === 'multiclass' ? 'accuracy' : task === 'regression' ? 'rmse' : undefined;
}

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Fills in the defaults and checks the settings against the data: `features` columns, the labels' largest class
 * index, and whether validation data was given. Throws `NnSettingsError` listing every problem.
 */
export function resolveSettings(s: NnSettings, data: { features: number; maxLabel?: number; validation: boolean }): ResolvedNnSettings {
  const problems: string[] = [];
  const allowed = KINDS[s.model];
  if (!allowed) problems.push(`model \`${String(s.model)}\` is not one of ${Object.keys(KINDS).join(', ')}`);
  else if (!allowed.includes(s.task)) problems.push(`model \`${s.model}\` does not do task \`${s.task}\`; it does ${allowed.join(', ')}`);
  const optimizer = s.optimizer ?? 'adam';
  if (!OPTIMIZERS.includes(optimizer)) problems.push(`optimizer \`${String(optimizer)}\` is not one of ${OPTIMIZERS.join(', ')}`);
  const activation = s.activation ?? 'relu';
  if (!ACTIVATIONS.includes(activation)) problems.push(`activation \`${String(activation)}\` is not one of ${ACTIVATIONS.join(', ')}`);
  const backend = s.backend ?? 'auto';
  if (!BACKEND_CHOICES.includes(backend)) problems.push(`backend \`${String(backend)}\` is not one of ${BACKEND_CHOICES.join(', ')}`);

  const layerList = (name: string, v: number[] | undefined, fallback: number[]): number[] => {
    const list = v ?? fallback;
    if (!Array.isArray(list) || !list.every((u) => isInt(u, 1))) problems.push(`${name} must be a list of positive whole numbers of units`);
    return list;
  };
  const hidden = layerList('hidden', s.hidden, [64]);
  const encoder = layerList('encoder', s.encoder, [Math.max(1, Math.ceil(data.features / 2))]);
  const decoder = layerList('decoder', s.decoder, encoder.slice(0, -1).reverse());
  if (s.model === 'autoencoder' && encoder.length === 0) problems.push('encoder needs at least one layer (the bottleneck)');

  const dropout = s.dropout ?? 0;
  if (!isNum(dropout) || dropout < 0 || dropout >= 1) problems.push(`dropout must be in [0, 1), not ${String(dropout)}`);
  const l2 = s.l2 ?? 0;
  if (!isNum(l2) || l2 < 0) problems.push(`l2 must be a number >= 0, not ${String(l2)}`);
  const learningRate = s.learningRate ?? (optimizer === 'sgd' ? 0.01 : 0.001);
  if (!isNum(learningRate) || learningRate <= 0) problems.push(`learningRate must be a number > 0, not ${String(learningRate)}`);
  const epochs = s.epochs ?? 20;
  if (!isInt(epochs, 1)) problems.push(`epochs must be a whole number >= 1, not ${String(epochs)}`);
  const batchSize = s.batchSize ?? 32;
  if (!isInt(batchSize, 1)) problems.push(`batchSize must be a whole number >= 1, not ${String(batchSize)}`);
  const seed = s.seed ?? 0;
  if (!isInt(seed, 0)) problems.push(`seed must be a whole number >= 0, not ${String(seed)}`);
  const validationFraction = s.validationFraction ?? 0;
  if (!isNum(validationFraction) || validationFraction < 0 || validationFraction >= 1)
    problems.push(`validationFraction must be in [0, 1), not ${String(validationFraction)}`);
  const probeRows = s.probeRows ?? 256;
  if (!isInt(probeRows, 1)) problems.push(`probeRows must be a whole number >= 1, not ${String(probeRows)}`);

  let classes = s.task === 'binary' ? 2 : s.task === 'multiclass' ? (s.classes ?? (data.maxLabel ?? 0) + 1) : 1;
  if (s.task === 'binary' && s.classes !== undefined && s.classes !== 2) problems.push(`a binary task has 2 classes, not ${s.classes}`);
  if (s.task === 'multiclass') {
    if (!isInt(classes, 2)) problems.push(`a multiclass task needs at least 2 classes, not ${String(classes)}`);
    else if (data.maxLabel !== undefined && data.maxLabel >= classes)
      problems.push(`the labels hold class ${data.maxLabel} but classes is ${classes}; class indices run from 0 to classes - 1`);
  }
  if (s.task !== 'multiclass' && s.task !== 'binary') classes = 1;

  let earlyStopping: Required<EarlyStopping> | undefined;
  if (s.earlyStopping) {
    const e = s.earlyStopping;
    earlyStopping = { metric: e.metric ?? 'val_loss', patience: e.patience ?? 5, minDelta: e.minDelta ?? 0, restoreBest: e.restoreBest ?? true };
    const names = followable(s.task, data.validation || validationFraction > 0);
    if (!names.has(earlyStopping.metric)) {
      const hint = earlyStopping.metric.startsWith('val_') && !data.validation && !(validationFraction > 0) ? '; it needs validation data or a validationFraction' : '';
      problems.push(`early stopping cannot follow \`${earlyStopping.metric}\`${hint}; it can follow ${[...names.keys()].join(', ')}`);
    }
    if (!isInt(earlyStopping.patience, 0)) problems.push(`earlyStopping.patience must be a whole number >= 0, not ${String(earlyStopping.patience)}`);
    if (!isNum(earlyStopping.minDelta) || earlyStopping.minDelta < 0) problems.push(`earlyStopping.minDelta must be a number >= 0`);
  }
  if (problems.length) throw new NnSettingsError(problems);
  return {
    model: s.model,
    task: s.task,
    classes,
    hidden,
    activation,
    dropout,
    l2,
    encoder,
    decoder,
    optimizer,
    learningRate,
    epochs,
    batchSize,
    seed,
    validationFraction,
    ...(earlyStopping ? { earlyStopping } : {}),
    standardize: s.standardize ?? true,
    backend,
    monitor: s.monitor ?? true,
    probeRows,
    perBatch: s.perBatch ?? false,
  };
}
