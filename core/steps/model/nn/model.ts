/**
 * A fitted neural or linear model: predicts, and writes itself as TensorFlow.js files (`model.json` with the
 * topology and gitml's own section, `weights.bin` with the float32 weights) whose bytes depend on the weights alone.
 */
import type * as TfLayers from '@tensorflow/tfjs-layers';
import type { EpochRecord, FittedModel, Matrix, ModelFile, Task } from '../types.js';
import type { BackendInfo, LoadedBackend } from './backend.js';
import type { BatchRecord, LayerRecord } from './monitor.js';
import type { NnModelKind } from './settings.js';

/** What `model.json` carries for gitml beside the topology (`userDefinedMetadata.gitml`). */
export interface NnFileMeta {
  schema: 1;
  model: NnModelKind;
  task: Task;
  /** Feature columns the model takes. */
  features: number;
  /** Columns `predict` returns. */
  outputs: number;
  /** Feature standardization learned from the training rows, applied before the network. */
  scale?: { mean: number[]; std: number[] };
  /** Regression: the target's standardization, undone on the network's output. */
  target?: { mean: number; std: number };
}

/** How training went (absent on a loaded model). */
export interface NnTraining {
  history: EpochRecord[];
  layers: LayerRecord[];
  /** With per-batch recording. */
  batches: BatchRecord[];
  /** Epochs run (fewer than `epochs` when early stopping stopped). */
  epochs: number;
  /** The epoch whose weights the model holds (the best, when early stopping restored it). */
  bestEpoch: number;
  /** Whether early stopping ended training. */
  stoppedEarly: boolean;
  /** Whether the training loss stopped being a finite number (training stopped there; lower the learning rate). */
  diverged: boolean;
  /** Training rows per second: every epoch's rows over the training loop's wall time (validation and monitor included). */
  rowsPerSecond: number;
}

const PREDICT_ROWS = 8192;

export class NnModel implements FittedModel {
  readonly task: Task;
  readonly outputs: number;
  readonly backend: BackendInfo;
  readonly deterministic: boolean;
  readonly history: EpochRecord[];
  readonly layers: LayerRecord[];
  readonly batches: BatchRecord[];
  readonly rowsPerSecond: number;
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  readonly diverged: boolean;

  constructor(
    private readonly loaded: LoadedBackend,
    readonly network: TfLayers.LayersModel,
    readonly meta: NnFileMeta,
    training?: NnTraining,
  ) {
    this.task = meta.task;
    this.outputs = meta.outputs;
    this.backend = loaded.info;
    this.deterministic = loaded.info.deterministic;
    this.history = training?.history ?? [];
    this.layers = training?.layers ?? [];
    this.batches = training?.batches ?? [];
    this.rowsPerSecond = training?.rowsPerSecond ?? 0;
    this.epochs = training?.epochs ?? 0;
    this.bestEpoch = training?.bestEpoch ?? 0;
    this.stoppedEarly = training?.stoppedEarly ?? false;
    this.diverged = training?.diverged ?? false;
  }

  /** Why results may differ between runs with the same seed, when they may. */
  get nondeterministicReason(): string | undefined {
    return this.backend.reason;
  }

  predict(x: Matrix): Float64Array {
    const { meta } = this;
    if (x.cols !== meta.features) throw new RangeError(`the model takes ${meta.features} feature columns, the data has ${x.cols}`);
    const { tf } = this.loaded;
    this.loaded.activate();
    const out = new Float64Array(x.rows * this.outputs);
    for (let start = 0; start < x.rows; start += PREDICT_ROWS) {
      const n = Math.min(PREDICT_ROWS, x.rows - start);
      const input = scaleRows(x, start, n, meta.scale);
      const values = tf.tidy(() => {
        const xs = tf.tensor2d(input, [n, meta.features]);
        const y = this.network.predict(xs) as ReturnType<typeof tf.tensor2d>;
        // Anomaly score: each row's mean squared reconstruction error, in standardized units.
        return meta.task === 'anomaly' ? tf.mean(tf.squaredDifference(y, xs), 1) : y;
      });
      const v = values.dataSync();
      values.dispose();
      writeOutputs(meta, v, n, out.subarray(start * this.outputs, (start + n) * this.outputs));
    }
    return out;
  }

  /** `model.json` and `weights.bin`, the same bytes for the same weights. */
  toFiles(): ModelFile[] {
    const topology = this.network.toJSON(null, false);
    const weights = this.network.weights;
    const specs = weights.map((w) => ({ name: w.originalName, shape: w.shape, dtype: 'float32' as const }));
    const values = weights.map((w) => w.read().dataSync() as Float32Array);
    const bin = new Float32Array(values.reduce((n, v) => n + v.length, 0));
    let at = 0;
    for (const v of values) {
      bin.set(v, at);
      at += v.length;
    }
    const json = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${this.loaded.tfl.version_layers}`,
      convertedBy: null,
      modelTopology: topology,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
      userDefinedMetadata: { gitml: this.meta },
    };
    // Little-endian float32, as TensorFlow.js reads weights; the platforms Node runs on are little-endian.
    return [
      { path: 'model.json', bytes: new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`) },
      { path: 'weights.bin', bytes: new Uint8Array(bin.buffer) },
    ];
  }

  /** Frees the weights. */
  dispose(): void {
    this.network.dispose();
  }
}

/** Rows `start..start+n` of `x` as float32, standardized when the model was trained on standardized features. */
export function scaleRows(x: Matrix, start: number, n: number, scale: NnFileMeta['scale']): Float32Array {
  const cols = x.cols;
  const out = new Float32Array(n * cols);
  const from = start * cols;
  if (!scale) {
    out.set(x.data.subarray(from, from + n * cols));
    return out;
  }
  for (let r = 0; r < n; r++)
    for (let c = 0; c < cols; c++) out[r * cols + c] = (x.data[from + r * cols + c]! - scale.mean[c]!) / scale.std[c]!;
  return out;
}

function writeOutputs(meta: NnFileMeta, v: ArrayLike<number>, n: number, out: Float64Array): void {
  if (meta.task === 'binary') {
    for (let r = 0; r < n; r++) {
      const p = v[r]!;
      out[2 * r] = 1 - p;
      out[2 * r + 1] = p;
    }
  } else if (meta.task === 'multiclass') {
    const k = meta.outputs;
    // float32 softmax rows sum to 1 within about 1e-7; normalized again in float64 so that they sum to 1.
    for (let r = 0; r < n; r++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += v[r * k + c]!;
      for (let c = 0; c < k; c++) out[r * k + c] = v[r * k + c]! / sum;
    }
  } else if (meta.task === 'regression') {
    const t = meta.target ?? { mean: 0, std: 1 };
    for (let r = 0; r < n; r++) out[r] = v[r]! * t.std + t.mean;
  } else {
    for (let r = 0; r < n; r++) out[r] = v[r]!;
  }
}
