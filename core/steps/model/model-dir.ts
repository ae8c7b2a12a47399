import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stepTempPath } from '../../util/fs.js';
import { StepError } from '../step-error.js';
import type { FeatureInfo } from './dataset.js';
import type { BackendChoice } from './nn/backend.js';
import type { FittedModel, ModelFile, Task } from './types.js';

/** What `gitml/model/train` writes beside the model's own files, and every later step reads first. */
export const METADATA_FILE = 'metadata.json';

export type { ModelKind } from './tasks.js';
import type { ModelKind } from './tasks.js';

/** A table a model was trained or validated on: where it was, its content hash, how many rows were used. */
export interface DataRef {
  path: string;
  hash: string;
  rows: number;
}

/**
 * `metadata.json`: everything needed to use the model and to know where it came from. Deterministic: the same
 * training gives the same bytes (who trained it and when go to the separate run record).
 */
export interface ModelMetadata {
  schema: 1;
  model: ModelKind;
  task: Task;
  /** The column the model predicts (or, for anomaly detection, flags anomalies when present). */
  label?: string;
  /** Classification: class names, index i being output column i. */
  classes?: string[];
  /** The features, in the order the model takes them. */
  features: FeatureInfo[];
  /** The fitted transform of gitml/data/features these features came from, for serving. */
  transform?: unknown;
  data: { train: DataRef; validation?: DataRef };
  /** The `with:` settings it was trained with. */
  settings: Record<string, unknown>;
  seed: number;
  /** Neural models: the TensorFlow.js backend that trained it, and whether it promises bit-identical results. */
  backend?: { name: string; deterministic: boolean; reason?: string };
  library: { name: string; version: string };
  /** Final figures of the training (also in the `metrics` file when one is named). */
  training: Record<string, number | boolean | string>;
  /** The model's own files in this directory. */
  files: string[];
}

/**
 * Writes the model directory: the model's files, then metadata.json last (so a directory without it is known to be
 * incomplete). The directory is built under a temporary name beside it and renamed into place.
 */
export function writeModelDir(abs: string, files: ModelFile[], metadata: ModelMetadata): void {
  const tmp = stepTempPath(abs);
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const f of files) {
      mkdirSync(dirname(join(tmp, f.path)), { recursive: true });
      writeFileSync(join(tmp, f.path), f.bytes);
    }
    writeFileSync(join(tmp, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    rmSync(abs, { recursive: true, force: true });
    mkdirSync(dirname(abs), { recursive: true });
    renameSync(tmp, abs);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Reads a model directory's metadata and files; `step` and `shown` name it in errors. */
export function readModelDir(step: string, abs: string, shown: string): { metadata: ModelMetadata; files: ModelFile[] } {
  let text: string;
  try {
    text = readFileSync(join(abs, METADATA_FILE), 'utf8');
  } catch {
    throw new StepError(step, `${shown} is not a model directory: it has no ${METADATA_FILE} (gitml/model/train writes one)`, { key: 'model' });
  }
  let metadata: ModelMetadata;
  try {
    metadata = JSON.parse(text) as ModelMetadata;
  } catch (err) {
    throw new StepError(step, `${shown}/${METADATA_FILE} is not valid JSON: ${(err as Error).message}`, { key: 'model' });
  }
  if (metadata?.schema !== 1 || !Array.isArray(metadata.files) || !Array.isArray(metadata.features))
    throw new StepError(step, `${shown}/${METADATA_FILE} is not the metadata of a gitml model (schema 1)`, { key: 'model' });
  const present = new Set(readdirSync(abs));
  const missing = metadata.files.filter((f) => !present.has(f.split('/')[0]!));
  if (missing.length) throw new StepError(step, `${shown} lacks ${missing.map((m) => `\`${m}\``).join(', ')}, which its metadata lists`, { key: 'model' });
  return { metadata, files: metadata.files.map((path) => ({ path, bytes: readFileSync(join(abs, path)) })) };
}

/** A model loaded from its directory, ready to predict. `dispose` frees what a neural model holds. */
export interface LoadedModel {
  metadata: ModelMetadata;
  model: FittedModel & { dispose?(): void };
}

/** Loads a trained model: gradient-boosted trees from their JSON, neural models on a TensorFlow.js backend. */
export async function loadModel(step: string, abs: string, shown: string, opts: { backend?: BackendChoice } = {}): Promise<LoadedModel> {
  const { metadata, files } = readModelDir(step, abs, shown);
  if (metadata.model === 'gbdt') {
    const { gbdtFromFiles } = await import('./gbdt-files.js');
    return { metadata, model: gbdtFromFiles(files) };
  }
  const { loadNn } = await import('./nn/index.js');
  return { metadata, model: await loadNn(files, opts.backend ? { backend: opts.backend } : {}) };
}
