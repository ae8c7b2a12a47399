/**
 * Reads a model `toFiles` wrote back into a model that predicts the same numbers (on the same backend).
 */
import { GitmlError } from '../../../errors.js';
import type { ModelFile } from '../types.js';
import { loadBackend, type BackendChoice } from './backend.js';
import { NnModel, type NnFileMeta } from './model.js';

/** The model files are missing, damaged, or not written by gitml's neural models. */
export class NnModelFileError extends GitmlError {
  constructor(file: string, reason: string) {
    super('E_NN_MODEL_FILE', `${file}: ${reason}; train the model again to rewrite it`, { data: { file, reason }, exitCode: 1 });
  }
}

export interface LoadNnOptions {
  /** @default 'auto' */
  backend?: BackendChoice;
}

export async function loadNn(files: ModelFile[], opts: LoadNnOptions = {}): Promise<NnModel> {
  const find = (path: string): Uint8Array => {
    const f = files.find((x) => x.path === path);
    if (!f) throw new NnModelFileError(path, 'missing from the model directory');
    return f.bytes;
  };
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
    userDefinedMetadata?: { gitml?: NnFileMeta };
  };
  try {
    json = JSON.parse(new TextDecoder().decode(find('model.json'))) as typeof json;
  } catch (err) {
    if (err instanceof NnModelFileError) throw err;
    throw new NnModelFileError('model.json', `not valid JSON (${(err as Error).message})`);
  }
  const meta = json.userDefinedMetadata?.gitml;
  if (!json.modelTopology || !json.weightsManifest || meta?.schema !== 1) throw new NnModelFileError('model.json', 'not a model written by gitml (no topology, weights manifest or gitml section)');
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bytes = json.weightsManifest.flatMap((g) => g.paths).map(find);
  const size = bytes.reduce((n, b) => n + b.length, 0);
  const expected = specs.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  if (size !== expected) throw new NnModelFileError('weights.bin', `holds ${size} bytes where model.json lists ${expected}`);
  const weightData = new Uint8Array(size);
  let at = 0;
  for (const b of bytes) {
    weightData.set(b, at);
    at += b.length;
  }

  const backend = await loadBackend(opts.backend ?? 'auto');
  const { tf, tfl } = backend;
  const network = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: weightData.buffer }));
  return new NnModel(backend, network, meta);
}
