import { resolve } from 'node:path';
import type { EvaluateWith } from '../../generated/steps.js';
import type { StepContext } from '../registry.js';
import { StepError } from '../step-error.js';
import { readTable, writeJson } from '../table.js';
import {
  argmaxClasses,
  confusionRecords,
  importanceRecords,
  permutationImportance,
  predictedVsActualRecords,
  prPoints,
  residualRecords,
  rocPoints,
} from './metrics/index.js';
import { loadModel, type ModelMetadata } from './model-dir.js';
import { scoreModel, scoringDataset, thresholdRule } from './score.js';
import { tableColumns } from './table-columns.js';
import type { Matrix, Task } from './types.js';

const STEP = 'evaluate';

/** The plots each task can draw, by `with:` key. */
const PLOTS_OF: Record<Task, readonly string[]> = {
  binary: ['roc', 'pr', 'confusion', 'importance'],
  multiclass: ['roc', 'pr', 'confusion', 'importance'],
  regression: ['predicted', 'residuals', 'importance'],
  anomaly: ['roc', 'pr'],
};

/**
 * `gitml/model/evaluate`: scores a trained model on a table. Writes the metrics file (and each plots file named):
 * classification metrics at the decision threshold the rule picks, regression errors, or the anomaly score
 * distribution; ROC, PR and confusion plots, predicted against actual and residuals; permutation importance.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as EvaluateWith;
  const rule = thresholdRule(STEP, w.threshold);
  const { metadata, model } = await loadModel(STEP, resolve(ctx.cwd, w.model), w.model, w.backend ? { backend: w.backend } : {});
  try {
    const wrong = (['roc', 'pr', 'confusion', 'predicted', 'residuals', 'importance'] as const).filter(
      (k) => w[k] !== undefined && !PLOTS_OF[metadata.task].includes(k),
    );
    if (wrong.length)
      throw new StepError(STEP, `${wrong.map((k) => `\`${k}\``).join(', ')} ${wrong.length === 1 ? 'is' : 'are'} not drawn for a ${metadata.task} model (it draws ${PLOTS_OF[metadata.task].join(', ')})`, {
        key: wrong[0]!,
      });
    const table = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
    const data = scoringDataset(STEP, tableColumns(table), w, metadata);
    const { x, y } = data.dataset;
    const predicted = model.predict(x);
    const out = (key: keyof EvaluateWith, value: unknown) => {
      const path = w[key];
      if (typeof path === 'string') writeJson(resolve(ctx.cwd, path), value);
    };

    const scored = scoreModel(metadata, data, predicted, rule, (note) => ctx.log(`evaluate: ${note}`));
    const { metrics } = scored;
    if (metadata.task === 'binary' || metadata.task === 'multiclass') {
      const curve = metadata.task === 'binary' ? { y01: y!, scores: positiveScores(predicted) } : microAveraged(y!, predicted, metadata.classes!.length);
      if (w.roc) out('roc', rocPoints(curve));
      if (w.pr) out('pr', prPoints(curve));
    }
    if (scored.classes) out('confusion', confusionRecords(y!, scored.classes, metadata.classes!));
    if (metadata.task === 'regression') {
      out('predicted', predictedVsActualRecords(y!, predicted));
      out('residuals', residualRecords(y!, predicted));
    }
    if (metadata.task === 'anomaly') {
      if ((w.roc || w.pr) && !data.anomalies) throw new StepError(STEP, 'roc and pr need a label column saying which rows are anomalies', { key: w.roc ? 'roc' : 'pr' });
      if (data.anomalies) {
        out('roc', rocPoints({ y01: data.anomalies, scores: predicted }));
        out('pr', prPoints({ y01: data.anomalies, scores: predicted }));
      }
    }

    if (w.importance) {
      const imp = permutationImportance({
        x,
        y: y!,
        predict: (m: Matrix) => model.predict(m),
        ...importanceScore(metadata),
        seed: w.seed ?? 0,
        ...(w.importance_repeats ? { repeats: w.importance_repeats } : {}),
        features: metadata.features.map((f) => f.name),
      });
      metrics.importance = Object.fromEntries(imp.features.map((f) => [f.feature, f.mean]));
      out('importance', importanceRecords(imp.features));
    }
    out('metrics', metrics);
    ctx.log(`evaluate: ${w.model} on ${w.input} (${x.rows} rows): ${scored.summary} -> ${w.metrics}`);
  } finally {
    model.dispose?.();
  }
}

/** A binary model's probability of the positive class (the second column). */
function positiveScores(proba: Float64Array): Float64Array {
  const rows = proba.length / 2;
  return Float64Array.from({ length: rows }, (_, r) => proba[r * 2 + 1]!);
}

/**
 * A multiclass model's one-vs-rest decisions pooled into one binary curve (scikit-learn's micro average): every row
 * and class is a pair, positive when the row is of that class, scored by the class's probability.
 */
function microAveraged(y: Float64Array, proba: Float64Array, k: number): { y01: Float64Array; scores: Float64Array } {
  const y01 = new Float64Array(proba.length);
  for (let r = 0; r < y.length; r++) y01[r * k + y[r]!] = 1;
  return { y01, scores: proba };
}

/** What permutation importance measures a feature by: accuracy for classifiers, RMSE for regression. */
function importanceScore(m: ModelMetadata): { score: (y: Float64Array, p: Float64Array) => number; higherIsBetter: boolean } {
  if (m.task === 'regression')
    return {
      score: (y, p) => Math.sqrt(y.reduce((s, v, i) => s + (v - p[i]!) ** 2, 0) / y.length),
      higherIsBetter: false,
    };
  const k = m.classes!.length;
  return {
    score: (y, p) => {
      const predicted = argmaxClasses(p, k);
      let right = 0;
      for (let i = 0; i < y.length; i++) if (predicted[i] === y[i]) right++;
      return right / y.length;
    },
    higherIsBetter: true,
  };
}
