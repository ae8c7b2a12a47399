/** Gradient-boosted trees as the train step fits them and as a model directory holds them (`gbdt.json`). */
import { StepError } from '../step-error.js';
import { fitGbdt, gbdtFromJSON, GbdtDataError, GbdtSettingsError, type GbdtModel, type GbdtSettingsInput } from './gbdt/index.js';
import type { Trained, TrainInput } from './train.js';
import type { ModelFile } from './types.js';

export const GBDT_FILE = 'gbdt.json';

/** Fits the trees from the step's settings (the `with:` keys are the library's own names). */
export async function trainGbdt(input: TrainInput): Promise<Trained> {
  const { w } = input;
  const settings: GbdtSettingsInput = {
    task: input.task,
    ...(input.classes ? { classes: input.classes.length } : {}),
    ...(w.learning_rate !== undefined ? { learning_rate: w.learning_rate } : {}),
    ...(w.max_iter !== undefined ? { max_iter: w.max_iter } : {}),
    ...(w.max_depth !== undefined ? { max_depth: w.max_depth } : {}),
    ...(w.max_leaf_nodes !== undefined ? { max_leaf_nodes: w.max_leaf_nodes } : {}),
    ...(w.min_samples_leaf !== undefined ? { min_samples_leaf: w.min_samples_leaf } : {}),
    ...(w.l2_regularization !== undefined ? { l2_regularization: w.l2_regularization } : {}),
    ...(w.max_bins !== undefined ? { max_bins: w.max_bins } : {}),
    ...(w.subsample !== undefined ? { subsample: w.subsample } : {}),
    ...(w.colsample !== undefined ? { colsample: w.colsample } : {}),
    ...(w.early_stopping !== undefined ? { early_stopping: w.early_stopping !== false } : {}),
    ...(typeof w.early_stopping === 'object' && w.early_stopping.patience ? { n_iter_no_change: w.early_stopping.patience } : {}),
    ...(w.validation_fraction !== undefined ? { validation_fraction: w.validation_fraction } : {}),
    seed: w.seed ?? 0,
  };
  const start = performance.now();
  let model: GbdtModel;
  try {
    model = fitGbdt(input.train, settings, input.validation ? { validation: input.validation } : {});
  } catch (err) {
    if (err instanceof GbdtSettingsError || err instanceof GbdtDataError) throw new StepError('train', err.message, { key: 'model' });
    throw err;
  }
  const seconds = (performance.now() - start) / 1000;
  input.log(`gbdt: ${model.rounds} rounds of ${model.treesPerRound} tree${model.treesPerRound === 1 ? '' : 's'} in ${seconds.toFixed(2)} s`);
  return {
    model,
    files: gbdtFiles(model),
    history: model.history,
    library: { name: 'gitml-gbdt', version: '1' },
    training: { rounds: model.rounds, stopped_early: model.rounds < (settings.max_iter ?? 100) },
    rowsPerSecond: seconds > 0 ? (input.train.x.rows * model.rounds) / seconds : 0,
  };
}

export function gbdtFiles(model: GbdtModel): ModelFile[] {
  return [{ path: GBDT_FILE, bytes: new TextEncoder().encode(`${JSON.stringify(model.toJSON())}\n`) }];
}

/** The trees of a model directory's files. */
export function gbdtFromFiles(files: ModelFile[]): GbdtModel {
  const file = files.find((f) => f.path === GBDT_FILE);
  if (!file) throw new StepError('model', `the model directory has no ${GBDT_FILE}`, { key: 'model' });
  return gbdtFromJSON(JSON.parse(new TextDecoder().decode(file.bytes)));
}
