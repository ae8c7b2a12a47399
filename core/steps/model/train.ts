import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { TrainWith } from '../../generated/steps.js';
import { hashFileSync, loadBlake3 } from '../../hash/blake3.js';
import { compareStrings } from '../../util/canonical.js';
import { readTextOrNull } from '../../util/fs.js';
import type { StepContext } from '../registry.js';
import { StepError } from '../step-error.js';
import { readTable, writeJson } from '../table.js';
import { DatasetError, toDataset, type TableDataset } from './dataset.js';
import { writeModelDir, type DataRef, type ModelKind, type ModelMetadata } from './model-dir.js';
import { monitorPath, recordPath } from './paths.js';
import { withSettingsFile } from './settings-file.js';
import { taskMismatch } from './tasks.js';
import { tableColumns } from './table-columns.js';
import type { Dataset, EpochRecord, FittedModel, ModelFile, Task } from './types.js';
import { classWeights, ClassWeightError, rowWeights } from './weights.js';

const STEP = 'train';

/** A model fitted by one of the libraries, with what the step writes about it. */
export interface Trained {
  model: FittedModel;
  files: ModelFile[];
  history: EpochRecord[];
  /** Neural models: the monitor's per-layer records. */
  layers?: Record<string, number | string>[];
  backend?: ModelMetadata['backend'];
  library: ModelMetadata['library'];
  /** Final figures: epochs or rounds, the best one, early stopping, divergence. */
  training: Record<string, number | boolean | string>;
  rowsPerSecond: number;
  dispose?(): void;
}

/** What a trainer gets: the data, the resolved task and classes, the settings as written. */
export interface TrainInput {
  train: Dataset;
  validation?: Dataset;
  task: Task;
  classes?: string[];
  w: TrainWith;
  log: (line: string) => void;
}

/**
 * `gitml/model/train`: fits a model on a table and writes the model directory (the model's files and metadata.json),
 * and, when named, a metrics file, a history plots file, the neural monitor's plots file, and the run record (who,
 * when, how fast), which is kept apart because it differs on every run.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withSettingsFile(STEP, withMap, ctx.cwd) as unknown as TrainWith;
  const started = new Date();
  const table = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
  const task = resolveTask(w, table.getColumn.bind(table));
  const train = readDataset(tableColumns(table), w, task);
  let validation: TableDataset | undefined;
  if (w.validation) {
    const v = await readTable(STEP, resolve(ctx.cwd, w.validation), { shown: w.validation });
    validation = readDataset(tableColumns(v), { ...w, features: train.features.map((f) => f.name) as TrainWith['features'] }, task, train.classes);
  }
  if (w.class_weight !== undefined) {
    if (!train.classes) throw new StepError(STEP, `class_weight is for classification; this is a ${task} task`, { key: 'class_weight' });
    try {
      const cw = classWeights(w.class_weight, train.dataset.y!, train.classes);
      train.dataset.weights = rowWeights(cw, train.dataset.y!, train.dataset.weights);
    } catch (err) {
      if (err instanceof ClassWeightError) throw new StepError(STEP, err.message, { key: 'class_weight' });
      throw err;
    }
  }

  const input: TrainInput = { train: train.dataset, ...(validation ? { validation: validation.dataset } : {}), task, ...(train.classes ? { classes: train.classes } : {}), w, log: ctx.log };
  const trained = w.model === 'gbdt' ? await (await import('./gbdt-files.js')).trainGbdt(input) : await trainNn(input);
  try {
    const finished = new Date();
    const blake3 = await loadBlake3();
    const buffer = Buffer.allocUnsafe(1 << 20);
    const ref = (path: string, rows: number): DataRef => ({ path, hash: hashFileSync(resolve(ctx.cwd, path), blake3, buffer), rows });
    const metadata: ModelMetadata = {
      schema: 1,
      model: w.model as ModelKind,
      task,
      ...(w.label !== undefined ? { label: w.label } : {}),
      ...(train.classes ? { classes: train.classes } : {}),
      features: train.features,
      ...(w.transform ? { transform: readTransform(resolve(ctx.cwd, w.transform), w.transform) } : {}),
      data: { train: ref(w.input, train.dataset.x.rows), ...(validation && w.validation ? { validation: ref(w.validation, validation.dataset.x.rows) } : {}) },
      settings: settingsOf(w),
      seed: w.seed ?? 0,
      ...(trained.backend ? { backend: trained.backend } : {}),
      library: trained.library,
      training: trained.training,
      files: trained.files.map((f) => f.path).sort(compareStrings),
    };
    const history = namedHistory(trained.history, task);
    writeModelDir(resolve(ctx.cwd, w.output), trained.files, metadata);
    if (w.metrics) writeJson(resolve(ctx.cwd, w.metrics), trainingMetrics(history, trained.training));
    if (w.history) writeJson(resolve(ctx.cwd, w.history), history);
    const monitor = monitorPath(w);
    if (monitor && trained.layers) writeJson(resolve(ctx.cwd, monitor), monitorRows(trained.layers));
    const record = {
      trained_by: process.env.GITHUB_ACTOR ?? userInfo().username,
      started: started.toISOString(),
      finished: finished.toISOString(),
      seconds: (finished.getTime() - started.getTime()) / 1000,
      rows_per_second: Math.round(trained.rowsPerSecond),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      ...(trained.backend ? { backend: trained.backend.name } : {}),
    };
    const recordFile = recordPath(w);
    if (recordFile) writeJson(resolve(ctx.cwd, recordFile), record);
    ctx.log(`train: trained by ${record.trained_by}, ${record.started} to ${record.finished}, ${record.rows_per_second} rows/s, Node ${record.node}`);
    const last = trained.history.at(-1);
    ctx.log(
      `train: ${w.model} (${task}) on ${train.dataset.x.rows} rows x ${train.features.length} features` +
        `${trained.backend ? `, ${trained.backend.name} backend` : ''}; ${trained.history.length} ${w.model === 'gbdt' ? 'rounds' : 'epochs'}` +
        `${last ? `, loss ${fmt(last.loss)}${last.val_loss !== undefined ? `, val_loss ${fmt(last.val_loss)}` : ''}` : ''} -> ${w.output}`,
    );
  } finally {
    trained.dispose?.();
  }
}

/**
 * The task: as written, or the one the model implies (linear: regression, autoencoder: anomaly); for classifiers,
 * binary or multiclass by the label's class count.
 */
