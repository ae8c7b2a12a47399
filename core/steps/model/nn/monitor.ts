/**
 * The training monitor: per layer, the mean and variance of its activations, of the loss gradient with respect to its
 * weights and of the change its weights went through, measured on a fixed seeded probe batch. The figures are kept
 * as tensors while training runs and read once per epoch, so that the monitor does not stall the backend.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Tf } from './backend.js';

/** One layer's statistics at the end of one epoch (or batch, with per-batch recording): rows of a `line` plot. */
export interface LayerRecord {
  epoch: number;
  /** With per-batch recording: the batch within the epoch, from 0. */
  batch?: number;
  layer: string;
  activation_mean: number;
  activation_var: number;
  gradient_mean: number;
  gradient_var: number;
  update_mean: number;
  update_var: number;
}

/** The loss of one batch, with per-batch recording. */
export interface BatchRecord {
  epoch: number;
  batch: number;
  loss: number;
}

/** What the monitor needs from the trainer: the layers' weights and a probe pass. */
export interface Probe {
  names: string[];
  /** Each monitored layer's weights (kernel, then bias). */
  weights: TfCore.Variable[][];
  /** The probe batch's loss and each monitored layer's output, computed without dropout. */
  pass(): { loss: TfCore.Scalar; activations: TfCore.Tensor[] };
}

const flat = (tf: Tf, ts: TfCore.Tensor[]): TfCore.Tensor => (ts.length === 1 ? tf.reshape(ts[0]!, [-1]) : tf.concat(ts.map((t) => tf.reshape(t, [-1]))));

/** Tracks the weights between measurements, to report the updates. */
export class Monitor {
  private last: TfCore.Tensor[];
  private pending: { epoch: number; batch?: number; stats: TfCore.Tensor }[] = [];

  constructor(
    private readonly tf: Tf,
    private readonly probe: Probe,
  ) {
    this.last = this.snapshot();
  }

  private snapshot(): TfCore.Tensor[] {
    return this.tf.tidy(() => this.probe.weights.map((ws) => flat(this.tf, ws)));
  }

  /** Measures now; the figures are read by the next `flush`. */
  measure(epoch: number, batch?: number): void {
    const { tf, probe } = this;
    const now = this.snapshot();
    const stats = tf.tidy(() => {
      const allWeights = probe.weights.flat();
      let activations: TfCore.Tensor[] = [];
      const { grads } = tf.variableGrads(() => {
        const pass = probe.pass();
        // The activations are computed inside the gradient's scope; keep their moments past it.
        activations = pass.activations.map((a) => {
          const m = tf.moments(a);
          return tf.keep(tf.stack([m.mean, m.variance]));
        });
        return pass.loss;
      }, allWeights);
      const rows = probe.weights.map((ws, i) => {
        const g = tf.moments(flat(tf, ws.map((w) => grads[w.name]!)));
        const u = tf.moments(tf.sub(now[i]!, this.last[i]!));
        return tf.concat([activations[i]!, tf.stack([g.mean, g.variance, u.mean, u.variance])]);
      });
      const out = tf.stack(rows);
      for (const a of activations) a.dispose();
      return out;
    });
    tf.dispose(this.last);
    this.last = now;
    this.pending.push({ epoch, ...(batch === undefined ? {} : { batch }), stats });
  }

  /** The records measured since the last flush. */
  flush(): LayerRecord[] {
    const out: LayerRecord[] = [];
    if (!this.pending.length) return out;
    const all = this.tf.tidy(() => this.tf.concat(this.pending.map((p) => this.tf.reshape(p.stats, [-1]))));
    const values = all.dataSync();
    all.dispose();
    let k = 0;
    for (const p of this.pending) {
      for (const layer of this.probe.names) {
        const v = (j: number): number => values[k + j]!;
        out.push({
          epoch: p.epoch,
          ...(p.batch === undefined ? {} : { batch: p.batch }),
          layer,
          activation_mean: v(0),
          activation_var: v(1),
          gradient_mean: v(2),
          gradient_var: v(3),
          update_mean: v(4),
          update_var: v(5),
        });
        k += 6;
      }
      p.stats.dispose();
    }
    this.pending = [];
    return out;
  }

  dispose(): void {
    this.tf.dispose(this.last);
    for (const p of this.pending) p.stats.dispose();
    this.pending = [];
  }
}
