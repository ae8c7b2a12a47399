/**
 * `gitml predict`: batch predictions of a packaged model over CSV, TSV, NDJSON or Parquet files, a batch of rows at a
 * time, written beside each row's id (or row number) with the model's version. Nothing is written unless every row
 * was predicted: the output goes to a temporary file, renamed into place at the end.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { stepTempPath } from '../util/fs.js';
import { globFiles, WILDCARD } from '../util/glob.js';
import { formatOf } from '../steps/table.js';
import { PredictInputError, readBatches, type Batch } from '../serve/batches.js';
import { inputValue, ModelInputError, type BatchPrediction, type Signature } from '../serve/model.js';
import { openModel } from '../serve/model-thread.js';

export interface PredictOptions {
  cwd?: string;
  /** The ONNX file `gitml/model/package` wrote. */
  model: string;
  /** Files or globs, read in order (a glob's matches sorted). */
  inputs: string[];
  /** CSV, TSV, NDJSON (streamed) or Parquet (written at the end); by extension. */
  output: string;
  /** Rows per batch. @default 8192 */
  batch?: number;
  /** A column copied from the input beside each prediction; without it, `row` (1-based, across the inputs). */
  id?: string;
}

export interface PredictResult {
  rows: number;
  files: string[];
  signature: Signature;
  seconds: number;
}

const OUTPUT_FORMATS = ['csv', 'tsv', 'ndjson', 'parquet'];

export async function predict(o: PredictOptions): Promise<PredictResult> {
  const started = performance.now();
  const cwd = o.cwd ?? process.cwd();
  const batch = o.batch ?? 8192;
  if (!Number.isInteger(batch) || batch < 1) throw new PredictInputError(`--batch must be a whole number of rows >= 1, got ${o.batch}`);
  const outFormat = formatOf(o.output);
  if (!outFormat || !OUTPUT_FORMATS.includes(outFormat)) throw new PredictInputError(`--output ${o.output}: write .csv, .tsv, .ndjson or .parquet`);
  const files = o.inputs.flatMap((entry) => {
    const matches = WILDCARD.test(entry) ? globFiles(cwd, entry) : [entry];
    if (!matches.length) throw new PredictInputError(`--input ${entry} matches no file`, { input: entry });
    return matches;
  });
  const outAbs = resolve(cwd, o.output);
  if (files.some((f) => resolve(cwd, f) === outAbs)) throw new PredictInputError(`--output ${o.output} is also an input`);

  // The model runs on its own thread, so reading the next batch and writing the last overlap each run.
  const model = await openModel(resolve(cwd, o.model));
  const s = model.signature;
  const inputs = s.inputs.map((i) => i.name);
  const idColumn = o.id;
  const needed = idColumn !== undefined && !inputs.includes(idColumn) ? [...inputs, idColumn] : inputs;
  const names = outputNames(s, idColumn ?? 'row');
  const numeric = new Set(s.inputs.filter((i) => i.datatype === 'FP64' && i.name !== idColumn).map((i) => i.name));
  const writer = openWriter(outAbs, outFormat as Format, names);
  let rows = 0;
  // The batch before this one: predicted, then written. At most two batches are in flight, so memory stays flat.
  let previous: Promise<void> = Promise.resolve();
  try {
    for (const file of files) {
      for await (const b of readBatches(resolve(cwd, file), file, needed, batch, { numeric, ...(idColumn !== undefined && !inputs.includes(idColumn) ? { id: idColumn } : {}) })) {
        const first = rows;
        const ids = idColumn !== undefined ? (b.columns[idColumn]! as ArrayLike<unknown>) : Array.from({ length: b.rows }, (_, i) => first + i + 1);
        const predicted = model.predictBatch(typed(s, b));
        await previous;
        previous = predicted.then((p) => writer.write(outputColumns(s, p, ids), b.rows));
        // Failures surface at the next await of `previous`, not as an unhandled rejection meanwhile.
        previous.catch(() => {});
        rows += b.rows;
      }
    }
    await previous;
    await writer.finish();
  } catch (err) {
    // The batch before the failing one may still be writing: the file is removed only once it is done.
    await previous.catch(() => {});
    writer.abort();
    throw err;
  } finally {
    await model.close();
  }
  return { rows, files, signature: s, seconds: (performance.now() - started) / 1000 };
}

