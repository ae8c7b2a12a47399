/**
 * `fitGbdt`: histogram-based gradient boosting after scikit-learn's `HistGradientBoosting*`. Features are binned
 * once; each round fits one tree per raw output to the loss's gradients and hessians, on a seeded sample of rows
 * and features; early stopping scores the validation loss and keeps the rounds up to the best one.
 */
import { availableParallelism } from 'node:os';
import { Random } from '../random.js';
import type { Dataset, EpochRecord, Matrix } from '../types.js';
import { binMatrix, fitBinMapper } from './bin-mapper.js';
import { checkDataset, validationSplit } from './data.js';
import { growTree, type GrowContext } from './grow-tree.js';
import { FitThreads } from './fit-threads.js';
import { lossFor } from './loss.js';
import { GbdtModel } from './model.js';
import { resolveGbdtSettings, type GbdtSettings, type GbdtSettingsInput } from './settings.js';
import { MIN_HESSIAN_TO_SPLIT } from './split.js';
import { addBinnedTreeOutput, type GbdtTree } from './tree.js';

export interface FitGbdtOptions {
  /** Scored every round (`val_loss` in the history); early stopping scores it instead of holding rows out. */
  validation?: Dataset;
  /**
   * Threads that build histograms, this one included. The model is bit-identical for every value.
   * @default the available cores (at most 4) for fits of 2,000,000 cells or more, else 1
   */
  threads?: number;
}

/** Cells (rows x features) from which a fit uses worker threads by default. */
const THREADED_CELLS = 2_000_000;

/** Rows above which `early_stopping: auto` turns on without a validation set (scikit-learn's rule). */
export const AUTO_EARLY_STOPPING_ROWS = 10_000;

