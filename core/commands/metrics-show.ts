import { parseMetrics } from '../diff/state.js';
import { Workspace } from '../workspace.js';

export interface MetricsShowResult {
  /** Metrics file -> dotted key -> value, for every file that could be read. */
  metrics: Record<string, Record<string, unknown>>;
  /** Metrics file -> why it could not be read. One bad file does not hide the others. */
  errors: Record<string, string>;
  /** Metrics file -> significant digits to print, where ml.yaml declares `precision`. */
  precision: Record<string, number>;
}

/** Reads the metrics files declared in ml.yaml (JSON or YAML) and flattens them to dotted keys. */
export async function metricsShow(opts: { cwd?: string } = {}): Promise<MetricsShowResult> {
  const ws = await Workspace.open(opts.cwd ?? process.cwd());
  const pipeline = ws.loadPipeline();
  const result: MetricsShowResult = { metrics: {}, errors: {}, precision: {} };
  for (const stage of pipeline.stages) {
    for (const out of stage.outs) {
      if (out.kind !== 'metric') continue;
      if (out.precision !== undefined) result.precision[out.path] = out.precision;
      const text = ws.readText(out.path);
      if (text === null) {
        result.errors[out.path] = `does not exist; run \`gitml repro ${stage.name}\``;
        continue;
      }
      const parsed = parseMetrics(text);
      if (typeof parsed === 'string') result.errors[out.path] = parsed;
      else result.metrics[out.path] = parsed;
    }
  }
  return result;
}
