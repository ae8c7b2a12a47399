/**
 * gitml's fitted preprocessing as ONNX operators: the clean step's imputed values, then each column's transform
 * operations (`Transform`, applied in JS by `applyTransform`), then the model's feature matrix.
 *
 * Raw columns come in as the package contract says: numbers as `double` with null as NaN, text as `string` with null
 * as `""`. A bool column comes in as `double` (true 1, false 0, null NaN): its categories are compared as 1 and 0, as
 * `Cast(bool -> double)` would give. Every step mirrors the JS semantics:
 * - log is log(1 + x), computed as x * log(u) / (u - 1) with u = 1 + x (exact to an ulp or two, as log1p is);
 * - standardize and normalize are the same double subtraction, then a product with the reciprocal of the scale (what
 *   polars makes of its division by a constant);
 * - bucketize counts the edges <= x; a null stays null (NaN);
 * - one_hot gives 0/1 columns, all zeros for a null or unseen value (compared by `Equal` on numbers, through a
 *   `LabelEncoder` index on text: never ONNX `OneHot`, which maps -1 to the last category);
 * - ordinal gives the category's index, `unknown` for a null or unseen value.
 * Text columns cannot tell a null from the empty string, so a category `""` never matches (as null never does in JS).
 */
import { ML_DOMAIN, attr, ELEM, type OnnxGraph } from './graph.js';
import { OnnxExportError } from './errors.js';
import { outputColumns, type Category, type ColumnOp, type ColumnTransform, type Transform } from '../steps/transform.js';

/** One graph input: a raw column, by name. */
export interface RawInput {
  name: string;
  type: 'double' | 'string';
}

/** A value the clean step filled nulls with (its report's `imputed.<column>.value`). */
export type ImputeValue = number | string | boolean;

export interface PreprocessOptions {
  /** The model's feature columns, in order, as named after the transform (`metadata.features`). */
  features: string[];
  /** The fitted transform of the features step; without it every feature is a raw numeric column. */
  transform?: Transform;
  /** Column -> the value a null of that raw column becomes, before the transform. Columns no feature needs are ignored. */
  impute?: Record<string, ImputeValue>;
}

/** A 1-D value of N rows as the graph holds it: double (null NaN) or string (null ""). */
interface Column {
  type: 'double' | 'string';
  name: string;
}

/** Where a feature comes from: output `index` of raw column `column` (0 for any but a one-hot column). */
interface Source {
  column: string;
  index: number;
}

/**
 * Declares one graph input per raw column the features need and builds the double [N, P] feature matrix, columns in
 * `features` order. Inputs come in the order of the transform's `input_columns` (of `features` without one).
 * @example
 * const { x, inputs } = preprocessToOnnx(g, { features: meta.features, transform, impute: { age: 41.5 } });
 */
export function preprocessToOnnx(g: OnnxGraph, o: PreprocessOptions): { x: string; inputs: RawInput[] } {
  if (!o.features.length) throw new OnnxExportError('the model has no feature columns');
  const t = o.transform;
  const sourceOf = sources(t);
  const picked = o.features.map(sourceOf);

  // Raw columns in input order; any not among the transform's inputs follow in feature order.
  const order = t?.input_columns ?? [];
  const needed = [...new Set(picked.map((s) => s.column))];
  const rank = (c: string): number => {
    const i = order.indexOf(c);
    return i >= 0 ? i : order.length + needed.indexOf(c);
  };
  needed.sort((a, b) => rank(a) - rank(b));

  const ctx: Ctx = { g, consts: new Map() };
  const inputs: RawInput[] = [];
  const blocks: { column: string; name: string; width: number }[] = [];
  for (const c of needed) {
    const ct = t?.columns[c];
    const type = ct?.kind === 'string' ? 'string' : 'double';
    inputs.push({ name: c, type });
    let value: Column = { type, name: g.input(c, type, ['N']) };
    const fill = o.impute?.[c];
    if (fill !== undefined) value = impute(ctx, c, value, fill);
    blocks.push(ct ? columnOps(ctx, c, ct, value) : { column: c, ...asBlock(ctx, value.name) });
  }

  // The blocks side by side, then the features picked out in order when that differs.
  const start = new Map<string, number>();
  let width = 0;
  for (const b of blocks) {
    start.set(b.column, width);
    width += b.width;
  }
  const all =
    blocks.length === 1
      ? blocks[0]!.name
      : g.op(
          'Concat',
          blocks.map((b) => b.name),
          { axis: attr.i(1) },
        );
  const picks = picked.map((s) => start.get(s.column)! + s.index);
  if (picks.length === width && picks.every((p, i) => p === i)) return { x: all, inputs };
  const x = g.op('Gather', [all, g.constant('feature_index', { type: 'int64', values: picks }, [picks.length])], { axis: attr.i(1) });
  return { x, inputs };
}

