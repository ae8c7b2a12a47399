import { describe, expect, it } from 'vitest';
import { binaryMetricsAt, chooseThreshold, classificationMetrics, parseThresholdRule } from '../../../../core/steps/model/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

// Highest first:  0.95 P, 0.9 N, 0.8 P, 0.7 P, 0.6 N, 0.4 P, 0.3 N, 0.2 N, 0.1 N, 0.05 N  (4 positives)
const y = f64([1, 0, 1, 1, 0, 1, 0, 0, 0, 0]);
const s = f64([0.95, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05]);

describe('decision threshold rules', () => {
  it('0.5 by default: rows scoring >= 0.5 are positive', () => {
    const c = chooseThreshold({ y01: y, scores: s });
    expect(c).toMatchObject({ rule: '0.5', reached: true });
    // Flagged: 0.95 0.9 0.8 0.7 0.6 -> tp 3, fp 2, fn 1, tn 4.
    expect(c.metrics).toMatchObject({ threshold: 0.5, tp: 3, fp: 2, fn: 1, tn: 4, precision: 3 / 5, recall: 3 / 4, accuracy: 7 / 10 });
    expect(c.metrics!.f1).toBeCloseTo((2 * 3) / (2 * 3 + 2 + 1), 15);
    expect(c.metrics!.balanced_accuracy).toBeCloseTo((3 / 4 + 4 / 6) / 2, 15);
  });

  it('a fixed number: the score itself counts as positive', () => {
    expect(binaryMetricsAt(y, s, 0.8)).toMatchObject({ tp: 2, fp: 1 });
  });

  it('max_f1 picks the threshold with the best F1', () => {
    // F1 = 2tp / (2tp + fp + fn) at each score: 0.95 2/5, 0.9 2/6, 0.8 4/7, 0.7 6/8, 0.6 6/9, 0.4 8/10, 0.3 8/11,
    // 0.2 8/12, 0.1 8/13, 0.05 8/14.
    const c = chooseThreshold({ y01: y, scores: s, rule: { kind: 'max_f1' } });
    expect(c.reached).toBe(true);
    expect(c.metrics!.threshold).toBe(0.4);
    expect(c.metrics!.f1).toBe(0.8);
  });

  it('precision >= X picks the lowest threshold reaching it', () => {
    // Precision at 0.95 1, 0.9 1/2, 0.8 2/3, 0.7 3/4, 0.6 3/5, 0.4 4/6: the lowest reaching 0.66 is 0.4 (4/6).
    expect(chooseThreshold({ y01: y, scores: s, rule: { kind: 'min_precision', value: 0.66 } }).metrics).toMatchObject({
      threshold: 0.4,
      recall: 1,
    });
    expect(chooseThreshold({ y01: y, scores: s, rule: { kind: 'min_precision', value: 0.75 } }).metrics).toMatchObject({
      threshold: 0.7,
      recall: 3 / 4,
    });
    expect(chooseThreshold({ y01: y, scores: s, rule: { kind: 'min_precision', value: 1 } }).metrics).toMatchObject({
      threshold: 0.95,
      recall: 1 / 4,
    });
  });

  it('says clearly when no threshold reaches the precision asked for', () => {
    const c = chooseThreshold({ y01: f64([0, 1, 0, 1]), scores: f64([0.9, 0.8, 0.3, 0.2]), rule: { kind: 'min_precision', value: 0.9 } });
    expect(c.reached).toBe(false);
    expect(c.metrics).toBeUndefined();
    expect(c.note).toBe(
      'no threshold reaches precision >= 0.9: the highest precision is 0.5 (at threshold 0.8); lower the floor or improve the model',
    );
  });

  it('decides the label metrics of a binary classification, and falls back to 0.5 with a note when unreachable', () => {
    const proba = new Float64Array(20);
    s.forEach((p, r) => proba.set([1 - p, p], 2 * r));
    const at = classificationMetrics({ y, proba, classes: ['ok', 'fraud'], threshold: { kind: 'max_f1' } });
    expect(at.metrics.threshold).toBe(0.4);
    expect(at.metrics.recall).toBe(1);
    expect(at.metrics.precision).toBeCloseTo(4 / 6, 15);
    expect(at.threshold).toMatchObject({ rule: 'max_f1', reached: true });
    const unreachable = classificationMetrics({ y, proba, classes: ['ok', 'fraud'], threshold: { kind: 'min_precision', value: 1 } });
    expect(unreachable.metrics.threshold).toBe(0.95);
    const none = classificationMetrics({
      y: f64([0, 1]),
      proba: f64([0.1, 0.9, 0.2, 0.8]),
      classes: ['ok', 'fraud'],
      threshold: { kind: 'min_precision', value: 0.9 },
    });
    expect(none.threshold!.reached).toBe(false);
    expect(none.metrics.threshold).toBe(0.5);
    expect(none.notes[0]).toMatch(/^no threshold reaches precision >= 0.9: .*; the label metrics are at the default threshold 0.5$/);
  });

  it('is refused for a multiclass task', () => {
    expect(() =>
      classificationMetrics({
        y: f64([0, 1, 2]),
        proba: new Float64Array(9).fill(1 / 3),
        classes: ['a', 'b', 'c'],
        threshold: { kind: 'max_f1' },
      }),
    ).toThrow('a decision threshold applies to binary tasks only; this task has 3 classes');
  });
});

describe('parseThresholdRule', () => {
  it('reads the rules as a user writes them', () => {
    expect(parseThresholdRule(0.3)).toEqual({ rule: { kind: 'fixed', value: 0.3 } });
    expect(parseThresholdRule('0.5')).toEqual({ rule: { kind: 'fixed', value: 0.5 } });
    expect(parseThresholdRule(' max_f1 ')).toEqual({ rule: { kind: 'max_f1' } });
    expect(parseThresholdRule('precision >= 0.9')).toEqual({ rule: { kind: 'min_precision', value: 0.9 } });
    expect(parseThresholdRule('precision>=1')).toEqual({ rule: { kind: 'min_precision', value: 1 } });
  });

  it('says what is accepted when a rule is wrong', () => {
    expect(parseThresholdRule(1.5)).toEqual({
      error: 'threshold 1.5 is outside [0, 1]; use a number in [0, 1], `max_f1`, or `precision >= X` with X in (0, 1]',
    });
    expect(parseThresholdRule('recall >= 0.9')).toEqual({
      error: 'unknown threshold rule `recall >= 0.9`; use a number in [0, 1], `max_f1`, or `precision >= X` with X in (0, 1]',
    });
    expect(parseThresholdRule('precision >= 0')).toEqual({
      error: 'precision floor `0` is not a number in (0, 1]; write e.g. `precision >= 0.9`',
    });
  });
});
