/**
 * The network for each model kind, as a tfjs-layers Sequential model whose layer names and initial weights depend
 * on the settings and seed alone (tfjs-layers would otherwise number layers with a process-wide counter, and draw
 * initial weights from an unseeded generator).
 */
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { Random } from '../random.js';
import type { Tfl } from './backend.js';
import type { ResolvedNnSettings } from './settings.js';

/** One layer of the network, in order, as training walks it. */
export type NetLayer = { kind: 'dense'; name: string; layer: TfLayers.layers.Layer } | { kind: 'dropout'; rate: number };

export interface Net {
  model: TfLayers.Sequential;
  /** Dense and dropout layers in order; the final activation (sigmoid or softmax), if any, is not among them. */
  layers: NetLayer[];
  /** Units of the output layer: 1 for binary, the class count for multiclass, the feature count for anomaly. */
  units: number;
}

/** Output units for a task. */
export function outputUnits(s: ResolvedNnSettings, features: number): number {
  return s.task === 'multiclass' ? s.classes : s.task === 'anomaly' ? features : 1;
}

/**
 * Builds the network. Every dense layer gets Glorot-uniform weights from a seed derived from `s.seed` and its
 * position, and zero biases; dropout layers are identities at prediction (training applies its own seeded masks).
 */
export function buildNet(tfl: Tfl, s: ResolvedNnSettings, features: number): Net {
  const random = new Random(s.seed);
  const units = outputUnits(s, features);
  const hidden: { name: string; units: number }[] =
    s.model === 'mlp'
      ? s.hidden.map((u, i) => ({ name: `dense_${i + 1}`, units: u }))
      : s.model === 'autoencoder'
        ? [...s.encoder.map((u, i) => ({ name: `encoder_${i + 1}`, units: u })), ...s.decoder.map((u, i) => ({ name: `decoder_${i + 1}`, units: u }))]
        : [];
  const layers: NetLayer[] = [];
  const all: TfLayers.layers.Layer[] = [];
  const dense = (name: string, n: number, activation: string, inputs?: number): void => {
    const layer = tfl.layers.dense({
      name,
      units: n,
      activation: activation as 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: random.fork().int(2 ** 31) }),
      biasInitializer: 'zeros',
      ...(inputs === undefined ? {} : { inputShape: [inputs] }),
    });
    layers.push({ kind: 'dense', name, layer });
    all.push(layer);
  };
  hidden.forEach((h, i) => {
    dense(h.name, h.units, s.activation, i === 0 ? features : undefined);
    if (s.dropout > 0) {
      all.push(tfl.layers.dropout({ name: `dropout_${i + 1}`, rate: s.dropout }));
      layers.push({ kind: 'dropout', rate: s.dropout });
    }
  });
  dense('output', units, 'linear', hidden.length === 0 ? features : undefined);
  // Training works on the logits (stable cross-entropy); the saved model ends with the probabilities.
  if (s.task === 'binary') all.push(tfl.layers.activation({ name: 'probability', activation: 'sigmoid' }));
  if (s.task === 'multiclass') all.push(tfl.layers.activation({ name: 'probability', activation: 'softmax' }));
  const model = tfl.sequential({ name: s.model, layers: all });
  return { model, layers, units };
}
