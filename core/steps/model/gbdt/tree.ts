/**
 * A fitted tree as flat per-node arrays, the shape ONNX's `ai.onnx.ml` TreeEnsemble operators take. Nodes are
 * numbered in the order they were made, the root first; a child always has a larger number than its parent.
 *
 * Node `i` is a leaf when `feature[i] === -1`. Otherwise a row goes left when `x[feature[i]] <= threshold[i]`
 * (ONNX `nodes_modes` BRANCH_LEQ, the true branch being left), and a missing (NaN) value goes left when
 * `missingLeft[i] === 1` (ONNX `nodes_missing_value_tracks_true`). A threshold of +Infinity means "every value
 * left, only missing values right".
 */
import type { Matrix } from '../types.js';

export interface GbdtTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  missingLeft: Uint8Array;
  /** The node's value with the learning rate applied; what a row reaching the leaf adds to its raw score. */
  value: Float64Array;
  /** The split's gain (reduction of the loss's second-order approximation); 0 at leaves. */
  gain: Float64Array;
  /** Training rows that reached the node (the round's sampled rows). */
  count: Int32Array;
}

/** Adds tree `tree`'s output for every row of `x` to `raw[row * stride + offset]`. */
export function addTreeOutput(tree: GbdtTree, x: Matrix, raw: Float64Array, stride: number, offset: number): void {
  const { feature, threshold, left, right, missingLeft, value } = tree;
  const data = x.data;
  const cols = x.cols;
  for (let r = 0; r < x.rows; r++) {
    const base = r * cols;
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      const v = data[base + f]!;
      node = v <= threshold[node]! || (v !== v && missingLeft[node] === 1) ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    raw[r * stride + offset] = raw[r * stride + offset]! + value[node]!;
  }
}

/** A tree as the trainer holds it: the fitted tree, and each split's threshold as a bin. */
export interface BinnedTree {
  tree: GbdtTree;
  bin: Int32Array;
}

/**
 * Adds the tree's output for rows `rows` (every row when null) of column-major `bins` (`n` rows) to
 * `raw[row * stride + offset]`, where `row` is the row's position in `bins`.
 */
export function addBinnedTreeOutput(
  t: BinnedTree,
  bins: Uint8Array,
  n: number,
  rows: Int32Array | null,
  missingBin: number,
  raw: Float64Array,
  stride: number,
  offset: number,
): void {
  const { feature, left, right, missingLeft, value } = t.tree;
  const bin = t.bin;
  const count = rows ? rows.length : n;
  for (let i = 0; i < count; i++) {
    const r = rows ? rows[i]! : i;
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      const b = bins[f * n + r]!;
      node = b <= bin[node]! || (b === missingBin && missingLeft[node] === 1) ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    raw[r * stride + offset] = raw[r * stride + offset]! + value[node]!;
  }
}
