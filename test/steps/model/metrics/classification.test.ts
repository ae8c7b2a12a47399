import { describe, expect, it } from 'vitest';
import {
  accuracy,
  balancedAccuracy,
  classificationMetrics,
  confusionMatrix,
  logLoss,
  MetricsInputError,
  precisionRecallF1,
} from '../../../../core/steps/model/metrics/index.js';
import { Random } from '../../../../core/steps/model/random.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

/** Row-major probabilities that put `high` on each row's class and share the rest evenly. */
function probaFor(classesOfRows: number[], classes: number, high = 0.6): Float64Array {
  const out = new Float64Array(classesOfRows.length * classes).fill((1 - high) / (classes - 1));
  classesOfRows.forEach((c, r) => (out[r * classes + c] = high));
  return out;
}

describe('a perfect classifier', () => {
  it('scores 1 on every label and ranking metric, and a log loss near 0', () => {
    const rng = new Random(3);
    const y = Float64Array.from({ length: 200 }, () => rng.int(2));
    const { metrics } = classificationMetrics({ y, proba: probaFor([...y], 2, 1), classes: ['no', 'yes'] });
    for (const key of [
      'accuracy',
      'balanced_accuracy',
      'precision',
      'recall',
      'f1',
      'f1_macro',
      'f1_weighted',
      'roc_auc',
      'pr_auc',
    ] as const) {
      expect(metrics[key], key).toBe(1);
    }
    expect(metrics.log_loss).toBeGreaterThan(0);
    expect(metrics.log_loss).toBeLessThan(1e-12);
    expect(metrics.per_class.no!.recall).toBe(1);
  });

  it('scores 1 on a multiclass task too', () => {
    const rng = new Random(4);
    const y = Float64Array.from({ length: 90 }, () => rng.int(3));
    const { metrics } = classificationMetrics({ y, proba: probaFor([...y], 3, 1), classes: ['a', 'b', 'c'] });
    expect([metrics.accuracy, metrics.f1_macro, metrics.roc_auc_macro, metrics.roc_auc_weighted, metrics.pr_auc_macro]).toEqual([
      1, 1, 1, 1, 1,
    ]);
    expect(metrics.log_loss).toBeLessThan(1e-12);
  });
});

describe('a constant predictor', () => {
  it('has ROC-AUC 0.5, PR-AUC the prevalence, and the accuracy of always saying the majority', () => {
    // 30 positives out of 100; every row gets the same score, so everything is predicted positive at 0.5.
    const y = f64(Array.from({ length: 100 }, (_, i) => (i % 10 < 3 ? 1 : 0)));
    const proba = new Float64Array(200);
    for (let r = 0; r < 100; r++) [proba[2 * r], proba[2 * r + 1]] = [0.4, 0.6];
    const { metrics } = classificationMetrics({ y, proba, classes: ['neg', 'pos'] });
    expect(metrics.roc_auc).toBe(0.5);
    expect(metrics.pr_auc).toBeCloseTo(0.3, 15);
    expect(metrics.accuracy).toBeCloseTo(0.3, 15);
    expect(metrics.balanced_accuracy).toBe(0.5);
    expect(metrics.recall).toBe(1);
    expect(metrics.per_class.neg).toEqual({ precision: 0, recall: 0, f1: 0, support: 70 });
    // log loss of a constant 0.6/0.4: 0.3 * -ln 0.6 + 0.7 * -ln 0.4
    expect(metrics.log_loss).toBeCloseTo(0.3 * -Math.log(0.6) + 0.7 * -Math.log(0.4), 12);
  });

  it('has one-vs-rest ROC-AUC 0.5 for every class of a multiclass task', () => {
    const y = f64([0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 2, 2]);
    const proba = new Float64Array(y.length * 3);
    for (let r = 0; r < y.length; r++) proba.set([0.2, 0.3, 0.5], r * 3);
    const { metrics } = classificationMetrics({ y, proba, classes: ['a', 'b', 'c'] });
    expect(metrics.roc_auc_macro).toBe(0.5);
    expect(metrics.roc_auc_weighted).toBe(0.5);
    expect(metrics.accuracy).toBeCloseTo(5 / 12, 15);
    expect(metrics.per_class.a!.roc_auc).toBe(0.5);
  });
});

