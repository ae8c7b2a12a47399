/**
 * The Open Inference Protocol (KServe "v2") REST bodies, pure: an infer request checked against a model's signature
 * and turned into its typed input columns, and the infer response, model metadata and server metadata bodies. Every
 * problem is a 400 naming the input and what is wrong, in the protocol's `{"error": "..."}` shape (server.ts).
 */
import type { BatchPrediction, Signature } from './model.js';
import { badRequest } from './errors.js';

/** Datatypes a numeric (FP64) input accepts: any number type the protocol names. */
const NUMERIC = new Set(['FP64', 'FP32', 'FP16', 'BF16', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);

export interface InferRequest {
  id?: string;
  rows: number;
  columns: Record<string, Float64Array | string[]>;
  /** The outputs asked for; all when absent. */
  outputs?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks an infer request body against `s` and returns the model's input columns. */
export function parseInfer(body: unknown, s: Signature): InferRequest {
  if (!isObject(body)) throw badRequest('the request body must be a JSON object with `inputs`');
  const { id, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') throw badRequest('`id` must be a string');
  if (!Array.isArray(inputs) || inputs.length === 0) throw badRequest('`inputs` must be a non-empty list of tensors');
  const known = new Map(s.inputs.map((i) => [i.name, i]));
  const columns: Record<string, Float64Array | string[]> = {};
  let rows = -1;
  inputs.forEach((t, i) => {
    if (!isObject(t)) throw badRequest(`inputs[${i}] must be an object with name, shape, datatype and data`);
    const { name, shape, datatype, data } = t;
    if (typeof name !== 'string') throw badRequest(`inputs[${i}].name must be a string`);
    const spec = known.get(name);
    if (!spec) throw badRequest(`unknown input \`${name}\`; the model takes ${s.inputs.map((x) => x.name).join(', ')}`);
    if (name in columns) throw badRequest(`input \`${name}\` is given twice`);
    if (!Array.isArray(shape) || shape.length === 0 || shape.length > 2 || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw badRequest(`input \`${name}\`: shape must be [rows] or [rows, 1]`);
    if (shape.length === 2 && shape[1] !== 1) throw badRequest(`input \`${name}\`: shape [${shape.join(', ')}]: one value per row, so [rows] or [rows, 1]`);
    const n = shape[0] as number;
    if (n === 0) throw badRequest(`input \`${name}\`: shape [${shape.join(', ')}] has no rows; send at least one`);
    if (typeof datatype !== 'string') throw badRequest(`input \`${name}\`: datatype must be a string`);
    if (!Array.isArray(data)) throw badRequest(`input \`${name}\`: data must be a list`);
    const flat = data.some(Array.isArray) ? data.flat(2) : data;
    if (flat.length !== n) throw badRequest(`input \`${name}\`: shape [${shape.join(', ')}] needs ${n} values, data has ${flat.length}`);
    if (rows >= 0 && n !== rows) throw badRequest(`input \`${name}\` has ${n} rows, the others ${rows}`);
    rows = n;
    if (spec.datatype === 'FP64') {
      if (!NUMERIC.has(datatype)) throw badRequest(`input \`${name}\`: datatype ${datatype}, but the model takes numbers (FP64)`);
      const col = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const v = flat[r];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`input \`${name}\`: value ${r} is ${JSON.stringify(v) ?? String(v)}, not a finite number`);
        col[r] = v;
      }
      columns[name] = col;
    } else {
      if (datatype !== 'BYTES') throw badRequest(`input \`${name}\`: datatype ${datatype}, but the model takes text (BYTES)`);
      const col = new Array<string>(n);
      for (let r = 0; r < n; r++) {
        const v = flat[r];
        if (typeof v !== 'string') throw badRequest(`input \`${name}\`: value ${r} is ${JSON.stringify(v)}, not a string`);
        col[r] = v;
      }
      columns[name] = col;
    }
  });
  const absent = s.inputs.filter((i) => !(i.name in columns)).map((i) => i.name);
  if (absent.length) throw badRequest(`missing input${absent.length > 1 ? 's' : ''} ${absent.map((a) => `\`${a}\``).join(', ')}`);
  const req: InferRequest = { rows, columns };
  if (id !== undefined) req.id = id;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs) || !outputs.every((o) => isObject(o) && typeof o.name === 'string'))
      throw badRequest('`outputs` must be a list of objects with a `name`');
    const names = new Set(s.outputs.map((o) => o.name));
    const wanted = outputs.map((o) => (o as { name: string }).name);
    const unknown = wanted.find((w) => !names.has(w));
    if (unknown !== undefined) throw badRequest(`unknown output \`${unknown}\`; the model gives ${[...names].join(', ')}`);
    req.outputs = wanted;
  }
  return req;
}

/** The infer response: the outputs asked for (all by default), row-major, with the model's name, version and the id. */
export function inferResponse(name: string, version: string, req: InferRequest, p: BatchPrediction, s: Signature): Record<string, unknown> {
  const outputs = s.outputs
    .filter((o) => !req.outputs || req.outputs.includes(o.name))
    .map((o) => {
      const data = o.name === 'label' ? p.label! : o.name === 'probabilities' ? Array.from(p.probabilities!) : o.name === 'value' ? Array.from(p.value!) : Array.from(p.score!);
      return { name: o.name, datatype: o.datatype, shape: o.shape.map((d) => (d < 0 ? p.rows : d)), data };
    });
  return { model_name: name, model_version: version, ...(req.id !== undefined ? { id: req.id } : {}), outputs };
}

/** `GET /v2/models/{name}[/versions/{v}]`. */
export function modelMetadata(name: string, versions: readonly string[], s: Signature): Record<string, unknown> {
  return { name, versions: [...versions], platform: 'onnxruntime_onnx', inputs: s.inputs, outputs: s.outputs };
}
