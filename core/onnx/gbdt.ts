/**
 * Gradient-boosted trees (`GbdtModel`) as ONNX nodes: the raw scores from one `ai.onnx.ml` `TreeEnsembleRegressor`,
 * then the model's link (sigmoid, softmax or none) in default-domain operators. Pure: it adds nodes to a graph.
 *
 * Why the regressor for classifiers too: onnxruntime 1.30's `TreeEnsembleClassifier` gives the same probabilities
 * (post_transform LOGISTIC/SOFTMAX) but takes the link in float, about twice this path's error, and its binary case is
 * special-cased code (its `label` output, for one, calls raw scores in (0, 0.5] class 0 when no leaf weight is
 * negative). Raw scores and an explicit link in double have no such cases.
 *
 * Exactness: the input is double and the thresholds, leaf weights and baselines are given as double tensors
 * (`nodes_values_as_tensor`, `target_weights_as_tensor`, `base_values_as_tensor`), so onnxruntime sends every row
 * down the same branches as `GbdtModel.predictRaw` and sums its leaves in double. Only the operator's output is float (the opset 3 regressor has no
 * double output): the raw scores round to float once before the link.
 */
import { GbdtModelFormatError } from '../steps/model/gbdt/errors.js';
import type { GbdtModel } from '../steps/model/gbdt/model.js';
import type { GbdtTask } from '../steps/model/gbdt/settings.js';
import { attr, ML_DOMAIN, type Attr, type OnnxGraph } from './graph.js';

export interface GbdtOnnxOutputs {
  /** Float `[N, K]`: class probabilities, column k for class k (binary: `[1 - p, p]`). */
  probabilities?: string;
  /** Float `[N]`: the predicted value (regression). */
  value?: string;
}

/**
 * Adds `model` to `g`, reading the double `[N, P]` matrix `x` (P = `model.features`, columns in the model's order).
 * Returns the name of the float class probabilities for `binary` and `multiclass`, of the float value for
 * `regression`. `task` is what the caller packages; it must be the model's own.
 */
export function gbdtToOnnx(g: OnnxGraph, model: GbdtModel, x: string, task: GbdtTask): GbdtOnnxOutputs {
  if (task !== model.task) {
    throw new GbdtModelFormatError(`the model does ${model.task}, not ${task}; retrain it for ${task} or package it as ${model.task}`, {
      expected: task,
      got: model.task,
    });
  }
  const raw = g.node('TreeEnsembleRegressor', [x], { outputs: ['gbdt_raw'], domain: ML_DOMAIN, attrs: ensembleAttrs(model) })[0]!;

  if (task === 'regression') {
    return { value: g.op('Squeeze', [raw, g.constant('gbdt_axes', { type: 'int64', values: [1] }, [1])]) };
  }
  const rawDouble = g.op('Cast', [raw], { to: attr.i(11) });
  let probs: string;
  if (task === 'binary') {
    // p = sigmoid(raw) for class 1, and 1 - p for class 0, as the JS link computes them.
    const p = g.op('Sigmoid', [rawDouble]);
    const q = g.op('Sub', [g.constant('gbdt_one', { type: 'double', values: [1] }, [1]), p]);
    probs = g.op('Concat', [q, p], { axis: attr.i(1) });
  } else {
    probs = g.op('Softmax', [rawDouble], { axis: attr.i(1) });
  }
  return { probabilities: g.op('Cast', [probs], { to: attr.i(1) }) };
}

/** The attributes of one `TreeEnsembleRegressor` whose target `c` is raw output `c` of the model. */
function ensembleAttrs(model: GbdtModel): Record<string, Attr> {
  const k = model.treesPerRound;
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const thresholds: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const leafTree: number[] = [];
  const leafNode: number[] = [];
  const leafTarget: number[] = [];
  const leafWeight: number[] = [];

  const leaf = (t: number, i: number, target: number, weight: number): void => {
    featureIds.push(0);
    modes.push('LEAF');
    thresholds.push(0);
    trueIds.push(0);
    falseIds.push(0);
    missingTrue.push(0);
    leafTree.push(t);
    leafNode.push(i);
    leafTarget.push(target);
    leafWeight.push(weight);
  };
  model.trees.forEach((tree, t) => {
    for (let i = 0; i < tree.feature.length; i++) {
      const f = tree.feature[i]!;
      treeIds.push(t);
      nodeIds.push(i);
      if (f < 0) leaf(t, i, t % k, tree.value[i]!);
      else {
        // True branch = left: `x <= threshold`, a NaN too when missing values go left.
        featureIds.push(f);
        modes.push('BRANCH_LEQ');
        thresholds.push(tree.threshold[i]!);
        trueIds.push(tree.left[i]!);
        falseIds.push(tree.right[i]!);
        missingTrue.push(tree.missingLeft[i]!);
      }
    }
  });
  // A model with no trees predicts its baseline; the operator needs at least one tree, so give it a leaf of 0.
  if (model.trees.length === 0) {
    treeIds.push(0);
    nodeIds.push(0);
    leaf(0, 0, 0, 0);
  }

  return {
    n_targets: attr.i(k),
    aggregate_function: attr.s('SUM'),
    post_transform: attr.s('NONE'),
    base_values_as_tensor: attr.tensor({ type: 'double', values: model.baseline }, [k]),
    nodes_treeids: attr.ints(treeIds),
    nodes_nodeids: attr.ints(nodeIds),
    nodes_featureids: attr.ints(featureIds),
    nodes_modes: attr.strings(modes),
    nodes_values_as_tensor: attr.tensor({ type: 'double', values: thresholds }, [thresholds.length]),
    nodes_truenodeids: attr.ints(trueIds),
    nodes_falsenodeids: attr.ints(falseIds),
    nodes_missing_value_tracks_true: attr.ints(missingTrue),
    target_treeids: attr.ints(leafTree),
    target_nodeids: attr.ints(leafNode),
    target_ids: attr.ints(leafTarget),
    target_weights_as_tensor: attr.tensor({ type: 'double', values: leafWeight }, [leafWeight.length]),
  };
}
