import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { PackageWith } from '../../generated/steps.js';
import { hashBytes, loadBlake3 } from '../../hash/blake3.js';
import { modelToOnnx, type Signature } from '../../onnx/model.js';
import type { ImputeValue } from '../../onnx/transform.js';
import { createSession, runColumns, type ColumnValues } from '../../onnx/runtime.js';
import { packageVersion } from '../../cli/version.js';
import type { StepContext } from '../registry.js';
import { StepError } from '../step-error.js';
import { loadPolars, readTable, requireColumns, writeBytes, writeJson, type DataFrame, type Polars } from '../table.js';
import { applyTransform, parseTransform, type Transform } from '../transform.js';
import { toDataset } from './dataset.js';
import { loadModel, readModelDir } from './model-dir.js';
import { signaturePath } from './paths.js';
import { tableColumns } from './table-columns.js';

const STEP = 'package';
const DEFAULT_PARITY_ROWS = 10_000;
const DEFAULT_TOLERANCE = 1e-5;

/**
 * `gitml/model/package`: exports a trained model to ONNX with its preprocessing in the graph, writes its signature,
 * and checks the ONNX outputs (run by onnxruntime-node on the raw columns) against the JavaScript path (imputation,
 * the transform, the model) on a table: the step fails naming the worst row and output when they differ by more
 * than the tolerance.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as PackageWith;
  const { metadata, files } = readModelDir(STEP, resolve(ctx.cwd, w.model), w.model);
  const transform = metadata.transform === undefined ? undefined : parseTransform(STEP, metadata.transform, `${w.model}/metadata.json`);
  const impute = w.impute ? readImpute(resolve(ctx.cwd, w.impute), w.impute) : undefined;
  const blake3 = await loadBlake3();
  // The model's content version: its files, whatever directory they are in.
  const listing = files
    .map((f) => `${f.path} ${hashBytes(f.bytes, blake3)}`)
    .sort()
    .join('\n');
  const modelVersion = hashBytes(new TextEncoder().encode(listing), blake3).slice('blake3:'.length, 'blake3:'.length + 16);
  const name = w.name ?? basename(w.model.replace(/\/+$/, ''));
  const { bytes, signature } = modelToOnnx(metadata, files, {
    name,
    modelVersion,
    producerVersion: packageVersion(),
    ...(transform ? { transform } : {}),
    ...(impute ? { impute } : {}),
  });

  const parity = w.parity ?? defaultParity(metadata, transform);
  const p = await loadPolars();
  const table = await readTable(STEP, resolve(ctx.cwd, parity), { shown: parity });
  const df = table.head(w.parity_rows ?? DEFAULT_PARITY_ROWS);
  const tolerance = w.tolerance ?? DEFAULT_TOLERANCE;
  const check = await parityCheck(p, df, parity, signature, bytes, { transform, impute, model: () => loadModel(STEP, resolve(ctx.cwd, w.model), w.model, w.backend ? { backend: w.backend } : {}) });
  if (check.worst && check.diff > tolerance) {
    throw new StepError(
      STEP,
      `the ONNX model differs from the JavaScript model by ${check.diff.toExponential(3)} (tolerance ${tolerance}) on ${parity} row ${check.worst.row + 1}, ${check.worst.output}: ONNX ${check.worst.onnx}, JavaScript ${check.worst.js}`,
      { key: 'parity' },
    );
  }

  writeBytes(resolve(ctx.cwd, w.output), bytes);
  writeJson(resolve(ctx.cwd, signaturePath(w)!), signature);
  if (w.metrics) writeJson(resolve(ctx.cwd, w.metrics), { parity_max_diff: check.diff, parity_rows: df.height, onnx_bytes: bytes.length });
  ctx.log(
    `package: ${w.model} -> ${w.output} (${signature.inputs.length} raw inputs -> ${signature.outputs.map((o) => o.name).join(', ')}; ${(bytes.length / 1024).toFixed(1)} KiB); ` +
      `parity on ${df.height} rows of ${parity}: max difference ${check.diff.toExponential(2)}`,
  );
}

/** Without `parity:`, the rows the model was validated or trained on, which are raw rows only without a transform. */
function defaultParity(m: { data: { train: { path: string }; validation?: { path: string } } }, transform: Transform | undefined): string {
  if (transform)
    throw new StepError(STEP, 'the model applies a features transform, so its training table is not raw rows: name a table of raw rows (before the transform) in `parity`', { key: 'model' });
  return m.data.validation?.path ?? m.data.train.path;
}

