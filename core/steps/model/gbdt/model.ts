/**
 * A fitted gradient-boosted trees model: predicts, ranks features by gain, and saves to deterministic JSON that
 * `gbdtFromJSON` reads back into a model predicting bit-identically.
 */
import type { EpochRecord, FittedModel, Matrix } from '../types.js';
import { GbdtDataError } from './errors.js';
import { lossFor, type Loss } from './loss.js';
import type { GbdtSettings, GbdtTask } from './settings.js';
import { addTreeOutput, type GbdtTree } from './tree.js';

export const GBDT_FORMAT = 'gitml-gbdt';
export const GBDT_FORMAT_VERSION = 1;

/** One tree in the JSON: per-node arrays; a `threshold` of null stands for +Infinity (JSON has no infinities). */
export interface GbdtTreeJson {
  feature: number[];
  threshold: (number | null)[];
  left: number[];
  right: number[];
  missing_left: number[];
  value: number[];
  gain: number[];
  count: number[];
}

/**
 * The saved model. Tree `t` belongs to round `floor(t / trees_per_round)` and adds to raw output
 * `t % trees_per_round`; raw outputs start at `baseline`. Binary: probability of class 1 = sigmoid(raw). Multiclass:
 * softmax over the class raw outputs. Regression: the raw output.
 */
export interface GbdtJson {
  format: typeof GBDT_FORMAT;
  version: typeof GBDT_FORMAT_VERSION;
  task: GbdtTask;
  /** Classes for classification, 0 for regression. */
  classes: number;
  /** Feature columns the model reads, in order. */
  features: number;
  trees_per_round: number;
  rounds: number;
  baseline: number[];
  settings: GbdtSettings;
  history: EpochRecord[];
  trees: GbdtTreeJson[];
}

export class GbdtModel implements FittedModel {
  readonly task: GbdtTask;
  readonly outputs: number;
  readonly classes: number;
  readonly features: number;
  /** Boosting rounds kept (up to the best validation round when early stopping). */
  readonly rounds: number;
  readonly treesPerRound: number;
  readonly baseline: Float64Array;
  readonly trees: readonly GbdtTree[];
  readonly settings: GbdtSettings;
  /** One record per round fitted, including rounds after the best one that early stopping dropped. */
  readonly history: EpochRecord[];
  /** The metric in `history`: accuracy for classification, RMSE for regression. */
  readonly metricName: 'accuracy' | 'rmse';
  private readonly loss: Loss;

  constructor(init: { settings: GbdtSettings; features: number; baseline: Float64Array; trees: GbdtTree[]; history: EpochRecord[] }) {
    const s = init.settings;
    this.task = s.task;
    this.settings = s;
    this.classes = s.task === 'regression' ? 0 : s.classes;
    this.outputs = s.task === 'regression' ? 1 : s.classes;
    this.features = init.features;
    this.loss = lossFor(s.task, s.classes);
    this.treesPerRound = this.loss.treesPerRound;
    this.baseline = init.baseline;
    this.trees = init.trees;
    this.rounds = init.trees.length / this.treesPerRound;
    this.history = init.history;
    this.metricName = s.task === 'regression' ? 'rmse' : 'accuracy';
  }

  /** Raw scores (log-odds, class scores before softmax, or values), row-major `rows x treesPerRound`. */
  predictRaw(x: Matrix): Float64Array {
    if (x.cols !== this.features) {
      throw new GbdtDataError(
        `the model was fitted on ${this.features} feature columns but got ${x.cols}; pass the same features in the same order`,
        {
          expected: this.features,
          got: x.cols,
        },
      );
    }
    const k = this.treesPerRound;
    const raw = new Float64Array(x.rows * k);
    for (let r = 0; r < x.rows; r++) raw.set(this.baseline, r * k);
    for (let t = 0; t < this.trees.length; t++) addTreeOutput(this.trees[t]!, x, raw, k, t % k);
    return raw;
  }

  predict(x: Matrix): Float64Array {
    return this.loss.link(this.predictRaw(x), x.rows);
  }

  /** Gain-based importance per feature: the gains of its splits over every kept tree, normalized to sum 1 (all 0 without splits). */
  importance(): Float64Array {
    const out = new Float64Array(this.features);
    for (const tree of this.trees) {
      for (let i = 0; i < tree.feature.length; i++) {
        const f = tree.feature[i]!;
        if (f >= 0) out[f] = out[f]! + tree.gain[i]!;
      }
    }
    let total = 0;
    for (const v of out) total += v;
    if (total > 0) for (let f = 0; f < out.length; f++) out[f] = out[f]! / total;
    return out;
  }

  toJSON(): GbdtJson {
    const s = this.settings;
    return {
      format: GBDT_FORMAT,
      version: GBDT_FORMAT_VERSION,
      task: this.task,
      classes: this.classes,
      features: this.features,
      trees_per_round: this.treesPerRound,
      rounds: this.rounds,
      baseline: Array.from(this.baseline),
      // Keys in one fixed order, so the file is the same whatever order the settings came in.
      settings: {
        task: s.task,
        classes: s.classes,
        learning_rate: s.learning_rate,
        max_iter: s.max_iter,
        max_depth: s.max_depth,
        max_leaf_nodes: s.max_leaf_nodes,
        min_samples_leaf: s.min_samples_leaf,
        l2_regularization: s.l2_regularization,
        max_bins: s.max_bins,
        subsample: s.subsample,
        colsample: s.colsample,
        seed: s.seed,
        early_stopping: s.early_stopping,
        n_iter_no_change: s.n_iter_no_change,
        validation_fraction: s.validation_fraction,
        tol: s.tol,
      },
      history: this.history.map((h) => ({ ...h })),
      trees: this.trees.map((t) => ({
        feature: Array.from(t.feature),
        threshold: Array.from(t.threshold, (v) => (v === Infinity ? null : v)),
        left: Array.from(t.left),
        right: Array.from(t.right),
        missing_left: Array.from(t.missingLeft),
        value: Array.from(t.value),
        gain: Array.from(t.gain),
        count: Array.from(t.count),
      })),
    };
  }
}