export function fitGbdt(train: Dataset, input: GbdtSettingsInput, opts: FitGbdtOptions = {}): GbdtModel {
  const resolved = resolveGbdtSettings(input);
  const classes = checkDataset(train, resolved.task, resolved.classes, 'training data');
  const settings: GbdtSettings = { ...resolved, classes };
  const validation = opts.validation;
  if (validation) checkDataset(validation, settings.task, classes, 'validation data', train.x.cols);
  const earlyStopping =
    settings.early_stopping === 'auto' ? validation !== undefined || train.x.rows > AUTO_EARLY_STOPPING_ROWS : settings.early_stopping;

  const rng = new Random(settings.seed);
  const splitRng = rng.fork();
  const binRng = rng.fork();
  const sampleRng = rng.fork();

  // Which rows fit and which score: the validation set, or a held-out share of the training rows.
  let trainRows: Int32Array | null = null;
  let val: { x: Matrix; rows: Int32Array | null; y: Float64Array; w: Float64Array | undefined } | undefined;
  if (validation) {
    val = { x: validation.x, rows: null, y: validation.y!, w: validation.weights };
  } else if (earlyStopping) {
    const split = validationSplit(train.y!, settings.task !== 'regression', settings.validation_fraction, splitRng);
    trainRows = split.train;
    val = { x: train.x, rows: split.val, y: pick(train.y!, split.val), w: train.weights && pick(train.weights, split.val) };
  }
  const y = trainRows ? pick(train.y!, trainRows) : train.y!;
  const w = train.weights && (trainRows ? pick(train.weights, trainRows) : train.weights);
  const n = y.length;
  const p = train.x.cols;

  const loss = lossFor(settings.task, classes);
  const k = loss.treesPerRound;
  const constHess = loss.constantHessian(w);
  const threads = Math.max(1, Math.floor(opts.threads ?? (n * p >= THREADED_CELLS ? Math.min(4, availableParallelism()) : 1)));
  const hists = new FitThreads({
    n,
    p,
    section: (settings.max_bins + 1) * 3,
    outputs: k,
    constHess,
    // Histograms alive at once: one per open leaf, and the two children of the leaf being split.
    slots: settings.max_leaf_nodes === null ? null : settings.max_leaf_nodes + 1,
    threads,
    y,
    w,
  });
  try {
    return boost();
  } finally {
    hists.close();
  }

  function boost(): GbdtModel {
    const mapper = fitBinMapper(train.x, trainRows, settings.max_bins, binRng);
    const bins = binMatrix(train.x, trainRows, mapper, true, hists, hists.bins);
    const valBins = val && binMatrix(val.x, val.rows, mapper);
    const nVal = val ? val.y.length : 0;

    const baseline = loss.baseline(y, w);
    const raw = hists.raw;
    for (let i = 0; i < n; i++) raw.set(baseline, i * k);
    const rawVal = new Float64Array(nVal * k);
    for (let i = 0; i < nVal; i++) rawVal.set(baseline, i * k);
    const ctx: GrowContext = {
      n,
      mapper,
      rules: {
        minSamplesLeaf: settings.min_samples_leaf,
        l2: settings.l2_regularization,
        minHessian: MIN_HESSIAN_TO_SPLIT,
        binStride: settings.max_bins + 1,
        missingBin: mapper.missingBin,
        nonMissingBins: mapper.nonMissingBins,
        constHess,
      },
      learningRate: settings.learning_rate,
      maxLeafNodes: settings.max_leaf_nodes ?? Infinity,
      maxDepth: settings.max_depth ?? Infinity,
      hists,
    };
    const allFeatures = Int32Array.from({ length: p }, (_, i) => i);
    const nSample = Math.max(1, Math.round(settings.subsample * n));
    const nFeatures = Math.max(1, Math.round(settings.colsample * p));
    const sampled = nSample < n ? new Int32Array(nSample) : null;
    const unsampled = sampled ? new Int32Array(n - nSample) : null;

    const trees: GbdtTree[] = [];
    const history: EpochRecord[] = [];
    let best = { round: 0, loss: Infinity };
    for (let round = 0; round < settings.max_iter; round++) {
      const before = hists.gradients(loss, y, w, constHess);
      if (round > 0) setTrainLoss(history[round - 1]!, before.loss, before.metric);
      if (sampled) selectRows(n, sampled, unsampled!, sampleRng);
      for (let c = 0; c < k; c++) {
        const features = nFeatures < p ? chooseFeatures(p, nFeatures, sampleRng) : allFeatures;
        const grown = growTree(ctx, c, sampled, features);
        hists.addLeaves(grown.leaves, c);
        if (unsampled) addBinnedTreeOutput(grown.tree, bins, n, unsampled, mapper.missingBin, raw, k, c);
        if (valBins) addBinnedTreeOutput(grown.tree, valBins, nVal, null, mapper.missingBin, rawVal, k, c);
        trees.push(grown.tree.tree);
      }
      const record: EpochRecord = { epoch: round + 1, loss: NaN, metric: NaN };
      if (val) {
        const v = loss.evaluate(rawVal, val.y, val.w);
        record.val_loss = v.loss;
        record.val_metric = v.metric;
        if (v.loss < best.loss) best = { round: round + 1, loss: v.loss };
      }
      history.push(record);
      if (earlyStopping && shouldStop(history, settings.n_iter_no_change, settings.tol)) break;
    }
    const last = loss.evaluate(raw, y, w);
    setTrainLoss(history[history.length - 1]!, last.loss, last.metric);

    const kept = earlyStopping && best.round > 0 ? best.round : history.length;
    return new GbdtModel({ settings, features: p, baseline, trees: trees.slice(0, kept * k), history });
  }
}

function setTrainLoss(r: EpochRecord, lossValue: number, metric: number): void {
  r.loss = lossValue;
  r.metric = metric;
}

/**
 * scikit-learn's rule: stop when none of the last `patience` rounds improved on the round before them by more
 * than `tol`.
 */
function shouldStop(history: EpochRecord[], patience: number, tol: number): boolean {
  if (history.length <= patience) return false;
  const reference = history[history.length - patience - 1]!.val_loss!;
  for (let i = history.length - patience; i < history.length; i++) if (history[i]!.val_loss! < reference - tol) return false;
  return true;
}

function pick(a: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]!]!;
  return out;
}

/** Exactly `sampled.length` of rows `0..n-1` in order (selection sampling), and the others into `unsampled`. */
function selectRows(n: number, sampled: Int32Array, unsampled: Int32Array, rng: Random): void {
  let want = sampled.length;
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (rng.next() * (n - i) < want) {
      sampled[a++] = i;
      want--;
    } else unsampled[b++] = i;
  }
}

/** `m` of the `p` features, sorted. */
function chooseFeatures(p: number, m: number, rng: Random): Int32Array {
  return rng.permutation(p).subarray(0, m).sort();
}
