/**
 * A packaged model (the ONNX file `gitml/model/package` writes) ready to predict: the library API
 * (`import { loadModel } from 'gitml'`), `gitml predict` and `gitml serve` all go through it, so every caller gets the
 * same checks of its input. The signature is read from the file's own metadata, so the file alone is enough.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-node';
import { GitmlError } from '../errors.js';
import { SIGNATURE_FORMAT, type Signature, type TensorSpec } from '../onnx/model.js';
import { createSession, runColumns, type ColumnValues, type RunOutput } from '../onnx/runtime.js';

export type { Signature, TensorSpec } from '../onnx/model.js';

/** The file is not a model `gitml/model/package` wrote, or cannot be read. */
export class ModelFileError extends GitmlError {
  constructor(file: string, reason: string) {
    super('E_MODEL_FILE', `${file}: ${reason}`, { data: { file, reason }, exitCode: 1 });
  }
}

/** Input the model cannot take: a missing column, a value of the wrong type, columns of different lengths. */
export class ModelInputError extends GitmlError {
  constructor(
    message: string,
    readonly column?: string,
    readonly row?: number,
  ) {
    super('E_MODEL_INPUT', message, { data: { ...(column !== undefined ? { column } : {}), ...(row !== undefined ? { row } : {}) }, exitCode: 1 });
  }
}

/** A record's values: numbers (null or NaN for a missing one) and text. */
export type Row = Record<string, unknown>;

/** One row's answer. */
export interface RowPrediction {
  label?: string;
  /** Class name -> probability. */
  probabilities?: Record<string, number>;
  value?: number;
  score?: number;
}

/** Column answers of a batch: `probabilities` is row-major rows x classes. */
export interface BatchPrediction {
  rows: number;
  label?: string[];
  probabilities?: Float32Array;
  value?: Float64Array;
  score?: Float32Array;
}

