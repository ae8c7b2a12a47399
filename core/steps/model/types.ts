/**
 * What the model libraries (`nn/` on TensorFlow.js, `gbdt/` written here) and the model steps (`train`, `evaluate`,
 * `tune`, `accept`) share: tables as dense matrices, labels as numbers, and a fitted model that predicts. Pure types.
 */

/** What a model learns to do. */
export type Task = 'binary' | 'multiclass' | 'regression' | 'anomaly';

/** A dense row-major matrix: the value of row `r`, column `c` is `data[r * cols + c]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/**
 * Training or scoring data, every feature already numeric (the steps turn booleans and categories into numbers).
 * `y` holds class indices (0..classes-1) for classification, values for regression, and is absent for anomaly
 * detection (unsupervised). `weights` are per-row sample weights (class weights are applied through them).
 */
export interface Dataset {
  x: Matrix;
  y?: Float64Array;
  weights?: Float64Array;
}

/** A fitted model. Deterministic: the same inputs give bit-identical outputs. */
export interface FittedModel {
  task: Task;
  /** Columns `predict` returns: the class count for classification (probabilities), 1 otherwise. */
  outputs: number;
  /**
   * Row-major `rows x outputs`: class probabilities (each row sums to 1) for classification, the value for
   * regression, the anomaly score (higher is more anomalous) for anomaly detection.
   */
  predict(x: Matrix): Float64Array;
}

/** One epoch (or boosting round) of training, as the training monitor records it. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  val_loss?: number;
  /** The named metric early stopping and the monitor follow (e.g. `accuracy`, `rmse`), when there is one. */
  metric?: number;
  val_metric?: number;
}

/** A file a model library writes into the model directory, path relative to it. */
export interface ModelFile {
  path: string;
  bytes: Uint8Array;
}
