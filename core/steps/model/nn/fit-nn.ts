/**
 * Trains a linear, logistic, MLP or autoencoder model on TensorFlow.js with a loop of our own rather than
 * `model.fit`: it takes per-row sample weights (tfjs-layers does not), draws each epoch's batch order and each
 * batch's dropout mask from the project's seeded generator (fit's shuffle uses Math.random, and tfjs-layers' seeded
 * dropout repeats one mask), gathers batches by index (on WASM `slice` copies the whole source tensor), and reads
 * the backend once per epoch.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import { Random } from '../random.js';
import type { Dataset, EpochRecord, Matrix } from '../types.js';
import { loadBackend, type Tf } from './backend.js';
import { buildNet, type Net } from './build.js';
import { Monitor, type BatchRecord, type LayerRecord } from './monitor.js';
import { NnModel, scaleRows, type NnFileMeta } from './model.js';
import { followable, metricName, NnSettingsError, resolveSettings, type NnSettings, type ResolvedNnSettings } from './settings.js';

export interface FitNnOptions {
  /** Validation rows (instead of `validationFraction`). */
  validation?: Dataset;
  /** Called after each epoch, e.g. for a progress line. */
  onEpoch?: (record: EpochRecord) => void;
  /** The clock `rowsPerSecond` is measured with (milliseconds). @default performance.now */
  now?: () => number;
}

type T = TfCore.Tensor;

/** Tensors of one dataset, prepared for training or evaluation. */
interface Prepared {
  rows: number;
  x: T;
  /** Targets: 0/1 column (binary), one-hot (multiclass), standardized value (regression); absent for anomaly. */
  y?: T;
  w?: T;
}