/** The values gitml/data/clean imputed, from its report: column -> the fill value. */
function readImpute(abs: string, shown: string): Record<string, ImputeValue> {
  let report: unknown;
  try {
    report = JSON.parse(readFileSync(abs, 'utf8'));
  } catch (err) {
    throw new StepError(STEP, `cannot read the clean report ${shown}: ${(err as Error).message}`, { key: 'impute' });
  }
  const imputed = (report as { imputed?: unknown } | null)?.imputed;
  if (typeof imputed !== 'object' || imputed === null) throw new StepError(STEP, `${shown} is not a report gitml/data/clean wrote (no \`imputed\`)`, { key: 'impute' });
  const out: Record<string, ImputeValue> = {};
  for (const [column, entry] of Object.entries(imputed as Record<string, { value?: unknown }>)) {
    const v = entry?.value;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[column] = v;
    else if (v !== null && v !== undefined) throw new StepError(STEP, `${shown}: the value imputed into \`${column}\` (${JSON.stringify(v)}) is not a number, text or a boolean`, { key: 'impute' });
  }
  return out;
}

interface Parity {
  diff: number;
  worst?: { row: number; output: string; onnx: number; js: number };
}

/**
 * Runs the ONNX bytes on `df`'s raw columns and the JavaScript path (imputation, transform, model) on the same rows;
 * the largest difference, absolute up to 1 and relative above (float networks differ in their last bits, which a
 * target on a scale of hundreds multiplies).
 */
async function parityCheck(
  p: Polars,
  df: DataFrame,
  shown: string,
  signature: Signature,
  bytes: Uint8Array,
  o: { transform: Transform | undefined; impute: Record<string, ImputeValue> | undefined; model: () => ReturnType<typeof loadModel> },
): Promise<Parity> {
  const rows = df.height;
  if (rows === 0) throw new StepError(STEP, `${shown} has no rows to check the ONNX model on`, { key: 'parity' });
  requireColumns(STEP, df, signature.inputs.map((i) => i.name), 'the model');
  const columns: Record<string, ColumnValues> = {};
  for (const input of signature.inputs) {
    const s = df.getColumn(input.name);
    const values = s.toArray() as unknown[];
    if (input.datatype === 'FP64') {
      if (values.some((v) => v !== null && typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean'))
        throw new StepError(STEP, `${shown}: column \`${input.name}\` must be numeric, as the model takes it`, { key: 'parity', column: input.name });
      // Booleans as 1 and 0, as training took them.
      columns[input.name] = Float64Array.from(values, (v) => (v === null ? NaN : Number(v)));
    } else columns[input.name] = values.map((v) => (v === null ? '' : String(v)));
  }
  const session = await createSession(bytes);
  let onnx;
  try {
    onnx = await runColumns(session, columns, rows);
  } finally {
    await session.release();
  }

  let js = df;
  if (o.impute) {
    const fills = Object.entries(o.impute).filter(([c]) => df.columns.includes(c));
    if (fills.length) js = js.withColumns(...fills.map(([c, v]) => p.col(c).fillNull(p.lit(v)).alias(c)));
  }
  if (o.transform) js = applyTransform(p, STEP, js, o.transform);
  const { dataset } = toDataset(tableColumns(js), { task: 'anomaly', features: signature.features });
  const { model } = await o.model();
  let expected: Float64Array;
  try {
    expected = model.predict(dataset.x);
  } finally {
    model.dispose?.();
  }

  const output = signature.outputs.find((t) => t.name !== 'label')!;
  const got = onnx[output.name]!.data as Float32Array | Float64Array;
  const width = output.shape[1] ?? 1;
  const parity: Parity = { diff: 0 };
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(got[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    if (!(d <= parity.diff)) {
      parity.diff = Number.isNaN(d) ? Infinity : d;
      const column = width > 1 ? `${output.name}[${signature.classes?.[i % width] ?? i % width}]` : output.name;
      parity.worst = { row: Math.floor(i / width), output: column, onnx: got[i]!, js: expected[i]! };
    }
  }
  return parity;
}
