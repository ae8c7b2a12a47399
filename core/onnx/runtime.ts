/**
 * onnxruntime-node at the edge: a session from model bytes, and a run with named column tensors. Loaded on first use
 * through `require` (it is CommonJS, and `import()` of it costs more), so commands that never run a model never load
 * it.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';

let ort: typeof Ort | undefined;

export function loadOrt(): typeof Ort {
  ort ??= createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
  return ort;
}

/** One input's values: numbers (run as double or float per the model), strings, or a typed array as is. */
export type ColumnValues = Float64Array | Float32Array | BigInt64Array | readonly string[];

export interface RunOutput {
  dims: readonly number[];
  data: Float32Array | Float64Array | BigInt64Array | string[];
}

/** A session on model bytes; one thread per session unless told otherwise, since callers run sessions side by side. */
export async function createSession(bytes: Uint8Array, opts: { threads?: number } = {}): Promise<Ort.InferenceSession> {
  const { InferenceSession } = loadOrt();
  return InferenceSession.create(bytes, { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

/** Runs `session` on 1-D columns of `rows` values each; returns every output by name. */
export async function runColumns(session: Ort.InferenceSession, columns: Record<string, ColumnValues>, rows: number): Promise<Record<string, RunOutput>> {
  const { Tensor } = loadOrt();
  const feeds: Record<string, Ort.Tensor> = {};
  for (const [name, values] of Object.entries(columns)) {
    if (values instanceof Float64Array) feeds[name] = new Tensor('float64', values, [rows]);
    else if (values instanceof Float32Array) feeds[name] = new Tensor('float32', values, [rows]);
    else if (values instanceof BigInt64Array) feeds[name] = new Tensor('int64', values, [rows]);
    else feeds[name] = new Tensor('string', [...values], [rows]);
  }
  const result = await session.run(feeds);
  const out: Record<string, RunOutput> = {};
  for (const [name, t] of Object.entries(result)) out[name] = { dims: t.dims, data: t.data as RunOutput['data'] };
  return out;
}