/** Trains a model. Throws `NnSettingsError` for settings that do not fit the data, `NnBackendError` for a forced backend that does not load. */
export async function fitNn(train: Dataset, settings: NnSettings, opts: FitNnOptions = {}): Promise<NnModel> {
  const s = resolveSettings(settings, { features: train.x.cols, maxLabel: maxLabel(settings, train), validation: opts.validation !== undefined });
  checkData(s, train, 'training data');
  if (opts.validation) checkData(s, opts.validation, 'validation data', train.x.cols);
  const backend = await loadBackend(s.backend);
  const { tf, tfl } = backend;
  const random = new Random(s.seed);
  const splitRandom = random.fork();
  const orderRandom = random.fork();
  const dropoutRandom = random.fork();
  const probeRandom = random.fork();

  const [fitRows, heldOut] = opts.validation ? [train, opts.validation] : splitValidation(train, s.validationFraction, splitRandom);
  if (fitRows.x.rows === 0) throw new NnSettingsError(['the training data has no rows']);
  const meta: NnFileMeta = {
    schema: 1,
    model: s.model,
    task: s.task,
    features: train.x.cols,
    outputs: s.task === 'binary' ? 2 : s.task === 'multiclass' ? s.classes : 1,
    ...(s.standardize ? { scale: columnScale(fitRows.x) } : {}),
    ...(s.standardize && s.task === 'regression' ? { target: targetScale(fitRows.y!) } : {}),
  };

  const net = buildNet(tfl, s, train.x.cols);
  const trainer = new Trainer(tf, s, net, meta);
  const data = trainer.prepare(fitRows);
  const validation = heldOut && heldOut.x.rows > 0 ? trainer.prepare(heldOut) : undefined;
  const probe = s.monitor ? trainer.prepare(takeRows(fitRows, probeRows(fitRows.x.rows, s.probeRows, probeRandom))) : undefined;
  const monitor = probe ? new Monitor(tf, trainer.probe(probe)) : undefined;
  const optimizer = s.optimizer === 'sgd' ? tf.train.sgd(s.learningRate) : s.optimizer === 'rmsprop' ? tf.train.rmsprop(s.learningRate) : tf.train.adam(s.learningRate);

  const history: EpochRecord[] = [];
  const layers: LayerRecord[] = [];
  const batches: BatchRecord[] = [];
  const stop = s.earlyStopping;
  const rising = stop ? followable(s.task, validation !== undefined).get(stop.metric) === true : false;
  let best: { epoch: number; value: number; weights?: T[] } | undefined;
  let stoppedEarly = false;
  let diverged = false;
  const now = opts.now ?? (() => performance.now());
  const started = now();
  try {
    for (let epoch = 1; epoch <= s.epochs; epoch++) {
      const record = trainer.epoch(data, optimizer, epoch, orderRandom.permutation(data.rows), dropoutRandom, s.perBatch ? monitor : undefined, batches);
      if (validation) Object.assign(record, prefixed(trainer.evaluate(validation)));
      if (monitor) {
        if (!s.perBatch) monitor.measure(epoch);
        layers.push(...monitor.flush());
      }
      history.push(record);
      opts.onEpoch?.(record);
      // A loss that overflowed stays NaN: further epochs cannot recover, and the caller records the failure.
      if (!Number.isFinite(record.loss)) {
        diverged = true;
        break;
      }
      if (!stop) continue;
      const value = followed(record, stop.metric);
      const better = best === undefined || (rising ? value > best.value + stop.minDelta : value < best.value - stop.minDelta);
      if (better && Number.isFinite(value)) {
        if (best?.weights) tf.dispose(best.weights);
        best = { epoch, value, ...(stop.restoreBest ? { weights: trainer.variables.map((v) => tf.clone(v)) } : {}) };
      } else if (best && epoch - best.epoch >= stop.patience) {
        stoppedEarly = true;
        break;
      }
    }
    if (best?.weights && !diverged) trainer.variables.forEach((v, i) => v.assign(best!.weights![i]!));
  } finally {
    if (best?.weights) tf.dispose(best.weights);
    monitor?.dispose();
    optimizer.dispose();
    for (const p of [data, validation, probe]) if (p) tf.dispose([p.x, ...(p.y ? [p.y] : []), ...(p.w ? [p.w] : [])]);
  }
  const trainingMs = now() - started;
  const epochs = history.length;
  return new NnModel(backend, net.model, meta, {
    history,
    layers,
    batches,
    epochs,
    bestEpoch: best && stop?.restoreBest ? best.epoch : epochs,
    stoppedEarly,
    diverged,
    rowsPerSecond: trainingMs > 0 ? (data.rows * epochs) / (trainingMs / 1000) : 0,
  });
}

/** The network's passes over prepared tensors: a training epoch, an evaluation, the monitor's probe. */
class Trainer {
  readonly variables: TfCore.Variable[];
  private readonly dense: { name: string; weights: TfCore.Variable[] }[];
  private readonly metric: 'accuracy' | 'rmse' | undefined;

  constructor(
    private readonly tf: Tf,
    private readonly s: ResolvedNnSettings,
    private readonly net: Net,
    private readonly meta: NnFileMeta,
  ) {
    this.dense = net.layers.flatMap((l) => (l.kind === 'dense' ? [{ name: l.name, weights: l.layer.trainableWeights.map((w) => w.read() as TfCore.Variable) }] : []));
    this.variables = this.dense.flatMap((d) => d.weights);
    this.metric = metricName(s.task);
  }

  prepare(d: Dataset): Prepared {
    const { tf, s, meta } = this;
    const n = d.x.rows;
    const x = tf.tensor2d(scaleRows(d.x, 0, n, meta.scale), [n, d.x.cols]);
    let y: T | undefined;
    if (s.task === 'binary') y = tf.tensor2d(Float32Array.from(d.y!), [n, 1]);
    else if (s.task === 'regression') {
      const t = meta.target ?? { mean: 0, std: 1 };
      y = tf.tensor2d(Float32Array.from(d.y!, (v) => (v - t.mean) / t.std), [n, 1]);
    } else if (s.task === 'multiclass') {
      const k = s.classes;
      const onehot = new Float32Array(n * k);
      for (let r = 0; r < n; r++) onehot[r * k + d.y![r]!] = 1;
      y = tf.tensor2d(onehot, [n, k]);
    }
    const w = d.weights ? tf.tensor1d(Float32Array.from(d.weights)) : undefined;
    return { rows: n, x, ...(y ? { y } : {}), ...(w ? { w } : {}) };
  }

