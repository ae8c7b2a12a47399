/**
 * One trial of a search: fit the model on each fold's training rows with the trial's settings, score it on the fold's
 * held-out rows. A fit that throws, or whose loss or predictions stop being finite, ends the trial with its reason;
 * it never ends the search. No fs: the data comes in memory (in the step, or in a worker thread).
 */
import type { TrainWith } from '../../generated/steps.js';
import { classificationMetrics, regressionMetrics } from './metrics/index.js';
import type { Trained, TrainInput } from './train.js';
import { foldRows } from './tune-folds.js';
import type { TrialOutcome } from './tune-results.js';
import type { Dataset, Matrix, Task } from './types.js';
import { classWeights, rowWeights } from './weights.js';

/** The data every trial of a search shares. */
export interface TrialData {
  x: Matrix;
  y: Float64Array;
  weights?: Float64Array;
  /** The fold of each row (`assignFolds`). */
  fold: Int32Array;
  folds: number;
  task: Task;
  classes?: string[];
  /** The metric each fold is scored by. */
  score: string;
  /** The seed of the fit on each fold: the same in every trial, so trials differ by their settings alone. */
  fitSeeds: number[];
}

/** A trial to run: its number and its train settings (fixed and searched; `seed` is set per fold). */
export interface TrialJob {
  trial: number;
  w: TrainWith;
}

export async function runTrial(data: TrialData, job: TrialJob): Promise<TrialOutcome> {
  const scores: number[] = [];
  for (let f = 0; f < data.folds; f++) {
    const where = data.folds > 1 ? `fold ${f + 1}: ` : '';
    let trained: Trained | undefined;
    try {
      const { train, test } = foldRows(data.fold, f);
      const fitOn = takeRows(data, train);
      if (job.w.class_weight !== undefined && data.classes)
        fitOn.weights = rowWeights(classWeights(job.w.class_weight, fitOn.y!, data.classes), fitOn.y!, fitOn.weights);
      trained = await fit({ train: fitOn, task: data.task, ...(data.classes ? { classes: data.classes } : {}), w: { ...job.w, seed: data.fitSeeds[f]! }, log: () => {} });
      if (trained.training.diverged === true)
        return { trial: job.trial, status: 'diverged', scores: [], reason: `${where}the loss stopped being finite at epoch ${trained.history.length}; try a lower learning_rate` };
      const held = takeRows(data, test);
      const predicted = trained.model.predict(held.x);
      if (!predicted.every(Number.isFinite)) return { trial: job.trial, status: 'diverged', scores: [], reason: `${where}the predictions are not finite numbers` };
      scores.push(scoreFold(data, held.y!, predicted));
    } catch (err) {
      return { trial: job.trial, status: 'failed', scores: [], reason: `${where}${(err instanceof Error ? err.message : String(err)).replace(/^train: /, '')}` };
    } finally {
      trained?.dispose?.();
    }
  }
  return { trial: job.trial, status: 'ok', scores };
}

/** Fits with the train step's own code, so that a trial is exactly what a train stage with these settings would fit. */
async function fit(input: TrainInput): Promise<Trained> {
  if (input.w.model === 'gbdt') return (await import('./gbdt-files.js')).trainGbdt(input);
  return (await import('./train.js')).trainNn(input);
}

/** A fold's score by the named metric; a metric this task does not have is an error. */
export function scoreFold(data: Pick<TrialData, 'task' | 'classes' | 'score'>, y: Float64Array, predicted: Float64Array): number {
  const metrics: Record<string, unknown> =
    data.task === 'regression' ? { ...regressionMetrics({ y, predicted }).metrics } : { ...classificationMetrics({ y, proba: predicted, classes: data.classes! }).metrics };
  const value = metrics[data.score];
  if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`${data.score} could not be computed on these rows`);
  return value;
}

/** The rows `rows` of the data, in that order. */
export function takeRows(data: Pick<TrialData, 'x' | 'y' | 'weights'>, rows: Int32Array): Dataset {
  const { cols } = data.x;
  const x = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => x.set(data.x.data.subarray(r * cols, (r + 1) * cols), i * cols));
  return {
    x: { rows: rows.length, cols, data: x },
    y: Float64Array.from(rows, (r) => data.y[r]!),
    ...(data.weights ? { weights: Float64Array.from(rows, (r) => data.weights![r]!) } : {}),
  };
}