/** Which transformed column (and which of its outputs) gives a feature, or that it is a raw column. */
function sources(t: Transform | undefined): (f: string) => Source {
  if (!t) return (f) => ({ column: f, index: 0 });
  const outs = outputColumns(t.input_columns, t);
  const twice = outs.find((c, i) => outs.indexOf(c) !== i);
  if (twice !== undefined)
    throw new OnnxExportError(`the transform's output column \`${twice}\` appears twice (a one-hot column has the name of another column)`);
  const made = new Map<string, Source>();
  for (const [c, ct] of Object.entries(t.columns)) {
    const last = ct.ops[ct.ops.length - 1];
    if (last?.op === 'one_hot') last.columns.forEach((name, index) => made.set(name, { column: c, index }));
    else made.set(c, { column: c, index: 0 });
  }
  return (f) => {
    const s = made.get(f);
    if (s) return s;
    if (t.columns[f])
      throw new OnnxExportError(
        `feature \`${f}\` names a column the transform replaces by one-hot columns; train the model on the transformed table`,
      );
    return { column: f, index: 0 };
  };
}

interface Ctx {
  g: OnnxGraph;
  /** Constants made once and shared (the Unsqueeze axes, NaN, 1). */
  consts: Map<string, string>;
}

const shared = (ctx: Ctx, key: string, make: () => string): string => {
  let name = ctx.consts.get(key);
  if (!name) ctx.consts.set(key, (name = make()));
  return name;
};
const scalar = (ctx: Ctx, v: number): string =>
  shared(ctx, `double:${Object.is(v, -0) ? '-0' : v}`, () => ctx.g.constant('c', { type: 'double', values: [v] }, [1]));
const axis1 = (ctx: Ctx): string => shared(ctx, 'axis1', () => ctx.g.constant('axis1', { type: 'int64', values: [1] }, [1]));
/** [N] -> [N, 1]. */
const unsqueeze = (ctx: Ctx, x: string): string => ctx.g.op('Unsqueeze', [x, axis1(ctx)]);
const toDouble = (ctx: Ctx, x: string): string => ctx.g.op('Cast', [x], { to: attr.i(ELEM.double) });
const asBlock = (ctx: Ctx, x: string): { name: string; width: number } => ({ name: unsqueeze(ctx, x), width: 1 });
/** A double [N] holding `v` in every row, shaped like `like`. */
const constantLike = (ctx: Ctx, like: string, v: number): string =>
  ctx.g.op('ConstantOfShape', [ctx.g.op('Shape', [like])], { value: attr.tensor({ type: 'double', values: [v] }, [1]) });

