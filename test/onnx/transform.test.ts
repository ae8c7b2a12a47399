import pl from 'nodejs-polars';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxGraph } from '../../core/onnx/graph.js';
import { OnnxExportError } from '../../core/onnx/errors.js';
import { createSession, runColumns, type ColumnValues } from '../../core/onnx/runtime.js';
import { preprocessToOnnx, type ImputeValue, type RawInput } from '../../core/onnx/transform.js';
import { run as clean, type CleanReport } from '../../core/steps/clean.js';
import { run as features } from '../../core/steps/features.js';
import {
  applyTransform,
  readTransform,
  TRANSFORM_FORMAT,
  TRANSFORM_VERSION,
  type ColumnTransform,
  type Transform,
} from '../../core/steps/transform.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The features step run on `df` (written to parquet in a temporary directory); returns the transform it fitted. */
async function fit(df: pl.DataFrame, settings: Record<string, unknown>): Promise<Transform> {
  const dir = mkdtempSync(join(tmpdir(), 'gitml-onnx-'));
  dirs.push(dir);
  df.writeParquet(join(dir, 'in.parquet'));
  await features({ input: 'in.parquet', output: 'out.parquet', transform: 't.json', ...settings }, { cwd: dir, log: () => {} });
  return readTransform('test', join(dir, 't.json'), 't.json');
}

/** The clean step's `impute` run on `df`; returns the cleaned table and its report. */
async function impute(df: pl.DataFrame, spec: Record<string, unknown>): Promise<{ df: pl.DataFrame; report: CleanReport }> {
  const dir = mkdtempSync(join(tmpdir(), 'gitml-onnx-'));
  dirs.push(dir);
  df.writeParquet(join(dir, 'raw.parquet'));
  await clean({ input: 'raw.parquet', output: 'clean.parquet', report: 'report.json', impute: spec }, { cwd: dir, log: () => {} });
  return {
    df: pl.readParquet(join(dir, 'clean.parquet')),
    report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CleanReport,
  };
}

/** The raw columns as the graph takes them: numbers (and booleans as 1/0) with null NaN, text with null "". */
function feeds(df: pl.DataFrame, inputs: RawInput[]): Record<string, ColumnValues> {
  const out: Record<string, ColumnValues> = {};
  for (const { name, type } of inputs) {
    const values = df.getColumn(name).toArray() as unknown[];
    out[name] =
      type === 'string'
        ? values.map((v) => (v === null ? '' : String(v)))
        : Float64Array.from(values, (v) => (v === null ? NaN : Number(v)));
  }
  return out;
}

/** Runs the preprocessing graph on `raw`; returns the matrix by feature column and the graph's inputs. */
async function onnxMatrix(
  raw: pl.DataFrame,
  o: { features: string[]; transform?: Transform; impute?: Record<string, ImputeValue> },
): Promise<{ columns: Record<string, number[]>; inputs: RawInput[] }> {
  const g = new OnnxGraph();
  const { x, inputs } = preprocessToOnnx(g, o);
  const p = o.features.length;
  g.output(x, 'double', ['N', p]);
  const session = await createSession(g.encode({ graphName: 'preprocess', producerVersion: '0.0.0' }));
  expect(session.inputNames).toEqual(inputs.map((i) => i.name));
  const out = (await runColumns(session, feeds(raw, inputs), raw.height))[x]!;
  await session.release();
  expect(out.dims).toEqual([raw.height, p]);
  const data = out.data as Float64Array;
  const columns = Object.fromEntries(o.features.map((f, j) => [f, Array.from({ length: raw.height }, (_, i) => data[i * p + j]!)]));
  return { columns, inputs };
}

/** The JS path's features: `applyTransform`, nulls as NaN. */
function jsMatrix(df: pl.DataFrame, t: Transform | undefined, cols: string[]): Record<string, number[]> {
  const out = t ? applyTransform(pl, 'test', df, t) : df;
  return Object.fromEntries(cols.map((c) => [c, (out.getColumn(c).toArray() as unknown[]).map((v) => (v === null ? NaN : Number(v)))]));
}

/** Text columns with "" as null, as the graph reads them. */
const emptyAsNull = (df: pl.DataFrame): pl.DataFrame =>
  df.withColumns(
    ...df.columns
      .filter((c) => df.getColumn(c).dtype.equals(pl.String))
      .map((c) =>
        pl
          .when(pl.col(c).eq(pl.lit('')))
          .then(pl.lit(null).cast(pl.String))
          .otherwise(pl.col(c))
          .alias(c),
      ),
  );

