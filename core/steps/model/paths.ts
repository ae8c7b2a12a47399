/** Output paths of `gitml/model/train` that default from `output`: known when ml.yaml is read, as outputs must be. */

const base = (output: string) => output.replace(/\/+$/, '');

/** The training monitor's plots file of a neural model: `monitor`, or OUTPUT.monitor.json (it is on by default). */
export function monitorPath(w: { model?: unknown; output?: unknown; monitor?: unknown }): string | undefined {
  if (w.model === 'gbdt' || typeof w.output !== 'string') return undefined;
  return typeof w.monitor === 'string' ? w.monitor : `${base(w.output)}.monitor.json`;
}

/** The run record (who, when, how fast): `record`, or OUTPUT.run.json beside the model directory. */
export function recordPath(w: { output?: unknown; record?: unknown }): string | undefined {
  if (typeof w.output !== 'string') return undefined;
  return typeof w.record === 'string' ? w.record : `${base(w.output)}.run.json`;
}