/** Nulls of a raw column replaced by `fill`, as the clean step's `impute` did before the transform was fitted. */
function impute(ctx: Ctx, c: string, x: Column, fill: ImputeValue): Column {
  const { g } = ctx;
  if (x.type === 'double') {
    // A bool column is 1/0 here; a text value cannot fill a number.
    if (typeof fill === 'string')
      throw new OnnxExportError(
        `column \`${c}\` is numeric, but its imputed value is the text ${JSON.stringify(fill)}; impute it with a number`,
      );
    const v = typeof fill === 'boolean' ? Number(fill) : fill;
    return { type: 'double', name: g.op('Where', [g.op('IsNaN', [x.name]), scalar(ctx, v), x.name]) };
  }
  // As the clean step fills a text column: with the value's text.
  const text = String(fill);
  // Opset 17 has no string `Equal`: a lookup of "" gives 1 for it, 0 for any other text.
  const empty = g.op(
    'LabelEncoder',
    [x.name],
    { keys_strings: attr.strings(['']), values_int64s: attr.ints([1]), default_int64: attr.i(0) },
    ML_DOMAIN,
  );
  const isNull = g.op('Cast', [empty], { to: attr.i(ELEM.bool) });
  const value = shared(ctx, `string:${text}`, () => g.constant('fill', { type: 'string', values: [text] }, [1]));
  return { type: 'string', name: g.op('Where', [isNull, value, x.name]) };
}

/** A transformed column's operations, in order, as `columnExprs` applies them; returns its block of output columns. */
function columnOps(ctx: Ctx, c: string, ct: ColumnTransform, input: Column): { column: string; name: string; width: number } {
  const { g } = ctx;
  let x = input;
  const numeric = (op: ColumnOp): string => {
    if (x.type !== 'double') throw new OnnxExportError(`column \`${c}\` holds text; its \`${op.op}\` operation needs numbers`);
    return x.name;
  };
  ct.ops.forEach((op, i) => {
    if (op.op === 'one_hot' && i !== ct.ops.length - 1)
      throw new OnnxExportError(
        `column \`${c}\`: \`one_hot\` must be the column's last operation; fit the transform again with the features step`,
      );
  });
  for (const op of ct.ops) {
    switch (op.op) {
      case 'log': {
        const v = numeric(op);
        x = { type: 'double', name: log1p(ctx, v) };
        break;
      }
      // polars turns a division by a constant into a product with its reciprocal: the graph does the same, bit for bit.
      case 'standardize':
        x = { type: 'double', name: g.op('Mul', [g.op('Sub', [numeric(op), scalar(ctx, op.mean)]), scalar(ctx, 1 / op.std)]) };
        break;
      case 'normalize':
        x = { type: 'double', name: g.op('Mul', [g.op('Sub', [numeric(op), scalar(ctx, op.min)]), scalar(ctx, 1 / (op.max - op.min))]) };
        break;
      case 'bucketize': {
        const v = numeric(op);
        // The number of edges <= x; a null (NaN, which no comparison holds for) stays null.
        const count = op.edges.length
          ? g.op(
              'ReduceSum',
              [
                toDouble(
                  ctx,
                  g.op('GreaterOrEqual', [unsqueeze(ctx, v), g.constant('edges', { type: 'double', values: op.edges }, [op.edges.length])]),
                ),
                axis1(ctx),
              ],
              { keepdims: attr.i(0) },
            )
          : constantLike(ctx, v, 0);
        x = { type: 'double', name: g.op('Where', [g.op('IsNaN', [v]), scalar(ctx, NaN), count]) };
        break;
      }
      case 'one_hot':
        return { column: c, name: oneHot(ctx, c, x, op.categories), width: op.categories.length };
      case 'ordinal':
        x = { type: 'double', name: ordinal(ctx, c, x, op.categories, op.unknown) };
        break;
    }
  }
  if (x.type !== 'double') throw new OnnxExportError(`column \`${c}\` is still text after its transform; the model needs numbers`);
  return { column: c, ...asBlock(ctx, x.name) };
}

/**
 * log(1 + x) to within an ulp or two of log1p: with u = 1 + x rounded, x * log(u) / (u - 1) cancels the rounding of u
 * (Goldberg, "What every computer scientist should know about floating-point arithmetic", theorem 4); u = 1 means x
 * is below half an ulp of 1, where log1p(x) is x. +Infinity stays +Infinity; NaN and x < -1 give NaN, -1 gives
 * -Infinity.
 */
