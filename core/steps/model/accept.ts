import { resolve } from 'node:path';
import type { AcceptWith } from '../../generated/steps.js';
import { flattenKeys } from '../../pipeline/params.js';
import type { StepContext } from '../registry.js';
import { StepError } from '../step-error.js';
import { readTable, writeJson } from '../table.js';
import { describeFailure, parseCheck, runChecks, type AcceptCheck } from './accept-checks.js';
import { loadModel } from './model-dir.js';
import { scoreModel, scoringDataset, thresholdRule } from './score.js';
import { tableColumns } from './table-columns.js';
import type { Matrix } from './types.js';

const STEP = 'accept';
/** Rows predicted one at a time to measure latency. */
const LATENCY_ROWS = 200;

/**
 * `gitml/model/accept`: the acceptance test on held-back rows. Scores the model as `evaluate` does, checks each
 * `METRIC OP NUMBER` and the time per row, writes the report, and fails naming every check that does not hold.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as AcceptWith;
  const checks = w.checks.map((text) => parseCheck(text) as AcceptCheck);
  const rule = thresholdRule(STEP, w.threshold);
  const { metadata, model } = await loadModel(STEP, resolve(ctx.cwd, w.model), w.model, w.backend ? { backend: w.backend } : {});
  try {
    const table = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
    const data = scoringDataset(STEP, tableColumns(table), w, metadata);
    const scored = scoreModel(metadata, data, model.predict(data.dataset.x), rule, (note) => ctx.log(`accept: ${note}`));
    const flat = flattenKeys(scored.metrics);
    const results = runChecks(checks, flat);
    let latency: number | undefined;
    if (w.max_latency_ms !== undefined) {
      latency = medianRowLatency((x) => model.predict(x), data.dataset.x);
      const text = `latency_ms_per_row <= ${w.max_latency_ms}`;
      results.push({ text, metric: 'latency_ms_per_row', op: '<=', value: w.max_latency_ms, actual: latency, passed: latency <= w.max_latency_ms });
    }
    const failed = results.filter((r) => !r.passed);
    // The metrics at the top, as evaluate writes them, so their directions, diffs and gates apply alike.
    writeJson(resolve(ctx.cwd, w.report), {
      ...scored.metrics,
      passed: failed.length === 0,
      // A measured time differs on every run: the report says whether it passed, the log how long it took.
      checks: Object.fromEntries(results.map((r) => [r.text, r.metric === 'latency_ms_per_row' ? { passed: r.passed } : { value: r.actual ?? null, passed: r.passed }])),
    });
    for (const r of results) ctx.log(`accept: ${r.passed ? 'pass' : 'FAIL'}  ${r.text}${r.actual !== undefined ? `  (${Number(r.actual.toPrecision(6))})` : ''}`);
    if (failed.length)
      throw new StepError(STEP, `${failed.length} of ${results.length} acceptance check${results.length === 1 ? '' : 's'} failed: ${failed.map(describeFailure).join('; ')}`, {
        key: 'checks',
        failed: failed.map((f) => f.text),
      });
    ctx.log(`accept: ${w.model} passed ${results.length} check${results.length === 1 ? '' : 's'} on ${w.input} (${data.dataset.x.rows} rows) -> ${w.report}`);
  } finally {
    model.dispose?.();
  }
}

/** The median milliseconds to predict one row, over up to LATENCY_ROWS rows spread across the table. */
function medianRowLatency(predict: (x: Matrix) => Float64Array, x: Matrix): number {
  const n = Math.min(LATENCY_ROWS, x.rows);
  const times: number[] = [];
  predict({ rows: 1, cols: x.cols, data: x.data.slice(0, x.cols) }); // warm-up
  for (let i = 0; i < n; i++) {
    const r = Math.floor((i * x.rows) / n);
    const row = { rows: 1, cols: x.cols, data: x.data.slice(r * x.cols, (r + 1) * x.cols) };
    const t = performance.now();
    predict(row);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
