/**
 * A trained model as one ONNX file that takes the raw feature columns: the preprocessing (imputation, the fitted
 * features transform), the model (trees or network), and the task's outputs, with the model's metadata in
 * `metadata_props` and a signature for callers. Pure: model files in, bytes and signature out.
 */
import type { Transform } from '../steps/transform.js';
import type { ModelMetadata } from '../steps/model/model-dir.js';
import { gbdtFromFiles } from '../steps/model/gbdt-files.js';
import type { ModelFile } from '../steps/model/types.js';
import { gbdtToOnnx } from './gbdt.js';
import { attr, IR_VERSION, ML_OPSET, OPSET, OnnxGraph, type ElemType } from './graph.js';
import { OnnxExportError } from './errors.js';
import { nnToOnnx } from './nn.js';
import { preprocessToOnnx, type ImputeValue } from './transform.js';

export const SIGNATURE_FORMAT = 'gitml-signature';
export const SIGNATURE_VERSION = 1;

/** Tensor datatypes as the Open Inference Protocol names them. */
export type Datatype = 'FP32' | 'FP64' | 'BYTES' | 'INT64';

const DATATYPE: Record<ElemType, Datatype | undefined> = { float: 'FP32', double: 'FP64', string: 'BYTES', int64: 'INT64', bool: undefined };

export interface TensorSpec {
  name: string;
  datatype: Datatype;
  /** -1: any number of rows. */
  shape: number[];
}

/** `signature.json`: what a caller needs to feed the ONNX file and read its answers. */
export interface Signature {
  format: typeof SIGNATURE_FORMAT;
  version: typeof SIGNATURE_VERSION;
  name: string;
  /** The model's content version: a hash of its directory's files. */
  model_version: string;
  model: ModelMetadata['model'];
  task: ModelMetadata['task'];
  label?: string;
  classes?: string[];
  /** One per raw column, 1-D: numbers as FP64 (null: NaN), text as BYTES (null: the empty string). */
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** The model's features after preprocessing, in order. */
  features: string[];
  data: ModelMetadata['data'];
  training: ModelMetadata['training'];
  onnx: { ir_version: number; opset: number; ml_opset: number; producer: string };
}

export interface PackageOptions {
  name: string;
  modelVersion: string;
  producerVersion: string;
  transform?: Transform;
  impute?: Record<string, ImputeValue>;
}

/** The ONNX bytes and the signature of a trained model. */
export function modelToOnnx(metadata: ModelMetadata, files: ModelFile[], o: PackageOptions): { bytes: Uint8Array; signature: Signature } {
  const g = new OnnxGraph();
  const features = metadata.features.map((f) => f.name);
  const { x, inputs } = preprocessToOnnx(g, { features, ...(o.transform ? { transform: o.transform } : {}), ...(o.impute ? { impute: o.impute } : {}) });
  const outputs: TensorSpec[] = [];
  const out = (value: string, name: string, type: ElemType, shape: number[]): void => {
    g.output(g.rename(value, name), type, shape.map((d) => (d < 0 ? 'N' : d)));
    outputs.push({ name, datatype: DATATYPE[type]!, shape });
  };

  const task = metadata.task;
  if (metadata.model === 'gbdt') {
    if (task === 'anomaly') throw new OnnxExportError('gradient-boosted trees have no anomaly task');
    const found = gbdtToOnnx(g, gbdtFromFiles(files), x, task);
    if (task === 'regression') out(g.op('Cast', [found.value!], { to: attr.i(11) }), 'value', 'double', [-1]);
    else classOutputs(found.probabilities!);
  } else {
    const found = nnToOnnx(g, files, x);
    if (found.value) out(found.value, 'value', 'double', [-1]);
    else if (found.score) out(found.score, 'score', 'float', [-1]);
    else classOutputs(found.probabilities!);
  }

  function classOutputs(probabilities: string): void {
    const classes = metadata.classes ?? [];
    // The class with the highest probability (the first on a tie), by name.
    const index = g.op('ArgMax', [probabilities], { axis: attr.i(1), keepdims: attr.i(0) });
    const names = g.constant('class_names', { type: 'string', values: classes }, [classes.length]);
    out(g.op('Gather', [names, index], { axis: attr.i(0) }), 'label', 'string', [-1]);
    out(probabilities, 'probabilities', 'float', [-1, classes.length]);
  }

  const signature: Signature = {
    format: SIGNATURE_FORMAT,
    version: SIGNATURE_VERSION,
    name: o.name,
    model_version: o.modelVersion,
    model: metadata.model,
    task,
    ...(metadata.label !== undefined ? { label: metadata.label } : {}),
    ...(metadata.classes ? { classes: metadata.classes } : {}),
    inputs: inputs.map((i: { name: string; type: 'double' | 'string' }) => ({ name: i.name, datatype: i.type === 'double' ? 'FP64' : 'BYTES', shape: [-1] })),
    outputs,
    features,
    data: metadata.data,
    training: metadata.training,
    onnx: { ir_version: IR_VERSION, opset: OPSET, ml_opset: ML_OPSET, producer: `gitml ${o.producerVersion}` },
  };
  const bytes = g.encode({
    graphName: o.name,
    producerVersion: o.producerVersion,
    docString: `${o.name}: ${metadata.model} (${task}) trained by gitml`,
    metadata: metadataProps(signature),
  });
  return { bytes, signature };
}

/** The signature as ONNX `metadata_props`: plain strings, JSON for lists and maps. */
function metadataProps(s: Signature): Record<string, string> {
  const props: Record<string, string> = {
    // The whole signature, for readers of the file alone (`loadModel`, `gitml serve`); the keys below for other tools.
    'gitml.signature': JSON.stringify(s),
    'gitml.name': s.name,
    'gitml.model_version': s.model_version,
    'gitml.model': s.model,
    'gitml.task': s.task,
    'gitml.inputs': JSON.stringify(s.inputs),
    'gitml.features': JSON.stringify(s.features),
    'gitml.data': JSON.stringify(s.data),
    'gitml.training': JSON.stringify(s.training),
  };
  if (s.label !== undefined) props['gitml.label'] = s.label;
  if (s.classes) props['gitml.classes'] = JSON.stringify(s.classes);
  return props;
}