/** The largest absolute difference per column; NaN against NaN and equal infinities count as 0, NaN against a number as Infinity. */
function diffs(a: Record<string, number[]>, b: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(a).map((c) => [
      c,
      a[c]!.reduce((m, v, i) => {
        const w = b[c]![i]!;
        const d = Object.is(v, w) || v === w || (Number.isNaN(v) && Number.isNaN(w)) ? 0 : Math.abs(v - w);
        return Math.max(m, Number.isNaN(d) ? Infinity : d);
      }, 0),
    ]),
  );
}

/** 120 training rows of every kind the features step fits, with nulls; values are spread, not random. */
function table(n: number): pl.DataFrame {
  const at = (i: number, k: number) => ((i * k) % 97) / 97;
  const nth = <T>(xs: T[], i: number) => xs[i % xs.length]!;
  return pl.DataFrame({
    id: Array.from({ length: n }, (_, i) => i),
    age: Array.from({ length: n }, (_, i) => (i % 13 === 4 ? null : 18 + 60 * at(i, 31) + 1e-7 * i)),
    income: Array.from({ length: n }, (_, i) => (i % 17 === 3 ? null : i % 10 === 0 ? 0 : 1e5 * at(i, 53) ** 3)),
    tiny: Array.from({ length: n }, (_, i) => (i % 11 === 2 ? null : 1e-9 * at(i, 7) - 3e-10)),
    score: Array.from({ length: n }, (_, i) => (i % 19 === 7 ? null : -3 + 8 * at(i, 71))),
    q: Array.from({ length: n }, (_, i) => (i % 23 === 9 ? null : Math.round(100 * at(i, 41)) / 4)),
    e: Array.from({ length: n }, (_, i) => (i % 7 === 1 ? null : nth([-7, -5, -1, 0, 3, 12.5, 20], i))),
    color: Array.from({ length: n }, (_, i) => (i % 9 === 5 ? null : nth(['red', 'green', 'blue', 'red'], i))),
    size: Array.from({ length: n }, (_, i) => (i % 8 === 6 ? null : nth(['S', 'M', 'L', 'XL', 'M'], i))),
    grade: pl.Series(
      'grade',
      Array.from({ length: n }, (_, i) => (i % 10 === 7 ? null : nth([3, 1, 4, 2, 10], i))),
      pl.Int64,
    ),
    level: pl.Series(
      'level',
      Array.from({ length: n }, (_, i) => (i % 12 === 11 ? null : nth([0, -2, 5, 7], i))),
      pl.Int32,
    ),
    flag: Array.from({ length: n }, (_, i) => (i % 15 === 8 ? null : i % 3 === 0)),
    ok: Array.from({ length: n }, (_, i) => (i % 14 === 13 ? null : i % 4 !== 1)),
    note: Array.from({ length: n }, (_, i) => `n${i}`),
  });
}

/** New rows the transform has not seen: unseen categories, values on edges and past the fitted range, log of 0. */
function unseen(train: pl.DataFrame): pl.DataFrame {
  const cols = {
    id: [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007],
    age: [null, -40, 200, 18, 0, 35.5, 1e9, -0],
    income: [0, null, 1e-300, Infinity, 1e12, 5e-17, 0.5, 2],
    tiny: [0, 1e-20, -1e-20, null, 5e-10, -5e-10, 1e-16, 1],
    score: [-3, 5, 100, -100, null, 0, 1, 2],
    q: [null, -1e6, 1e6, Infinity, 0, 12.5, 25, 24.75],
    e: [-5, 0, 12.5, -5.000000000000001, 12.499999999999998, -Infinity, null, 100],
    color: ['purple', null, 'red', 'blue', 'RED', 'green', '', ' red'],
    size: ['XXL', null, 'S', 'M', 'L', 'XL', 's', ''],
    grade: [99, null, 3, 1, 4, 2, 10, 0],
    level: [7, -2, 5, 0, null, 1, -1, 6],
    flag: [true, false, null, true, false, null, true, false],
    ok: [null, true, false, null, true, false, true, false],
    note: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
  };
  return pl.DataFrame(
    Object.fromEntries(train.columns.map((c) => [c, pl.Series(c, cols[c as keyof typeof cols] as unknown[], train.getColumn(c).dtype)])),
  );
}

const SETTINGS = {
  standardize: ['age', 'income', 'tiny'],
  log: ['income', 'tiny'],
  normalize: ['score'],
  bucketize: { q: 4, e: [-5, 0, 12.5] },
  one_hot: ['color', 'grade', 'flag'],
  ordinal: ['size', 'level', 'ok'],
};