  /** The network's output before the final sigmoid or softmax, and each dense layer's output. */
  private forward(x: T, dropout?: Random): { out: T; activations: T[] } {
    const { tf } = this;
    const activations: T[] = [];
    let h = x;
    for (const l of this.net.layers) {
      if (l.kind === 'dense') {
        h = l.layer.apply(h) as T;
        activations.push(h);
      } else if (dropout) {
        // Inverted dropout with a fresh seeded mask per batch.
        const keep = tf.greaterEqual(tf.randomUniform(h.shape, 0, 1, 'float32', dropout.int(2 ** 31)), l.rate);
        h = tf.mul(h, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - l.rate)));
      }
    }
    return { out: h, activations };
  }

  /** Per-row loss: cross-entropy on logits, squared error, or mean squared reconstruction error. */
  private rowLoss(out: T, x: T, y: T | undefined): T {
    const { tf, s } = this;
    if (s.task === 'binary') {
      // max(z, 0) - z*y + log(1 + exp(-|z|)): the sigmoid cross-entropy without overflow.
      return tf.reshape(tf.add(tf.sub(tf.relu(out), tf.mul(out, y!)), tf.log1p(tf.exp(tf.neg(tf.abs(out))))), [-1]);
    }
    if (s.task === 'multiclass') return tf.neg(tf.sum(tf.mul(y!, tf.logSoftmax(out)), 1));
    if (s.task === 'regression') return tf.reshape(tf.squaredDifference(out, y!), [-1]);
    return tf.mean(tf.squaredDifference(out, x), 1);
  }

  /** The weighted loss summed over the rows, and the metric's sum: correct rows for accuracy, unweighted squared errors for RMSE. */
  private sums(out: T, x: T, y: T | undefined, w: T | undefined): { loss: T; metric: T } {
    const { tf, s } = this;
    const per = this.rowLoss(out, x, y);
    const loss = tf.sum(w ? tf.mul(per, w) : per);
    let metric: T = tf.scalar(0);
    if (this.metric === 'accuracy')
      metric = tf.sum(tf.cast(s.task === 'binary' ? tf.equal(tf.greater(out, 0), tf.greater(y!, 0.5)) : tf.equal(tf.argMax(out, 1), tf.argMax(y!, 1)), 'float32'));
    else if (this.metric === 'rmse') metric = tf.sum(tf.squaredDifference(out, y!));
    return { loss, metric };
  }

  private penalty(): T | undefined {
    const { tf, s } = this;
    if (s.l2 <= 0) return undefined;
    return tf.mul(tf.addN(this.dense.map((d) => tf.sum(tf.square(d.weights[0]!)))), s.l2);
  }

  /** One epoch over `order`; returns the epoch's training loss and metric. */
  epoch(data: Prepared, optimizer: TfCore.Optimizer, epoch: number, order: Int32Array, dropout: Random, perBatch: Monitor | undefined, batches: BatchRecord[]): EpochRecord {
    const { tf, s } = this;
    const dropoutRandom = s.dropout > 0 ? dropout : undefined;
    let total: T = tf.zeros([2]);
    const batchLosses: T[] = [];
    let b = 0;
    for (let start = 0; start < data.rows; start += s.batchSize, b++) {
      const n = Math.min(s.batchSize, data.rows - start);
      const next = tf.tidy(() => {
        const idx = tf.tensor1d(order.subarray(start, start + n), 'int32');
        const xb = tf.gather(data.x, idx);
        const yb = data.y ? tf.gather(data.y, idx) : undefined;
        const wb = data.w ? tf.gather(data.w, idx) : undefined;
        let sums: T | undefined;
        const cost = optimizer.minimize(
          () => {
            const { out } = this.forward(xb, dropoutRandom);
            const { loss, metric } = this.sums(out, xb, yb, wb);
            // Read once per epoch, with the metric: not on the gradient's path.
            sums = tf.keep(tf.stack([loss, metric]));
            const mean = tf.div(loss, n);
            const penalty = this.penalty();
            return (penalty ? tf.add(mean, penalty) : mean) as TfCore.Scalar;
          },
          perBatch !== undefined,
          this.variables,
        );
        if (cost) batchLosses.push(tf.keep(tf.reshape(cost, [1])));
        cost?.dispose();
        const added = tf.add(total, sums!);
        sums!.dispose();
        return added;
      });
      total.dispose();
      total = next;
      perBatch?.measure(epoch, b);
    }
    const [loss, metric] = total.dataSync();
    total.dispose();
    if (batchLosses.length) {
      const all = tf.concat(batchLosses);
      all.dataSync().forEach((v, i) => batches.push({ epoch, batch: i, loss: v }));
      tf.dispose([all, ...batchLosses]);
    }
    return { epoch, loss: loss! / data.rows, ...this.metricValue(metric!, data.rows) };
  }

  private metricValue(sum: number, rows: number): { metric?: number } {
    if (this.metric === 'accuracy') return { metric: sum / rows };
    if (this.metric === 'rmse') return { metric: Math.sqrt(sum / rows) * (this.meta.target?.std ?? 1) };
    return {};
  }

  /** Loss and metric on held-out rows, without dropout. */
  evaluate(data: Prepared): { loss: number; metric?: number } {
    const { tf } = this;
    const chunk = 8192;
    let total: T = tf.zeros([2]);
    for (let start = 0; start < data.rows; start += chunk) {
      const n = Math.min(chunk, data.rows - start);
      const next = tf.tidy(() => {
        const idx = data.rows <= chunk ? undefined : tf.range(start, start + n, 1, 'int32');
        const part = <U extends T | undefined>(t: U): U => (t && idx ? tf.gather(t, idx) : t) as U;
        const x = part(data.x);
        const { loss, metric } = this.sums(this.forward(x).out, x, part(data.y), part(data.w));
        return tf.add(total, tf.stack([loss, metric]));
      });
      total.dispose();
      total = next;
    }
    const [loss, metric] = total.dataSync();
    total.dispose();
    return { loss: loss! / data.rows, ...this.metricValue(metric!, data.rows) };
  }

  /** The monitor's probe: the dense layers, and a pass over the probe rows. */
  probe(data: Prepared): ConstructorParameters<typeof Monitor>[1] {
    return {
      names: this.dense.map((d) => d.name),
      weights: this.dense.map((d) => d.weights),
      pass: () => {
        const { out, activations } = this.forward(data.x);
        const loss = this.tf.div(this.sums(out, data.x, data.y, data.w).loss, data.rows) as TfCore.Scalar;
        return { loss, activations };
      },
    };
  }
}