describe('a hand-worked confusion matrix', () => {
  //            predicted: 0  1  2     support
  //   actual 0:           2  1  1     4
  //   actual 1:           1  2  0     3
  //   actual 2:           1  1  3     5
  //   predicted totals:   4  4  4
  const y = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2];
  const pred = [0, 0, 1, 2, 1, 1, 0, 2, 2, 2, 1, 0];
  const precision = [2 / 4, 2 / 4, 3 / 4];
  const recall = [2 / 4, 2 / 3, 3 / 5];
  const f1 = precision.map((p, k) => (2 * p * recall[k]!) / (p + recall[k]!));
  const support = [4, 3, 5];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const weighted = (xs: number[]) => xs.reduce((a, x, k) => a + x * support[k]!, 0) / 12;

  it('counts rows as actual by predicted', () => {
    const m = confusionMatrix(f64(y), f64(pred), 3);
    expect(m.counts).toEqual([
      [2, 1, 1],
      [1, 2, 0],
      [1, 1, 3],
    ]);
    expect(accuracy(m)).toBeCloseTo(7 / 12, 15);
    expect(balancedAccuracy(m)).toBeCloseTo(mean(recall), 15);
  });

  it('gives per-class precision, recall and F1 and their macro and weighted averages', () => {
    const prf = precisionRecallF1(confusionMatrix(f64(y), f64(pred), 3));
    prf.perClass.forEach((s, k) => {
      expect(s.precision).toBeCloseTo(precision[k]!, 15);
      expect(s.recall).toBeCloseTo(recall[k]!, 15);
      expect(s.f1).toBeCloseTo(f1[k]!, 15);
      expect(s.support).toBe(support[k]);
    });
    expect(prf.macro.precision).toBeCloseTo(mean(precision), 15);
    expect(prf.macro.recall).toBeCloseTo(mean(recall), 15);
    expect(prf.macro.f1).toBeCloseTo(mean(f1), 15);
    expect(prf.weighted.precision).toBeCloseTo(weighted(precision), 15);
    expect(prf.weighted.recall).toBeCloseTo(weighted(recall), 15);
    expect(prf.weighted.f1).toBeCloseTo(weighted(f1), 15);
  });

  it('is what classificationMetrics reports, keyed by class name, from argmax predictions', () => {
    const report = classificationMetrics({ y: f64(y), proba: probaFor(pred, 3), classes: ['cat', 'dog', 'eel'] });
    expect([...report.predicted]).toEqual(pred);
    expect(report.confusion.counts[2]).toEqual([1, 1, 3]);
    expect(report.metrics.per_class.eel!.recall).toBeCloseTo(3 / 5, 15);
    expect(report.metrics.per_class.dog!.support).toBe(3);
    expect(report.metrics.f1_weighted).toBeCloseTo(weighted(f1), 15);
    expect(report.metrics.threshold).toBeUndefined();
  });

  it('weights rows by their sample weight', () => {
    const w = f64(y.map((c) => (c === 2 ? 2 : 1)));
    const m = confusionMatrix(f64(y), f64(pred), 3, w);
    expect(m.counts[2]).toEqual([2, 2, 6]);
    expect(accuracy(m)).toBeCloseTo((2 + 2 + 6) / (7 + 10), 15);
  });
});

