/**
 * A small builder for ONNX graphs: named inputs and outputs, constant tensors, nodes with typed attributes, unique
 * value names, and the encoded `ModelProto`. Pure: it returns bytes and writes nothing.
 *
 * Versions are chosen for the onnxruntime-node gitml depends on (1.30): IR version 8, the default domain at opset 17,
 * and `ai.onnx.ml` at opset 3 (the classic `TreeEnsemble*` operators with double thresholds, `OneHotEncoder`,
 * `LabelEncoder`), all of which it runs.
 */
import onnxProto from 'onnx-proto';
import { OnnxExportError } from './errors.js';

const { onnx } = onnxProto;

export const IR_VERSION = 8;
export const OPSET = 17;
export const ML_DOMAIN = 'ai.onnx.ml';
export const ML_OPSET = 3;

/** The prefix of every name the graph makes for itself. */
const GENERATED = 'gitml::';

/** Element types a gitml graph uses, with their ONNX `TensorProto.DataType` codes. */
export const ELEM = { float: 1, int64: 7, string: 8, bool: 9, double: 11 } as const;
export type ElemType = keyof typeof ELEM;

/** A dimension: a size, or a name for a size known only at run time (`N` rows). */
export type Dim = number | string;

/** A constant tensor's values, typed by its element type. */
export type TensorData =
  | { type: 'float'; values: ArrayLike<number> }
  | { type: 'double'; values: ArrayLike<number> }
  | { type: 'int64'; values: ArrayLike<number | bigint> }
  | { type: 'string'; values: readonly string[] };

/** An attribute of a node. */
export type Attr =
  | { f: number }
  | { i: number }
  | { s: string }
  | { floats: readonly number[] }
  | { ints: readonly number[] }
  | { strings: readonly string[] }
  | { t: TensorData & { dims: readonly number[] } };

/** Attribute helpers: `attr.i(1)`, `attr.floats([...])`. */
export const attr = {
  f: (f: number): Attr => ({ f }),
  i: (i: number): Attr => ({ i }),
  s: (s: string): Attr => ({ s }),
  floats: (floats: readonly number[]): Attr => ({ floats }),
  ints: (ints: readonly number[]): Attr => ({ ints }),
  strings: (strings: readonly string[]): Attr => ({ strings }),
  tensor: (t: TensorData, dims: readonly number[]): Attr => ({ t: { ...t, dims } }),
};

export interface ValueInfo {
  name: string;
  type: ElemType;
  shape: Dim[];
}

const text = new TextEncoder();

export class OnnxGraph {
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();

  /**
   * A value name not used yet, from `prefix` (`gitml::prefix`, `gitml::prefix_1`, ...): apart from the inputs and
   * outputs, which carry column and output names as given, so that no column can take a name the graph needs.
   */
  fresh(prefix: string): string {
    const base = `${GENERATED}${prefix}`;
    let n = this.counters.get(prefix) ?? 0;
    let name = n === 0 ? base : `${base}_${n}`;
    while (this.names.has(name)) name = `${base}_${++n}`;
    this.counters.set(prefix, n + 1);
    this.names.add(name);
    return name;
  }

  /** Declares a graph input; its name is taken as given (a feature column's name). */
  input(name: string, type: ElemType, shape: Dim[]): string {
    if (this.names.has(name)) throw new OnnxExportError(`two inputs are named \`${name}\``);
    this.names.add(name);
    this.inputs.push({ name, type, shape });
    return name;
  }

  /** Declares value `name` (made by a node) a graph output. */
  output(name: string, type: ElemType, shape: Dim[]): void {
    this.outputs.push({ name, type, shape });
  }

  /** A constant tensor (an initializer); returns its value name. */
  constant(prefix: string, data: TensorData, dims: readonly number[]): string {
    const name = this.fresh(prefix);
    this.initializers.push(tensorProto(name, data, dims));
    return name;
  }