/** The epoch record's value of a followed figure: `val_accuracy` is the record's `val_metric`. */
function followed(record: EpochRecord, name: string): number {
  const field = name === 'loss' || name === 'val_loss' ? name : name.startsWith('val_') ? 'val_metric' : 'metric';
  return record[field] ?? Number.NaN;
}

function prefixed(r: { loss: number; metric?: number }): Partial<EpochRecord> {
  return { val_loss: r.loss, ...(r.metric === undefined ? {} : { val_metric: r.metric }) };
}

function maxLabel(s: NnSettings, d: Dataset): number | undefined {
  if (!d.y || (s.task !== 'binary' && s.task !== 'multiclass')) return undefined;
  let m = -1;
  for (const v of d.y) if (v > m) m = v;
  return m;
}

function checkData(s: ResolvedNnSettings, d: Dataset, what: string, cols?: number): void {
  const problems: string[] = [];
  if (d.x.data.length !== d.x.rows * d.x.cols) problems.push(`${what}: x holds ${d.x.data.length} values, not rows x cols = ${d.x.rows * d.x.cols}`);
  if (cols !== undefined && d.x.cols !== cols) problems.push(`${what} has ${d.x.cols} feature columns, the training data ${cols}`);
  if (s.task !== 'anomaly') {
    if (!d.y) problems.push(`${what} has no labels; task \`${s.task}\` needs them`);
    else if (d.y.length !== d.x.rows) problems.push(`${what} has ${d.y.length} labels for ${d.x.rows} rows`);
    else if (s.task !== 'regression') {
      const bad = d.y.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= s.classes);
      if (bad >= 0) problems.push(`${what}: row ${bad} has label ${d.y[bad]}, not a class index from 0 to ${s.classes - 1}`);
    } else if (d.y.some((v) => !Number.isFinite(v))) problems.push(`${what}: a regression target is not a finite number`);
  }
  if (d.weights && d.weights.length !== d.x.rows) problems.push(`${what} has ${d.weights.length} weights for ${d.x.rows} rows`);
  if (d.weights?.some((v) => !(v >= 0) || !Number.isFinite(v))) problems.push(`${what}: sample weights must be finite and >= 0`);
  if (d.x.data.some((v) => !Number.isFinite(v))) problems.push(`${what}: a feature value is missing or not finite (impute it first)`);
  if (problems.length) throw new NnSettingsError(problems);
}