function resolveTask(w: TrainWith, column: (name: string) => { nUnique(): number }): Task {
  if (w.task) {
    const mismatch = taskMismatch(w.model as ModelKind, w.task);
    if (mismatch) throw new StepError(STEP, mismatch, { key: 'task' });
    return w.task;
  }
  if (w.model === 'linear') return 'regression';
  if (w.model === 'autoencoder') return 'anomaly';
  if (w.label === undefined) throw new StepError(STEP, `model ${w.model} needs a \`label\` column`, { key: 'label' });
  let n: number;
  try {
    n = column(w.label).nUnique();
  } catch {
    throw new StepError(STEP, `no column \`${w.label}\` in ${w.input}`, { key: 'label' });
  }
  return n === 2 ? 'binary' : 'multiclass';
}

function readDataset(columns: ReturnType<typeof tableColumns>, w: TrainWith, task: Task, classes?: string[]): TableDataset {
  try {
    return toDataset(columns, { task, ...(w.label !== undefined ? { label: w.label } : {}), ...(w.features ? { features: w.features } : {}), ...(classes ? { classes } : {}) });
  } catch (err) {
    if (err instanceof DatasetError) throw new StepError(STEP, err.message, { key: err.key, ...(err.column ? { column: err.column } : {}) });
    throw err;
  }
}

function readTransform(abs: string, shown: string): unknown {
  const text = readTextOrNull(abs);
  if (text === null) throw new StepError(STEP, `${shown} does not exist`, { key: 'transform' });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StepError(STEP, `${shown} is not JSON (${(err as Error).message}); name the transform file gitml/data/features wrote`, { key: 'transform' });
  }
}

/**
 * The settings that shape the model: everything but the paths (which metadata.json's `data` names with hashes), those
 * from a `settings` file included.
 */
function settingsOf(w: TrainWith): Record<string, unknown> {
  const paths = new Set(['input', 'output', 'metrics', 'history', 'monitor', 'record', 'transform', 'validation', 'settings']);
  return Object.fromEntries(Object.entries(w).filter(([k]) => !paths.has(k)).sort(([a], [b]) => compareStrings(a, b)));
}