  /**
   * Adds a node; returns the names of its outputs (`outputs` gives their names or prefixes, or a count of fresh
   * names made from the operator's name).
   */
  node(op: string, inputs: readonly string[], opts: { outputs?: number | string[]; attrs?: Record<string, Attr>; domain?: string; name?: string } = {}): string[] {
    const outs =
      typeof opts.outputs === 'object'
        ? opts.outputs.map((o) => this.fresh(o))
        : Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(op.toLowerCase()));
    this.nodes.push(
      onnx.NodeProto.create({
        input: [...inputs],
        output: outs,
        opType: op,
        name: opts.name ?? this.fresh(`${op}_node`),
        ...(opts.domain ? { domain: opts.domain } : {}),
        attribute: Object.entries(opts.attrs ?? {}).map(([name, a]) => attributeProto(name, a)),
      }),
    );
    return outs;
  }

  /** One-output `node`. */
  op(op: string, inputs: readonly string[], attrs?: Record<string, Attr>, domain?: string): string {
    return this.node(op, inputs, { ...(attrs ? { attrs } : {}), ...(domain ? { domain } : {}) })[0]!;
  }

  /** An `Identity` from `from` to the name `to` (a graph output's public name). */
  rename(from: string, to: string): string {
    if (this.names.has(to)) throw new OnnxExportError(`the output \`${to}\` has the name of an input column; rename the column`);
    this.names.add(to);
    this.nodes.push(onnx.NodeProto.create({ input: [from], output: [to], opType: 'Identity', name: this.fresh('Identity_node') }));
    return to;
  }

  /** The encoded model: this graph, the opsets it imports, and `metadata` as `metadata_props` (sorted by key). */
  encode(o: { graphName: string; producerVersion: string; docString?: string; metadata?: Record<string, string> }): Uint8Array {
    const valueInfo = (v: ValueInfo) =>
      onnx.ValueInfoProto.create({
        name: v.name,
        type: onnx.TypeProto.create({
          tensorType: onnx.TypeProto.Tensor.create({
            elemType: ELEM[v.type],
            shape: onnx.TensorShapeProto.create({
              dim: v.shape.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
            }),
          }),
        }),
      });
    const usesMl = this.nodes.some((n) => n.domain === ML_DOMAIN);
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'gitml',
      producerVersion: o.producerVersion,
      ...(o.docString ? { docString: o.docString } : {}),
      opsetImport: [
        onnx.OperatorSetIdProto.create({ domain: '', version: OPSET }),
        ...(usesMl ? [onnx.OperatorSetIdProto.create({ domain: ML_DOMAIN, version: ML_OPSET })] : []),
      ],
      metadataProps: Object.keys(o.metadata ?? {})
        .sort()
        .map((key) => onnx.StringStringEntryProto.create({ key, value: o.metadata![key]! })),
      graph: onnx.GraphProto.create({
        name: o.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function tensorProto(name: string, data: TensorData, dims: readonly number[]): InstanceType<typeof onnx.TensorProto> {
  const base = { name, dims: [...dims], dataType: ELEM[data.type] };
  if (data.type === 'string') return onnx.TensorProto.create({ ...base, stringData: data.values.map((s) => text.encode(s)) });
  const n = data.values.length;
  const raw =
    data.type === 'float'
      ? new Float32Array(Array.from(data.values))
      : data.type === 'double'
        ? new Float64Array(Array.from(data.values))
        : BigInt64Array.from(Array.from({ length: n }, (_, i) => BigInt(data.values[i]!)));
  // Raw data is little-endian, as every platform Node runs on here stores typed arrays.
  return onnx.TensorProto.create({ ...base, rawData: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) });
}

function attributeProto(name: string, a: Attr): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if ('f' in a) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.f });
  if ('i' in a) return onnx.AttributeProto.create({ name, type: T.INT, i: a.i });
  if ('s' in a) return onnx.AttributeProto.create({ name, type: T.STRING, s: text.encode(a.s) });
  if ('floats' in a) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: [...a.floats] });
  if ('ints' in a) return onnx.AttributeProto.create({ name, type: T.INTS, ints: [...a.ints] });
  if ('strings' in a) return onnx.AttributeProto.create({ name, type: T.STRINGS, strings: a.strings.map((s) => text.encode(s)) });
  return onnx.AttributeProto.create({ name, type: T.TENSOR, t: tensorProto('', a.t, a.t.dims) });
}