describe('multiclass against scikit-learn', () => {
  // Reference numbers from scikit-learn 1.9.1 on these inputs: roc_auc_score(multi_class='ovr'),
  // average_precision_score on the one-hot labels, log_loss, balanced_accuracy_score, precision_recall_fscore_support.
  const y = f64([0, 1, 2, 2, 1, 0, 2, 1, 0, 2]);
  const proba = f64([
    0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.3, 0.3, 0.4, 0.4, 0.4, 0.2, 0.5, 0.3, 0.2, 0.2, 0.2, 0.6, 0.1, 0.8, 0.1, 0.3, 0.4, 0.3,
    0.6, 0.1, 0.3,
  ]);

  it('matches its averages', () => {
    const { metrics, predicted } = classificationMetrics({ y, proba, classes: ['a', 'b', 'c'] });
    // Row 4 ties 0.4/0.4: the first class wins, as NumPy's argmax.
    expect([...predicted]).toEqual([0, 1, 2, 2, 0, 0, 2, 1, 1, 0]);
    expect(metrics.roc_auc_macro).toBeCloseTo(0.9226190476190476, 14);
    expect(metrics.roc_auc_weighted).toBeCloseTo(0.9261904761904762, 14);
    expect(metrics.pr_auc_macro).toBeCloseTo(0.8518518518518517, 14);
    expect(metrics.pr_auc_weighted).toBeCloseTo(0.8583333333333332, 14);
    expect(metrics.log_loss).toBeCloseTo(0.7228291176304996, 14);
    expect(metrics.balanced_accuracy).toBeCloseTo(0.6944444444444443, 14);
    expect([metrics.precision_macro, metrics.recall_macro, metrics.f1_macro]).toEqual(
      [0.7222222222222222, 0.6944444444444443, 0.6984126984126985].map((v) => expect.closeTo(v, 14)),
    );
    expect([metrics.precision_weighted, metrics.recall_weighted, metrics.f1_weighted]).toEqual(
      [0.75, 0.7, 0.7142857142857142].map((v) => expect.closeTo(v, 14)),
    );
  });
});

describe('log loss', () => {
  it('clips a confident wrong answer at 1e-15 instead of going infinite', () => {
    expect(logLoss(f64([1]), f64([1, 0]), 2)).toBeCloseTo(-Math.log(1e-15), 10);
  });
});

describe('what is left out, and bad input', () => {
  it('leaves ROC-AUC out, with a note, when the labels hold one class only', () => {
    const report = classificationMetrics({ y: f64([1, 1, 1]), proba: f64([0.2, 0.8, 0.6, 0.4, 0.1, 0.9]), classes: ['n', 'p'] });
    expect(report.metrics.roc_auc).toBeUndefined();
    expect(report.metrics.pr_auc).toBe(1);
    expect(report.notes.join('\n')).toMatch(/roc_auc left out: the labels hold one class only/);
  });

  it('names a multiclass class no row has, and averages over the others', () => {
    const report = classificationMetrics({ y: f64([0, 1, 0, 1]), proba: probaFor([0, 1, 1, 1], 3), classes: ['a', 'b', 'c'] });
    expect(report.metrics.per_class.c!.roc_auc).toBeUndefined();
    expect(report.notes).toContain('roc_auc and pr_auc of class `c` left out: no row is of that class');
    // a: positives score 0.6 and 0.2, negatives 0.2 and 0.2: 2 pairs won, 2 tied = 3/4; b likewise.
    expect(report.metrics.per_class.a!.roc_auc).toBe(0.75);
    expect(report.metrics.roc_auc_macro).toBe(0.75);
  });

  it('throws a typed error naming the row for a label outside the classes or a missing probability', () => {
    const bad = () => classificationMetrics({ y: f64([0, 2]), proba: f64([0.5, 0.5, 0.5, 0.5]), classes: ['a', 'b'] });
    expect(bad).toThrow(MetricsInputError);
    expect(bad).toThrow('y at row 1 is 2, not a class index in 0..1');
    expect(() => classificationMetrics({ y: f64([0, 1]), proba: f64([0.5, 0.5, 0.5]), classes: ['a', 'b'] })).toThrow(
      'probabilities has 3 values where 2 x 2 = 4 are expected',
    );
    expect(() => classificationMetrics({ y: f64([0, 1]), proba: f64([0.5, 0.5, NaN, 0.5]), classes: ['a', 'b'] })).toThrow(
      'probabilities at row 1 is NaN',
    );
    expect(() => classificationMetrics({ y: f64([0, 1]), proba: f64([1, 0, 0, 1]), classes: ['a', 'b'], weights: f64([1, -1]) })).toThrow(
      'weights at row 1 is -1; sample weights must not be negative',
    );
    try {
      classificationMetrics({ y: new Float64Array(0), proba: new Float64Array(0), classes: ['a', 'b'] });
      expect.unreachable();
    } catch (e) {
      expect((e as MetricsInputError).code).toBe('E_METRICS_INPUT');
    }
  });
});
