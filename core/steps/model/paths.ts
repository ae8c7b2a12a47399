/** Output paths of the model steps that default from `output`: known when ml.yaml is read, as outputs must be. */

const base = (output: string) => output.replace(/\/+$/, '');

/** The training monitor's plots file of a neural model: `monitor`, or OUTPUT.monitor.json (it is on by default). */
export function monitorPath(w: { model?: unknown; output?: unknown; monitor?: unknown }): string | undefined {
  if (w.model === 'gbdt' || typeof w.output !== 'string') return undefined;
  return typeof w.monitor === 'string' ? w.monitor : `${base(w.output)}.monitor.json`;
}

/**
 * The run record (who, when, how fast), only when `record` names it: it differs on every run, so the stage's lock
 * entry would too, and a fresh clone could not reproduce the lockfile. Without it the same lines go to the stage log.
 */
export function recordPath(w: { record?: unknown }): string | undefined {
  return typeof w.record === 'string' ? w.record : undefined;
}

/** `gitml/model/package`'s signature: `signature`, or OUTPUT with `.signature.json` for `.onnx`. */
export function signaturePath(w: { output?: unknown; signature?: unknown }): string | undefined {
  if (typeof w.signature === 'string') return w.signature;
  return typeof w.output === 'string' ? w.output.replace(/\.onnx$/, '.signature.json') : undefined;
}