describe('preprocessToOnnx', () => {
  it('matches applyTransform on every op kind: nulls, unseen and integer categories, bucket edges, log of 0', async () => {
    const train = table(120);
    const t = await fit(train, SETTINGS);
    expect(Object.keys(t.columns)).toEqual(['age', 'color', 'e', 'flag', 'grade', 'income', 'level', 'ok', 'q', 'score', 'size', 'tiny']);
    const ops = new Set(Object.values(t.columns).flatMap((c) => c.ops.map((o) => o.op)));
    expect([...ops].sort()).toEqual(['bucketize', 'log', 'normalize', 'one_hot', 'ordinal', 'standardize']);
    // The model's features: every output but `note` (text), shuffled.
    const feats = t.output_columns.filter((c) => c !== 'note').reverse();
    for (const df of [train, unseen(train)]) {
      const { columns, inputs } = await onnxMatrix(df, { features: feats, transform: t });
      // Raw columns in the transform's input order; `note` is not needed.
      expect(inputs).toEqual(
        ['id', 'age', 'income', 'tiny', 'score', 'q', 'e', 'color', 'size', 'grade', 'level', 'flag', 'ok'].map((name) => ({
          name,
          type: ['color', 'size'].includes(name) ? 'string' : 'double',
        })),
      );
      const d = diffs(jsMatrix(df, t, feats), columns);
      // Everything but log is the same double arithmetic or a 0/1 test: bit for bit.
      for (const [c, v] of Object.entries(d)) expect(v, c).toBeLessThanOrEqual(['income', 'tiny'].includes(c) ? 1e-12 : 0);
    }
    // Unseen and null categories: all zeros for one_hot, `unknown` (-1) for ordinal.
    const { columns } = await onnxMatrix(unseen(train), { features: feats, transform: t });
    expect(['color_blue', 'color_green', 'color_red'].map((c) => columns[c])).toEqual([
      [0, 0, 0, 1, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 1, 0, 0],
      [0, 0, 1, 0, 0, 0, 0, 0],
    ]);
    expect(columns.grade_10).toEqual([0, 0, 0, 0, 0, 0, 1, 0]);
    expect(columns.size).toEqual([-1, -1, 2, 1, 0, 3, -1, -1]);
    expect(columns.level).toEqual([3, 0, 2, 1, -1, -1, -1, -1]);
    expect(columns.flag_true).toEqual([1, 0, 0, 1, 0, 0, 1, 0]);
    expect(columns.ok).toEqual([-1, 1, 0, -1, 1, 0, 1, 0]);
    expect(columns.e).toEqual([1, 2, 3, 0, 2, 0, NaN, 3]);
  });

  it('fills nulls with the values the clean step imputed before the transform', async () => {
    const raw = table(120);
    const spec = { age: 'mean', income: 'median', score: 'mean', color: 'mode', size: 'XL', grade: 'mode', level: 7, flag: true, q: 2.5 };
    const cleaned = await impute(raw, spec);
    const fills = Object.fromEntries(Object.entries(cleaned.report.imputed).map(([c, v]) => [c, v.value as ImputeValue]));
    expect(Object.keys(fills)).toEqual(Object.keys(spec).sort());
    expect(cleaned.report.imputed.level).toEqual({ method: 'constant', value: 7, count: 10 });
    const t = await fit(cleaned.df, SETTINGS);
    const feats = t.output_columns.filter((c) => c !== 'note');
    // Training rows: the graph on the raw table gives what the transform gives on the cleaned one.
    let run = await onnxMatrix(raw, { features: feats, transform: t, impute: fills });
    let d = diffs(jsMatrix(cleaned.df, t, feats), run.columns);
    for (const [c, v] of Object.entries(d)) expect(v, c).toBeLessThanOrEqual(['income', 'tiny'].includes(c) ? 1e-12 : 0);
    expect(run.columns.level!.filter((v) => v === -1)).toEqual([]);

    // New rows: nulls filled as the clean step filled them, then transformed; "" is a null of a text column.
    const fresh = unseen(raw);
    const filled = emptyAsNull(fresh).withColumns(
      ...Object.entries(fills).map(([c, v]) => pl.col(c).fillNull(pl.lit(v)).cast(cleaned.df.getColumn(c).dtype).alias(c)),
    );
    run = await onnxMatrix(fresh, { features: feats, transform: t, impute: fills });
    d = diffs(jsMatrix(filled, t, feats), run.columns);
    for (const [c, v] of Object.entries(d)) expect(v, c).toBeLessThanOrEqual(['income', 'tiny'].includes(c) ? 1e-12 : 0);
    expect(run.columns.size![1]).toBe(3); // null -> 'XL'
    expect(run.columns.size![7]).toBe(3);
    expect(run.columns.flag_true![2]).toBe(1);
  });

  it('passes raw numeric columns through, in the order of the features, without a transform', async () => {
    const df = pl.DataFrame({ a: [1.5, null, -0, 3], b: [10, 20, null, 40] });
    const { columns, inputs } = await onnxMatrix(df, { features: ['b', 'a'], impute: { b: -1 } });
    expect(inputs).toEqual([
      { name: 'b', type: 'double' },
      { name: 'a', type: 'double' },
    ]);
    expect(columns).toEqual({ b: [10, 20, -1, 40], a: [1.5, NaN, -0, 3] });
  });

  it('keeps unseen and null categories out of every column of hand-made transforms', async () => {
    const cols: Record<string, ColumnTransform> = {
      // Integer categories on a float column: 2.0 is category 2, 2.5 none.
      n: { dtype: 'int64', kind: 'number', ops: [{ op: 'one_hot', categories: [2, -1], columns: ['n_2', 'n_-1'] }] },
      m: { dtype: 'int64', kind: 'number', ops: [{ op: 'ordinal', categories: [2, -1], unknown: 9 }] },
      // A category "" is a null to the graph: it never matches.
      s: { dtype: 'string', kind: 'string', ops: [{ op: 'one_hot', categories: ['', 'a', 'b'], columns: ['s_', 's_a', 's_b'] }] },
      o: { dtype: 'string', kind: 'string', ops: [{ op: 'ordinal', categories: [], unknown: 4 }] },
      z: { dtype: 'float64', kind: 'number', ops: [{ op: 'log' }, { op: 'bucketize', edges: [0, Math.log1p(1)] }] },
    };
    const t: Transform = {
      format: TRANSFORM_FORMAT,
      version: TRANSFORM_VERSION,
      input_columns: ['s', 'n', 'm', 'o', 'z'],
      output_columns: [],
      columns: cols,
    };
    const df = pl.DataFrame({
      s: ['a', '', null, 'b', 'c'],
      n: [2.0, 2.5, -1, null, 0],
      m: [2.0, 2.5, -1, null, 0],
      o: ['x', null, 'y', '', 'z'],
      z: [1, 0.999999, null, -0, 0],
    });
    const { columns, inputs } = await onnxMatrix(df, { features: ['n_-1', 's_', 's_a', 's_b', 'n_2', 'm', 'o', 'z'], transform: t });
    expect(inputs.map((i) => `${i.name}:${i.type}`)).toEqual(['s:string', 'n:double', 'm:double', 'o:string', 'z:double']);
    expect(columns).toEqual({
      'n_-1': [0, 0, 1, 0, 0],
      s_: [0, 0, 0, 0, 0],
      s_a: [1, 0, 0, 0, 0],
      s_b: [0, 0, 0, 1, 0],
      n_2: [1, 0, 0, 0, 0],
      m: [0, 9, 1, 9, 9],
      o: [4, 4, 4, 4, 4],
      z: [2, 1, NaN, 1, 1],
    });
  });

  it('refuses what it cannot mirror with an E_ONNX_EXPORT error that names the column', () => {
    const base = (columns: Record<string, ColumnTransform>): Transform => ({
      format: TRANSFORM_FORMAT,
      version: TRANSFORM_VERSION,
      input_columns: Object.keys(columns),
      output_columns: [],
      columns,
    });
    const refuse = (o: Parameters<typeof preprocessToOnnx>[1], message: string) => {
      let err: unknown;
      try {
        preprocessToOnnx(new OnnxGraph(), o);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OnnxExportError);
      expect((err as OnnxExportError).code).toBe('E_ONNX_EXPORT');
      expect((err as Error).message).toContain(message);
    };
    const text: ColumnTransform = { dtype: 'string', kind: 'string', ops: [{ op: 'standardize', mean: 0, std: 1 }] };
    refuse({ features: ['s'], transform: base({ s: text }) }, 'column `s` holds text; its `standardize` operation needs numbers');
    const hot: ColumnTransform = { dtype: 'string', kind: 'string', ops: [{ op: 'one_hot', categories: ['a'], columns: ['s_a'] }] };
    refuse({ features: ['s'], transform: base({ s: hot }) }, 'feature `s` names a column the transform replaces by one-hot columns');
    refuse({ features: ['a'], impute: { a: 'x' } }, 'column `a` is numeric, but its imputed value is the text "x"');
    const dup: ColumnTransform = { dtype: 'int64', kind: 'number', ops: [{ op: 'ordinal', categories: [1, 1], unknown: -1 }] };
    refuse({ features: ['d'], transform: base({ d: dup }) }, 'column `d`: the ordinal category 1 is listed twice');
    const mixed: ColumnTransform = { dtype: 'int64', kind: 'number', ops: [{ op: 'one_hot', categories: ['a'], columns: ['m_a'] }] };
    refuse({ features: ['m_a'], transform: base({ m: mixed }) }, 'column `m` is numeric here, but its `one_hot` category "a" is text');
    const late: ColumnTransform = {
      dtype: 'int64',
      kind: 'number',
      ops: [{ op: 'one_hot', categories: [1], columns: ['l_1'] }, { op: 'log' }],
    };
    refuse({ features: ['l'], transform: base({ l: late }) }, "column `l`: `one_hot` must be the column's last operation");
    refuse({ features: [] }, 'the model has no feature columns');
  });
});