/** The metrics file: the last epoch's figures and how training went. */
function trainingMetrics(history: Record<string, number>[], training: Trained['training']): Record<string, number | boolean | string> {
  const last = history.at(-1);
  const figures: Record<string, number> = {};
  if (last) for (const [k, v] of Object.entries(last)) if (k !== 'epoch') figures[k] = v;
  return { ...figures, ...training };
}

/** History records with the metric named for what it is: `accuracy` for classifiers, `rmse` for regression. */
export function namedHistory(history: EpochRecord[], task: Task): Record<string, number>[] {
  const name = task === 'regression' ? 'rmse' : task === 'anomaly' ? undefined : 'accuracy';
  return history.map((r) => {
    const row: Record<string, number> = {};
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'number') continue;
      if (k === 'metric' || k === 'val_metric') {
        if (name) row[k === 'metric' ? name : `val_${name}`] = v;
      } else row[k] = v;
    }
    return row;
  });
}

/** Monitor records as a wide table for a line plot: one row per epoch, a column per layer and statistic. */
export function monitorRows(layers: Record<string, number | string>[]): Record<string, number>[] {
  const rows = new Map<string, Record<string, number>>();
  for (const r of layers) {
    const key = `${r.epoch}/${r.batch ?? ''}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { epoch: Number(r.epoch), ...(r.batch !== undefined ? { batch: Number(r.batch) } : {}) }));
    for (const [k, v] of Object.entries(r)) if (k !== 'epoch' && k !== 'batch' && k !== 'layer' && typeof v === 'number') row[`${r.layer}.${k}`] = v;
  }
  return [...rows.values()];
}

export async function trainNn(input: TrainInput): Promise<Trained> {
  const { fitNn } = await import('./nn/index.js');
  const { w } = input;
  const early = w.early_stopping;
  const model = await fitNn(
    input.train,
    {
      model: w.model as Exclude<ModelKind, 'gbdt'>,
      task: input.task,
      ...(input.classes ? { classes: input.classes.length } : {}),
      ...(w.hidden ? { hidden: w.hidden } : {}),
      ...(w.activation ? { activation: w.activation } : {}),
      ...(w.dropout !== undefined ? { dropout: w.dropout } : {}),
      ...(w.l2 !== undefined ? { l2: w.l2 } : {}),
      ...(w.encoder ? { encoder: w.encoder } : {}),
      ...(w.optimizer ? { optimizer: w.optimizer } : {}),
      ...(w.learning_rate !== undefined ? { learningRate: w.learning_rate } : {}),
      ...(w.epochs !== undefined ? { epochs: w.epochs } : {}),
      ...(w.batch_size !== undefined ? { batchSize: w.batch_size } : {}),
      seed: w.seed ?? 0,
      ...(w.validation_fraction !== undefined && !input.validation ? { validationFraction: w.validation_fraction } : {}),
      ...(early ? { earlyStopping: early === true ? {} : { ...(early.metric ? { metric: early.metric } : {}), ...(early.patience ? { patience: early.patience } : {}) } } : {}),
      backend: w.backend ?? 'auto',
      monitor: true,
      perBatch: w.monitor_batches === true,
    },
    { ...(input.validation ? { validation: input.validation } : {}), onEpoch: (r) => input.log(`epoch ${r.epoch}: loss ${fmt(r.loss)}${r.val_loss !== undefined ? `, val_loss ${fmt(r.val_loss)}` : ''}`) },
  );
  return {
    model,
    files: model.toFiles(),
    history: model.history,
    layers: model.layers as unknown as Record<string, number | string>[],
    backend: { name: model.backend.name, deterministic: model.deterministic, ...(model.nondeterministicReason ? { reason: model.nondeterministicReason } : {}) },
    library: { name: '@tensorflow/tfjs', version: model.backend.tfjsVersion },
    training: { epochs: model.epochs, best_epoch: model.bestEpoch, stopped_early: model.stoppedEarly, diverged: model.diverged, backend: model.backend.name },
    rowsPerSecond: model.rowsPerSecond,
    dispose: () => model.dispose(),
  };
}

function fmt(v: number): string {
  return Number(v.toPrecision(5)).toString();
}
