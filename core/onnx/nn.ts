/**
 * gitml's neural and linear models (TensorFlow.js files written by `NnModel.toFiles`) as ONNX operators: the
 * features' standardization, each dense layer (`MatMul`, `Add`, its activation), and the output the JS model gives:
 * class probabilities, the regression value with the target's standardization undone, or the autoencoder's mean
 * squared reconstruction error. Dropout is the identity at prediction and is left out.
 *
 * Arithmetic follows the JS path: features are standardized in double and rounded to float (as `scaleRows` does), the
 * network runs in float, and a regression value is scaled back in double.
 */
import type { NnFileMeta } from '../steps/model/nn/model.js';
import type { ModelFile } from '../steps/model/types.js';
import { OnnxExportError } from './errors.js';
import { attr, type OnnxGraph } from './graph.js';

interface LayerJson {
  class_name: string;
  config: { name: string; units?: number; activation?: string; use_bias?: boolean; rate?: number };
}

interface ModelJson {
  modelTopology?: { config?: { layers?: LayerJson[] } };
  weightsManifest?: { weights: { name: string; shape: number[] }[] }[];
  userDefinedMetadata?: { gitml?: NnFileMeta };
}

/** The ONNX operator of each activation a gitml network uses. */
const ACTIVATION: Record<string, string | null> = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', elu: 'Elu', selu: 'Selu', softmax: 'Softmax', linear: null };

export interface NnOutputs {
  /** float [N, K]: binary and multiclass. */
  probabilities?: string;
  /** double [N]: regression. */
  value?: string;
  /** float [N]: anomaly detection. */
  score?: string;
}

/** Adds the network of `files` (model.json, weights.bin) reading `x` (double [N, P]); returns its outputs' names. */
export function nnToOnnx(g: OnnxGraph, files: ModelFile[], x: string): NnOutputs {
  const find = (path: string): Uint8Array => {
    const f = files.find((m) => m.path === path);
    if (!f) throw new OnnxExportError(`${path} is missing from the model directory`);
    return f.bytes;
  };
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(find('model.json'))) as ModelJson;
  } catch (err) {
    if (err instanceof OnnxExportError) throw err;
    throw new OnnxExportError(`model.json is not valid JSON (${(err as Error).message})`);
  }
  const meta = json.userDefinedMetadata?.gitml;
  const layers = json.modelTopology?.config?.layers;
  const specs = json.weightsManifest?.flatMap((m) => m.weights);
  if (!meta || !layers || !specs) throw new OnnxExportError('model.json has no gitml section, layers or weights manifest');

  const bin = find('weights.bin');
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  let at = 0;
  for (const w of specs) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (at + size > all.length) throw new OnnxExportError(`weights.bin is shorter than model.json's weights manifest`);
    weights.set(w.name, { shape: w.shape, values: all.subarray(at, at + size) });
    at += size;
  }
  const weight = (layer: string, kind: 'kernel' | 'bias') => {
    const w = weights.get(`${layer}/${kind}`);
    if (!w) throw new OnnxExportError(`weights.bin has no ${kind} for layer ${layer}`);
    return w;
  };

  let h = x;
  if (meta.scale) {
    const p = meta.features;
    h = g.op('Div', [g.op('Sub', [h, g.constant('feature_mean', { type: 'double', values: meta.scale.mean }, [p])]), g.constant('feature_std', { type: 'double', values: meta.scale.std }, [p])]);
  }
  const input = g.op('Cast', [h], { to: attr.i(1) });
  h = input;
  for (const layer of layers) {
    const { name, activation } = layer.config;
    if (layer.class_name === 'Dropout') continue;
    if (layer.class_name === 'Dense') {
      const kernel = weight(name, 'kernel');
      h = g.op('MatMul', [h, g.constant(`${name}_kernel`, { type: 'float', values: kernel.values }, kernel.shape)]);
      if (layer.config.use_bias !== false) {
        const bias = weight(name, 'bias');
        h = g.op('Add', [h, g.constant(`${name}_bias`, { type: 'float', values: bias.values }, bias.shape)]);
      }
    } else if (layer.class_name !== 'Activation') throw new OnnxExportError(`layer ${name} is a ${layer.class_name}, which the ONNX export does not know`);
    if (activation === undefined) continue;
    if (!(activation in ACTIVATION)) throw new OnnxExportError(`layer ${name} has activation ${activation}, which the ONNX export does not know`);
    const op = ACTIVATION[activation];
    if (op) h = g.op(op, [h], op === 'Softmax' ? { axis: attr.i(-1) } : undefined);
  }

  const axis1 = (): string => g.constant('axis_1', { type: 'int64', values: [1] }, [1]);
  switch (meta.task) {
    case 'binary': {
      const one = g.constant('one', { type: 'float', values: [1] }, [1]);
      return { probabilities: g.op('Concat', [g.op('Sub', [one, h]), h], { axis: attr.i(1) }) };
    }
    case 'multiclass':
      // As the JS model, each row divided by its sum again.
      return { probabilities: g.op('Div', [h, g.op('ReduceSum', [h, axis1()], { keepdims: attr.i(1) })]) };
    case 'regression': {
      const t = meta.target ?? { mean: 0, std: 1 };
      const y = g.op('Squeeze', [g.op('Cast', [h], { to: attr.i(11) }), axis1()]);
      const scaled = g.op('Add', [g.op('Mul', [y, g.constant('target_std', { type: 'double', values: [t.std] }, [1])]), g.constant('target_mean', { type: 'double', values: [t.mean] }, [1])]);
      return { value: scaled };
    }
    case 'anomaly': {
      const diff = g.op('Sub', [h, input]);
      return { score: g.op('ReduceMean', [g.op('Mul', [diff, diff])], { axes: attr.ints([1]), keepdims: attr.i(0) }) };
    }
  }
}