function log1p(ctx: Ctx, x: string): string {
  const { g } = ctx;
  const one = scalar(ctx, 1);
  const u = g.op('Add', [x, one]);
  const d = g.op('Sub', [u, one]);
  const ratio = g.op('Mul', [x, g.op('Div', [g.op('Log', [u]), d])]);
  const finite = g.op('Where', [g.op('IsInf', [u], { detect_negative: attr.i(0) }), u, ratio]);
  return g.op('Where', [g.op('Equal', [d, scalar(ctx, 0)]), x, finite]);
}

/** Categories as the graph compares them: numbers (bool true 1, false 0) for a double column, text for a string one. */
function categoryValues(c: string, x: Column, categories: Category[], op: string): number[] | string[] {
  if (x.type === 'double') {
    const bad = categories.find((v) => typeof v === 'string');
    if (bad !== undefined)
      throw new OnnxExportError(
        `column \`${c}\` is numeric here, but its \`${op}\` category ${JSON.stringify(bad)} is text; fit the transform again`,
      );
    return categories.map((v) => Number(v));
  }
  const bad = categories.find((v) => typeof v !== 'string');
  if (bad !== undefined)
    throw new OnnxExportError(
      `column \`${c}\` holds text, but its \`${op}\` category ${JSON.stringify(bad)} is not text; fit the transform again`,
    );
  return categories as string[];
}

/** The index of each text category in a `LabelEncoder` (first occurrence), `""` left out: it is the null. */
function textIndex(ctx: Ctx, x: string, cats: string[], unknown: number): string {
  const keys = [...new Set(cats)].filter((s) => s !== '');
  if (!keys.length) return ctx.g.op('Cast', [constantLike(ctx, x, unknown)], { to: attr.i(ELEM.int64) });
  return ctx.g.op(
    'LabelEncoder',
    [x],
    { keys_strings: attr.strings(keys), values_int64s: attr.ints(keys.map((k) => cats.indexOf(k))), default_int64: attr.i(unknown) },
    ML_DOMAIN,
  );
}

/** double [N, K]: 1 where the value is category k, else 0 (a null or unseen value gives a row of zeros). */
function oneHot(ctx: Ctx, c: string, x: Column, categories: Category[]): string {
  const { g } = ctx;
  const cats = categoryValues(c, x, categories, 'one_hot');
  const k = cats.length;
  if (x.type === 'double')
    return toDouble(
      ctx,
      g.op('Equal', [unsqueeze(ctx, x.name), g.constant('categories', { type: 'double', values: cats as number[] }, [k])]),
    );
  // Each row's category index (-1: none), compared with each output column's index; `""` (null) is -2, never met.
  const text = cats as string[];
  const idx = textIndex(ctx, x.name, text, -1);
  const columnIdx = text.map((s) => (s === '' ? -2 : text.indexOf(s)));
  return toDouble(ctx, g.op('Equal', [unsqueeze(ctx, idx), g.constant('category_index', { type: 'int64', values: columnIdx }, [k])]));
}

/** double [N]: the index of the value's category, `unknown` for a null or unseen value. */
function ordinal(ctx: Ctx, c: string, x: Column, categories: Category[], unknown: number): string {
  const { g } = ctx;
  const cats = categoryValues(c, x, categories, 'ordinal');
  const twice = (cats as (number | string)[]).find((v, i) => cats.indexOf(v as never) !== i);
  if (twice !== undefined)
    throw new OnnxExportError(`column \`${c}\`: the ordinal category ${JSON.stringify(twice)} is listed twice; fit the transform again`);
  if (!cats.length) return constantLike(ctx, x.name, unknown);
  if (x.type === 'string') return toDouble(ctx, textIndex(ctx, x.name, cats as string[], unknown));
  // At most one category matches (they are distinct): the sum of matches times (index - unknown), plus unknown.
  const k = cats.length;
  const match = toDouble(
    ctx,
    g.op('Equal', [unsqueeze(ctx, x.name), g.constant('categories', { type: 'double', values: cats as number[] }, [k])]),
  );
  const offsets = g.constant('ordinal', { type: 'double', values: cats.map((_, i) => i - unknown) }, [k]);
  return g.op('Add', [g.op('MatMul', [match, offsets]), scalar(ctx, unknown)]);
}
