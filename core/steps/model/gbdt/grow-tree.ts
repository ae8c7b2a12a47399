/**
 * Grows one tree best-first (leaf-wise), as scikit-learn does: the leaf whose best split gains most is split next,
 * until `max_leaf_nodes` leaves or no leaf can be split. Rows of a node are a range of `idx`, partitioned stably at
 * each split; only the smaller child's histogram is built, the larger one's is its parent's minus it.
 */
import { histSubtract } from './histogram.js';
import type { FitThreads } from './fit-threads.js';
import { findBestSplit, MIN_HESSIAN_TO_SPLIT, type SplitInfo, type SplitRules } from './split.js';
import type { BinnedTree } from './tree.js';
import type { BinMapper } from './bin-mapper.js';

/** What stays the same across the trees of one fit, buffers included (allocated once). */
export interface GrowContext {
  /** Training rows. */
  n: number;
  mapper: BinMapper;
  rules: SplitRules;
  learningRate: number;
  maxLeafNodes: number;
  maxDepth: number;
  /** Histograms, the row records they read, and the row numbers `idx` each node is a range of. */
  hists: FitThreads;
}

/** A leaf of the tree just grown: its node, its rows `ctx.hists.idx[start..end)`, and what it adds to their raw score. */
export interface Leaf {
  node: number;
  start: number;
  end: number;
  value: number;
}

interface Grow {
  node: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  H: number;
  /** Histogram slot, -1 for none. */
  hist: number;
  split: SplitInfo | null;
}

/**
 * Grows a tree on the gradients of raw output `output` (`ctx.hists.grads[output]`, and `hess` unless constant) over
 * rows `rows` (sorted; every row when null), splitting only on `features` (sorted).
 */
export function growTree(
  ctx: GrowContext,
  output: number,
  rows: Int32Array | null,
  features: Int32Array,
): { tree: BinnedTree; leaves: Leaf[] } {
  const { mapper, rules, hists, n } = ctx;
  const { idx } = hists;
  hists.useGradients(output, rules.constHess);
  const m = rows ? rows.length : n;
  if (rows) idx.set(rows);
  else for (let i = 0; i < n; i++) idx[i] = i;
  const constHess = rules.constHess;
  const section = rules.binStride * 3;

  const feature: number[] = [];
  const bin: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const missingLeft: number[] = [];
  const value: number[] = [];
  const gain: number[] = [];
  const count: number[] = [];
  const leaves: Leaf[] = [];
  const newNode = (G: number, H: number, N: number): number => {
    feature.push(-1);
    bin.push(0);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    missingLeft.push(0);
    value.push(ctx.learningRate * (-G / (H + rules.l2 + 1e-15)) + 0);
    gain.push(0);
    count.push(N);
    return feature.length - 1;
  };
  const release = (node: Grow): void => {
    if (node.hist >= 0) hists.release(node.hist);
    node.hist = -1;
  };
  const finalize = (node: Grow): void => {
    release(node);
    leaves.push({ node: node.node, start: node.start, end: node.end, value: value[node.node]! });
  };
  hists.setFeatures(features);
  const build = (node: Grow): void => {
    node.hist = hists.take();
    hists.build(node.hist, constHess, node.start, node.end);
  };
  const bestSplit = (node: Grow): SplitInfo | null =>
    findBestSplit(hists.view(node.hist), features, node.G, node.H, node.end - node.start, rules);
  const splittable = (node: Grow): boolean =>
    node.end - node.start >= 2 * rules.minSamplesLeaf && node.depth < ctx.maxDepth && node.H >= 2 * MIN_HESSIAN_TO_SPLIT;

  // The root's sums, in row order, from the gradient arrays (the same values as the records, read contiguously).
  const g = hists.grads[output]!;
  const h = hists.hess[output]!;
  let G = 0;
  let H = 0;
  if (constHess) {
    for (let i = 0; i < m; i++) G += g[idx[i]!]!;
    H = m;
  } else {
    for (let i = 0; i < m; i++) {
      const r = idx[i]!;
      G += g[r]!;
      H += h[r]!;
    }
  }
  const root: Grow = { node: newNode(G, H, m), start: 0, end: m, depth: 0, G, H, hist: -1, split: null };
  const open: Grow[] = [];
  if (splittable(root)) {
    build(root);
    root.split = bestSplit(root);
  }
  if (root.split) open.push(root);
  else finalize(root);

  let nLeaves = 1;
  while (open.length) {
    // The open leaf with the largest gain; the first made on a tie.
    let best = 0;
    for (let i = 1; i < open.length; i++) if (open[i]!.split!.gain > open[best]!.split!.gain) best = i;
    const node = open.splice(best, 1)[0]!;
    const s = node.split!;
    const nLeft = hists.partition(node.start, node.end, s.feature, s.bin, s.missingLeft ? mapper.missingBin : -1);
    const id = node.node;
    const lNode: Grow = {
      node: newNode(s.gLeft, s.hLeft, nLeft),
      start: node.start,
      end: node.start + nLeft,
      depth: node.depth + 1,
      G: s.gLeft,
      H: s.hLeft,
      hist: -1,
      split: null,
    };
    const rNode: Grow = {
      node: newNode(s.gRight, s.hRight, node.end - node.start - nLeft),
      start: node.start + nLeft,
      end: node.end,
      depth: node.depth + 1,
      G: s.gRight,
      H: s.hRight,
      hist: -1,
      split: null,
    };
    feature[id] = s.feature;
    bin[id] = s.bin;
    const t = mapper.thresholds[s.feature]!;
    threshold[id] = s.bin < t.length ? t[s.bin]! : Infinity;
    left[id] = lNode.node;
    right[id] = rNode.node;
    // A feature without missing values in training sends them where most rows go.
    missingLeft[id] = (mapper.hasMissing[s.feature] ? s.missingLeft : s.nLeft > s.nRight) ? 1 : 0;
    gain[id] = s.gain;
    nLeaves++;

    if (nLeaves >= ctx.maxLeafNodes) {
      release(node);
      finalize(lNode);
      finalize(rNode);
      for (const o of open) finalize(o);
      break;
    }
    const canL = splittable(lNode);
    const canR = splittable(rNode);
    if (canL || canR) {
      const [small, big] = lNode.end - lNode.start <= rNode.end - rNode.start ? [lNode, rNode] : [rNode, lNode];
      build(small);
      histSubtract(hists.view(node.hist), hists.view(small.hist), features, section);
      big.hist = node.hist;
      node.hist = -1;
      for (const child of [lNode, rNode]) {
        child.split = splittable(child) ? bestSplit(child) : null;
        if (child.split) open.push(child);
        else finalize(child);
      }
    } else {
      release(node);
      finalize(lNode);
      finalize(rNode);
    }
  }
  leaves.sort((a, b) => a.node - b.node);
  return {
    tree: {
      tree: {
        feature: Int32Array.from(feature),
        threshold: Float64Array.from(threshold),
        left: Int32Array.from(left),
        right: Int32Array.from(right),
        missingLeft: Uint8Array.from(missingLeft),
        value: Float64Array.from(value),
        gain: Float64Array.from(gain),
        count: Int32Array.from(count),
      },
      bin: Int32Array.from(bin),
    },
    leaves,
  };
}
