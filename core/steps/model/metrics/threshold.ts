/**
 * The decision threshold of a binary classifier, chosen by a declared rule, and the metrics at it. A row is predicted
 * positive when its positive-class score is >= the threshold.
 *
 * Rules: a fixed number (`0.5` by default), `max_f1` (the threshold with the highest F1 of the positive class; on a tie
 * the highest such threshold, which flags fewest rows), or `precision >= X` (the lowest threshold whose precision
 * reaches X, so recall is as high as that precision allows). The candidates for the last two are the distinct scores.
 * When no threshold reaches the precision asked for, the choice says so (`reached: false`) and names the best
 * precision there is, instead of quietly picking another threshold.
 */
import { checkScored } from './check.js';
import { sweep } from './sweep.js';

export type ThresholdRule = { kind: 'fixed'; value: number } | { kind: 'max_f1' } | { kind: 'min_precision'; value: number };

export const DEFAULT_THRESHOLD = 0.5;
export const DEFAULT_THRESHOLD_RULE: ThresholdRule = { kind: 'fixed', value: DEFAULT_THRESHOLD };

/** Metrics of the positive class (index 1) at one threshold. */
export interface BinaryMetrics {
  threshold: number;
  /** Weights (counts, without weights) of true/false positives and negatives. */
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  accuracy: number;
  balanced_accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ThresholdChoice {
  /** The rule as written: `0.5`, `max_f1`, `precision >= 0.9`. */
  rule: string;
  /** False when the rule cannot be met (no threshold reaches the precision asked for). */
  reached: boolean;
  /** The chosen threshold and the metrics there; absent when not reached. */
  metrics?: BinaryMetrics;
  /** Why the rule was not met and what came closest; absent when reached. */
  note?: string;
}

const RULE_HELP = 'a number in [0, 1], `max_f1`, or `precision >= X` with X in (0, 1]';

/**
 * Reads a rule as a user writes it in settings: `0.5` (number or string), `max_f1`, `precision >= 0.9`. Returns the
 * rule, or an error message saying what is accepted (the caller adds the file position).
 */
export function parseThresholdRule(spec: string | number): { rule: ThresholdRule } | { error: string } {
  if (typeof spec === 'number') {
    return spec >= 0 && spec <= 1
      ? { rule: { kind: 'fixed', value: spec } }
      : { error: `threshold ${spec} is outside [0, 1]; use ${RULE_HELP}` };
  }
  const text = spec.trim();
  if (text === 'max_f1') return { rule: { kind: 'max_f1' } };
  const min = /^precision\s*>=\s*(\S+)$/.exec(text);
  if (min) {
    const x = Number(min[1]);
    return Number.isFinite(x) && x > 0 && x <= 1
      ? { rule: { kind: 'min_precision', value: x } }
      : { error: `precision floor \`${min[1]}\` is not a number in (0, 1]; write e.g. \`precision >= 0.9\`` };
  }
  if (text !== '' && Number.isFinite(Number(text))) return parseThresholdRule(Number(text));
  return { error: `unknown threshold rule \`${spec}\`; use ${RULE_HELP}` };
}

/** The rule as it is written back in reports. */
export function formatThresholdRule(rule: ThresholdRule): string {
  if (rule.kind === 'fixed') return String(rule.value);
  if (rule.kind === 'max_f1') return 'max_f1';
  return `precision >= ${rule.value}`;
}

/** The metrics of 0/1 labels against `scores` thresholded at `threshold` (score >= threshold is positive). */
export function binaryMetricsAt(y01: Float64Array, scores: Float64Array, threshold: number, weights?: Float64Array): BinaryMetrics {
  checkScored(y01, scores, weights, 'threshold');
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < y01.length; i++) {
    const w = weights ? weights[i]! : 1;
    const positive = scores[i]! >= threshold;
    if (y01[i] === 1) {
      if (positive) tp += w;
      else fn += w;
    } else if (positive) fp += w;
    else tn += w;
  }
  return countsToMetrics(threshold, tp, fp, tn, fn);
}

/** Applies `rule` to the scores of the positive class. */
export function chooseThreshold(opts: {
  y01: Float64Array;
  scores: Float64Array;
  weights?: Float64Array;
  rule?: ThresholdRule;
}): ThresholdChoice {
  const { y01, scores, weights } = opts;
  const rule = opts.rule ?? DEFAULT_THRESHOLD_RULE;
  const name = formatThresholdRule(rule);
  checkScored(y01, scores, weights, 'threshold');
  if (rule.kind === 'fixed') return { rule: name, reached: true, metrics: binaryMetricsAt(y01, scores, rule.value, weights) };

  const s = sweep(y01, scores, weights);
  const at = (k: number) => countsToMetrics(s.thresholds[k]!, s.tp[k]!, s.fp[k]!, s.negatives - s.fp[k]!, s.positives - s.tp[k]!);
  if (rule.kind === 'max_f1') {
    let best = 0;
    let bestF1 = -1;
    for (let k = 0; k < s.thresholds.length; k++) {
      const f1 = f1Of(s.tp[k]!, s.fp[k]!, s.positives - s.tp[k]!);
      if (f1 > bestF1) {
        bestF1 = f1;
        best = k;
      }
    }
    return { rule: name, reached: true, metrics: at(best) };
  }

  let lowest = -1;
  let bestK = 0;
  let bestPrecision = -1;
  for (let k = 0; k < s.thresholds.length; k++) {
    const p = s.tp[k]! / (s.tp[k]! + s.fp[k]!);
    if (p >= rule.value) lowest = k;
    if (p > bestPrecision) {
      bestPrecision = p;
      bestK = k;
    }
  }
  if (lowest >= 0) return { rule: name, reached: true, metrics: at(lowest) };
  return {
    rule: name,
    reached: false,
    note: `no threshold reaches precision >= ${rule.value}: the highest precision is ${round(bestPrecision)} (at threshold ${round(s.thresholds[bestK]!)}); lower the floor or improve the model`,
  };
}

function f1Of(tp: number, fp: number, fn: number): number {
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

function countsToMetrics(threshold: number, tp: number, fp: number, tn: number, fn: number): BinaryMetrics {
  const pos = tp + fn;
  const neg = tn + fp;
  const recall = pos === 0 ? 0 : tp / pos;
  const specificity = neg === 0 ? 0 : tn / neg;
  // Balanced accuracy averages the recall of the classes present, as `balancedAccuracy` does.
  const present = (pos > 0 ? 1 : 0) + (neg > 0 ? 1 : 0);
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    accuracy: (tp + tn) / (pos + neg),
    balanced_accuracy: ((pos > 0 ? recall : 0) + (neg > 0 ? specificity : 0)) / present,
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall,
    f1: f1Of(tp, fp, fn),
  };
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}