/** Rows `rows` of `d`, in that order. */
function takeRows(d: Dataset, rows: Int32Array): Dataset {
  const cols = d.x.cols;
  const x = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => x.set(d.x.data.subarray(r * cols, (r + 1) * cols), i * cols));
  return {
    x: { rows: rows.length, cols, data: x },
    ...(d.y ? { y: Float64Array.from(rows, (r) => d.y![r]!) } : {}),
    ...(d.weights ? { weights: Float64Array.from(rows, (r) => d.weights![r]!) } : {}),
  };
}

/** A seeded `fraction` of the rows held out, both parts in their original order. */
function splitValidation(d: Dataset, fraction: number, random: Random): [Dataset, Dataset | undefined] {
  const held = Math.round(d.x.rows * fraction);
  if (held === 0) return [d, undefined];
  const perm = random.permutation(d.x.rows);
  const val = perm.slice(0, held).sort();
  const fit = perm.slice(held).sort();
  return [takeRows(d, fit), takeRows(d, val)];
}

function probeRows(rows: number, want: number, random: Random): Int32Array {
  return random.permutation(rows).slice(0, Math.min(rows, want)).sort();
}

function columnScale(x: Matrix): { mean: number[]; std: number[] } {
  const mean = new Array<number>(x.cols).fill(0);
  const std = new Array<number>(x.cols).fill(0);
  for (let r = 0; r < x.rows; r++) for (let c = 0; c < x.cols; c++) mean[c]! += x.data[r * x.cols + c]!;
  for (let c = 0; c < x.cols; c++) mean[c] = mean[c]! / x.rows;
  for (let r = 0; r < x.rows; r++)
    for (let c = 0; c < x.cols; c++) {
      const d = x.data[r * x.cols + c]! - mean[c]!;
      std[c]! += d * d;
    }
  // A constant column is left as it is rather than divided by zero.
  for (let c = 0; c < x.cols; c++) std[c] = Math.sqrt(std[c]! / x.rows) || 1;
  return { mean, std };
}

function targetScale(y: Float64Array): { mean: number; std: number } {
  const { mean, std } = columnScale({ rows: y.length, cols: 1, data: y });
  return { mean: mean[0]!, std: std[0]! };
}