/** A batch's input columns as the model's typed columns; a value of the wrong type names its file and line. */
function typed(s: Signature, b: Batch): Record<string, Float64Array | string[]> {
  const out: Record<string, Float64Array | string[]> = {};
  for (const spec of s.inputs) {
    const values = b.columns[spec.name]!;
    if (values instanceof Float64Array) {
      out[spec.name] = values;
      continue;
    }
    const read = (v: unknown, i: number) => {
      const value = inputValue(spec, v, true);
      if (value !== undefined) return value;
      throw new ModelInputError(`${b.where(i)}: \`${spec.name}\` must be ${spec.datatype === 'FP64' ? 'a number' : 'text'}, got ${JSON.stringify(v)}`, spec.name, i);
    };
    out[spec.name] = spec.datatype === 'FP64' ? Float64Array.from(values, (v, i) => read(v, i) as number) : values.map((v, i) => read(v, i) as string);
  }
  return out;
}

/** The output columns: the id, the prediction (label and one probability per class, or value, or score), the version. */
function outputNames(s: Signature, id: string): string[] {
  const names = [id];
  if (s.task === 'binary' || s.task === 'multiclass') names.push('label', ...(s.classes ?? []).map((c) => `probability_${c}`));
  else if (s.task === 'regression') names.push('value');
  else names.push('score');
  names.push('model_version');
  return names;
}

/** A batch's output columns, in `outputNames` order: the ids, label and each class's probability, or the value or score, the version. */
function outputColumns(s: Signature, p: BatchPrediction, ids: ArrayLike<unknown>): ArrayLike<unknown>[] {
  const columns: ArrayLike<unknown>[] = [ids];
  if (p.label) {
    const k = s.classes?.length ?? 0;
    columns.push(p.label);
    for (let j = 0; j < k; j++) columns.push(Float32Array.from({ length: p.rows }, (_, i) => p.probabilities![i * k + j]!));
  } else columns.push((p.value ?? p.score)!);
  columns.push(new Array<string>(p.rows).fill(s.model_version));
  return columns;
}

type Format = 'csv' | 'tsv' | 'ndjson' | 'parquet';

interface Writer {
  /** Output columns of `rows` rows, in `outputNames` order. */
  write(columns: ArrayLike<unknown>[], rows: number): void;
  finish(): Promise<void>;
  abort(): void;
}

/** Writes to a temporary file beside `abs`, renamed into place by `finish`; `abort` removes it. */
function openWriter(abs: string, format: Format, names: string[]): Writer {
  mkdirSync(dirname(abs), { recursive: true });
  // Named as the steps name theirs, so a killed run's leftover is found and removed like theirs.
  const tmp = stepTempPath(abs);
  if (format === 'parquet') {
    const columns: unknown[][] = names.map(() => []);
    return {
      write: (batch, rows) =>
        batch.forEach((col, j) => {
          for (let i = 0; i < rows; i++) columns[j]!.push(col[i] ?? null);
        }),
      async finish() {
        const { loadPolars } = await import('../steps/table.js');
        const p = await loadPolars();
        const df = p.DataFrame(Object.fromEntries(names.map((n, j) => [n, columns[j]!])));
        try {
          df.writeParquet(tmp);
          renameSync(tmp, abs);
        } catch (err) {
          rmSync(tmp, { force: true });
          throw err;
        }
      },
      abort: () => rmSync(tmp, { force: true }),
    };
  }
  const fd = openSync(tmp, 'w');
  const sep = format === 'tsv' ? '\t' : ',';
  const escape = (t: string): string => (/["\r\n]/.test(t) || t.includes(sep) ? `"${t.replace(/"/g, '""')}"` : t);
  // Labels and the version repeat on every row: each distinct text is escaped once.
  const escaped = new Map<string, string>();
  const cell = (v: unknown): string => {
    if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
    if (v === null || v === undefined) return '';
    if (typeof v !== 'string') return escape(String(v));
    let e = escaped.get(v);
    if (e === undefined) {
      e = escape(v);
      if (escaped.size < 10_000) escaped.set(v, e);
    }
    return e;
  };
  if (format !== 'ndjson') writeSync(fd, `${names.map(cell).join(sep)}\n`);
  let open = true;
  return {
    write(columns, rows) {
      let text = '';
      for (let i = 0; i < rows; i++) {
        if (format === 'ndjson') {
          const record: Record<string, unknown> = {};
          names.forEach((n, j) => {
            const v = columns[j]![i] ?? null;
            record[n] = typeof v === 'bigint' ? Number(v) : v;
          });
          text += `${JSON.stringify(record)}\n`;
          continue;
        }
        let line = cell(columns[0]![i]);
        for (let j = 1; j < columns.length; j++) line += sep + cell(columns[j]![i]);
        text += `${line}\n`;
      }
      if (text) writeSync(fd, text);
    },
    async finish() {
      closeSync(fd);
      open = false;
      renameSync(tmp, abs);
    },
    abort() {
      if (open) closeSync(fd);
      open = false;
      rmSync(tmp, { force: true });
    },
  };
}