/** An ONNX file's bytes; a file that cannot be read is a `ModelFileError`. */
export function readModelFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ModelFileError(path, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Reads `gitml.signature` from an ONNX file's metadata without running it. */
export function readSignature(bytes: Uint8Array, shown: string): Signature {
  let props: { key?: string | null; value?: string | null }[];
  try {
    props = onnxProto.onnx.ModelProto.decode(bytes).metadataProps ?? [];
  } catch (err) {
    throw new ModelFileError(shown, `not an ONNX model (${(err as Error).message})`);
  }
  const text = props.find((p) => p.key === 'gitml.signature')?.value;
  if (!text) throw new ModelFileError(shown, 'an ONNX model without a gitml signature: package it with gitml/model/package');
  let s: Signature;
  try {
    s = JSON.parse(text) as Signature;
  } catch (err) {
    throw new ModelFileError(shown, `its gitml signature is not JSON (${(err as Error).message})`);
  }
  if (s.format !== SIGNATURE_FORMAT || !Array.isArray(s.inputs) || !Array.isArray(s.outputs)) throw new ModelFileError(shown, 'its gitml signature is damaged');
  return s;
}

/**
 * What every runner of a packaged model checks its input with: its signature, and records, column maps or typed
 * columns checked against it (`Model` here, and the model on a thread of its own, model-thread.ts).
 */
export class ModelInputs {
  constructor(readonly signature: Signature) {}

  /**
   * Checks typed input columns against the signature (every input there, of its type, all of one length); returns
   * the row count.
   */
  checkColumns(columns: Record<string, Float64Array | readonly string[]>): number {
    let rows = -1;
    for (const spec of this.signature.inputs) {
      const values = columns[spec.name];
      if (values === undefined) throw new ModelInputError(`missing input column \`${spec.name}\` (the model takes ${this.inputList()})`, spec.name);
      if (spec.datatype === 'FP64' ? !(values instanceof Float64Array) : !Array.isArray(values))
        throw new ModelInputError(`input column \`${spec.name}\` must be ${spec.datatype === 'FP64' ? 'numbers (a Float64Array)' : 'text (an array of strings)'}`, spec.name);
      if (rows >= 0 && values.length !== rows) throw new ModelInputError(`input column \`${spec.name}\` has ${values.length} rows, the others ${rows}`, spec.name);
      rows = values.length;
    }
    return Math.max(0, rows);
  }

  private inputList(): string {
    return this.signature.inputs.map((i) => i.name).join(', ');
  }

  /** Records or a column map as the model's typed input columns, every value checked against its input's type. */
  columnsOf(input: readonly Row[] | Record<string, readonly unknown[]>): Record<string, Float64Array | string[]> {
    return Array.isArray(input) ? this.fromRecords(input as readonly Row[]) : this.fromColumns(input as Record<string, readonly unknown[]>);
  }

  private fromRecords(records: readonly Row[]): Record<string, Float64Array | string[]> {
    const columns: Record<string, Float64Array | string[]> = {};
    for (const spec of this.signature.inputs) {
      const read = (r: Row, i: number) => {
        if (!(spec.name in r)) throw new ModelInputError(`row ${i + 1} has no \`${spec.name}\``, spec.name, i);
        return readValue(spec, r[spec.name], i);
      };
      columns[spec.name] = spec.datatype === 'FP64' ? Float64Array.from(records, (r, i) => read(r, i) as number) : records.map((r, i) => read(r, i) as string);
    }
    return columns;
  }

  private fromColumns(map: Record<string, readonly unknown[]>): Record<string, Float64Array | string[]> {
    const columns: Record<string, Float64Array | string[]> = {};
    for (const spec of this.signature.inputs) {
      const values = map[spec.name];
      if (!Array.isArray(values)) throw new ModelInputError(`missing input column \`${spec.name}\` (the model takes ${this.inputList()})`, spec.name);
      columns[spec.name] = spec.datatype === 'FP64' ? Float64Array.from(values, (v, i) => readValue(spec, v, i) as number) : values.map((v, i) => readValue(spec, v, i) as string);
    }
    return columns;
  }
}

export class Model extends ModelInputs {
  private constructor(
    signature: Signature,
    private readonly session: InferenceSession,
  ) {
    super(signature);
  }

  /** Loads an ONNX file `gitml/model/package` wrote. */
  static async load(path: string, opts: { threads?: number } = {}): Promise<Model> {
    return Model.fromBytes(readModelFile(path), path, opts);
  }

  static async fromBytes(bytes: Uint8Array, shown: string, opts: { threads?: number } = {}): Promise<Model> {
    const signature = readSignature(bytes, shown);
    let session: InferenceSession;
    try {
      session = await createSession(bytes, opts);
    } catch (err) {
      throw new ModelFileError(shown, `onnxruntime cannot load it (${(err as Error).message})`);
    }
    return new Model(signature, session);
  }

  /** The model's metadata: name, version, task, classes, inputs and outputs, training data and figures. */
  get metadata(): Signature {
    return this.signature;
  }

  /**
   * Predicts records (`[{tenure: 3, plan: 'pro'}, ...]`) or a column map (`{tenure: [3, 7], plan: ['pro', 'free']}`);
   * one answer per row. Every input column must be there; extra keys are ignored.
   */
  async predict(input: readonly Row[] | Record<string, readonly unknown[]>): Promise<RowPrediction[]> {
    const out = await this.predictBatch(this.columnsOf(input));
    return rowsOf(out, this.signature.classes);
  }

  /** Predicts typed columns: Float64Array for numeric inputs (NaN: missing), string arrays for text ("": missing). */
  async predictBatch(columns: Record<string, Float64Array | readonly string[]>): Promise<BatchPrediction> {
    const rows = this.checkColumns(columns);
    const feeds: Record<string, ColumnValues> = {};
    for (const spec of this.signature.inputs) feeds[spec.name] = columns[spec.name]!;
    if (rows <= 0) return { rows: 0 };
    const out = await runColumns(this.session, feeds, rows);
    return batchOf(out, rows);
  }

  /** Frees the session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Loads a packaged model: `const model = await loadModel('models/churn.onnx')`. */
export function loadModel(path: string, opts: { threads?: number } = {}): Promise<Model> {
  return Model.load(path, opts);
}

/**
 * One value as input `spec` takes it, or `undefined` when it cannot be. Null is a missing value (NaN, or "" for
 * text); a boolean is 1 or 0, as training took bool features. With `fromText` (CSV cells, NDJSON from any writer),
 * an absent value is missing too, numbers and booleans written as text are read, and text inputs take numbers.
 */
export function inputValue(spec: TensorSpec, v: unknown, fromText = false): number | string | undefined {
  if (spec.datatype === 'FP64') {
    if (v === null || (fromText && v === undefined)) return NaN;
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint' || typeof v === 'boolean') return Number(v);
    if (!fromText || typeof v !== 'string') return undefined;
    if (v === 'true' || v === 'false') return v === 'true' ? 1 : 0;
    if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return v === 'nan' || v === 'NaN' ? NaN : undefined;
  }
  if (v === null || (fromText && v === undefined)) return '';
  if (typeof v === 'string') return v;
  return fromText && (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') ? String(v) : undefined;
}

/** Reads one input's value of row `i`, checked against its type, with a message naming the column and row. */
function readValue(spec: TensorSpec, v: unknown, i: number): number | string {
  const value = inputValue(spec, v);
  if (value !== undefined) return value;
  const want = spec.datatype === 'FP64' ? 'a number, a boolean or null' : 'text or null';
  throw new ModelInputError(`row ${i + 1}: \`${spec.name}\` must be ${want}, got ${JSON.stringify(v)}`, spec.name, i);
}

function batchOf(out: Record<string, RunOutput>, rows: number): BatchPrediction {
  const b: BatchPrediction = { rows };
  if (out.label) b.label = out.label.data as string[];
  if (out.probabilities) b.probabilities = out.probabilities.data as Float32Array;
  if (out.value) b.value = out.value.data as Float64Array;
  if (out.score) b.score = out.score.data as Float32Array;
  return b;
}

function rowsOf(b: BatchPrediction, classes: readonly string[] | undefined): RowPrediction[] {
  const k = classes?.length ?? 0;
  return Array.from({ length: b.rows }, (_, i) => {
    const r: RowPrediction = {};
    if (b.label) r.label = b.label[i]!;
    if (b.probabilities && classes) r.probabilities = Object.fromEntries(classes.map((c, j) => [c, b.probabilities![i * k + j]!]));
    if (b.value) r.value = b.value[i]!;
    if (b.score) r.score = b.score[i]!;
    return r;
  });
}
