import { resolve } from 'node:path';
import type pl from 'nodejs-polars';
import type { StepContext } from './registry.js';
import { StepError } from './step-error.js';
import { loadPolars, readTable, requireColumns, writeTable, writeText, type DataFrame, type Polars } from './table.js';
import {
  applyTransform,
  dtypeName,
  isInteger,
  isNumeric,
  oneHotName,
  outputColumns,
  parseTransform,
  serializeTransform,
  TRANSFORM_FORMAT,
  TRANSFORM_VERSION,
  valueKind,
  type Category,
  type ColumnOp,
  type ColumnTransform,
  type Transform,
} from './transform.js';

const STEP = 'features';

/** More categories than this is almost always an identifier column by mistake; `ordinal` takes any number. */
export const MAX_ONE_HOT = 1000;

/** The value ordinal encoding gives null and unseen categories. */
export const ORDINAL_UNKNOWN = -1;

interface FeaturesWith {
  input: string;
  output: string;
  transform: string;
  standardize?: string[];
  normalize?: string[];
  one_hot?: string[];
  ordinal?: string[];
  bucketize?: Record<string, number | number[]>;
  log?: string[];
}

/** The operations a column may get besides `log`: at most one each. */
const MAIN_OPS = ['standardize', 'normalize', 'bucketize', 'one_hot', 'ordinal'] as const;
type MainOp = (typeof MAIN_OPS)[number];
const NUMERIC_OPS: ReadonlySet<string> = new Set(['standardize', 'normalize', 'bucketize', 'log']);

interface Plan {
  column: string;
  log: boolean;
  main?: MainOp;
}

/** Which operations each column gets; a column named by two of standardize/normalize/bucketize/one_hot/ordinal is an error. */
function planColumns(w: FeaturesWith, df: DataFrame): Plan[] {
  const plans = new Map<string, Plan>();
  const plan = (c: string): Plan => {
    let p = plans.get(c);
    if (!p) plans.set(c, (p = { column: c, log: false }));
    return p;
  };
  for (const op of MAIN_OPS) {
    const cols = op === 'bucketize' ? Object.keys(w.bucketize ?? {}) : (w[op] ?? []);
    requireColumns(STEP, df, cols, op);
    for (const c of cols) {
      const p = plan(c);
      if (p.main && p.main !== op)
        throw new StepError(STEP, `column \`${c}\` is named in both \`${p.main}\` and \`${op}\`; a column gets at most one of ${MAIN_OPS.join(', ')}`, {
          column: c,
        });
      p.main = op;
    }
  }
  requireColumns(STEP, df, w.log ?? [], 'log');
  for (const c of w.log ?? []) plan(c).log = true;
  for (const p of plans.values()) {
    if (p.log && (p.main === 'one_hot' || p.main === 'ordinal'))
      throw new StepError(STEP, `column \`${p.column}\` is named in both \`log\` and \`${p.main}\`; log applies to numeric columns only`, {
        column: p.column,
      });
    const dt = df.getColumn(p.column).dtype;
    for (const op of [...(p.log ? ['log'] : []), ...(p.main ? [p.main] : [])]) {
      if (NUMERIC_OPS.has(op) && !isNumeric(dt))
        throw new StepError(STEP, `${op}: column \`${p.column}\` is ${dtypeName(dt)}; ${op} needs a numeric column`, { column: p.column });
      if ((op === 'one_hot' || op === 'ordinal') && (valueKind(dt) === undefined || (isNumeric(dt) && !isInteger(dt))))
        throw new StepError(STEP, `${op}: column \`${p.column}\` is ${dtypeName(dt)}; ${op} needs a string, category, integer or boolean column`, {
          column: p.column,
        });
    }
  }
  return [...plans.values()].sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
}

/** Equal-frequency edges: the k/n quantiles (linear interpolation), k = 1..n-1, without repeats. */
const quantileLevels = (n: number): number[] => Array.from({ length: n - 1 }, (_, k) => (k + 1) / n);

/** Fits every column's parameters on `df` in one pass of polars aggregations. */
function fit(p: Polars, w: FeaturesWith, df: DataFrame, plans: Plan[], log: (line: string) => void): Transform {
  const aggs: pl.Expr[] = [];
  let n = 0;
  const slot = (e: pl.Expr): number => {
    aggs.push(e.alias(`s${n}`));
    return n++;
  };
  interface Slots {
    count: number;
    rawMin?: number;
    mean?: number;
    std?: number;
    min?: number;
    max?: number;
    quantiles?: number[];
  }
  const slots = new Map<string, Slots>();
  for (const pc of plans) {
    if (pc.main === 'one_hot' || pc.main === 'ordinal') continue;
    const raw = p.col(pc.column).cast(p.Float64);
    const x = pc.log ? raw.log1p() : raw;
    const s: Slots = { count: slot(raw.isNotNull().sum()) };
    if (pc.log) s.rawMin = slot(raw.min());
    if (pc.main === 'standardize') {
      s.mean = slot(x.mean());
      s.std = slot(x.std());
    }
    if (pc.main === 'normalize' || pc.main === 'bucketize') {
      s.min = slot(x.min());
      s.max = slot(x.max());
    }
    const b = w.bucketize?.[pc.column];
    if (pc.main === 'bucketize' && typeof b === 'number') s.quantiles = quantileLevels(b).map((q) => slot(x.quantile(q, 'linear')));
    slots.set(pc.column, s);
  }
  const row: unknown[] = aggs.length ? df.select(...aggs).row(0) : [];
  const num = (i: number | undefined): number | null => (i === undefined || row[i] === null || row[i] === undefined ? null : Number(row[i]));

  const columns: Record<string, ColumnTransform> = {};
  for (const pc of plans) {
    const c = pc.column;
    const dt = df.getColumn(c).dtype;
    const ops: ColumnOp[] = pc.log ? [{ op: 'log' }] : [];
    const what = pc.main ?? 'log';
    if (pc.main === 'one_hot' || pc.main === 'ordinal') {
      const categories = categoriesOf(p, df, c);
      if (!categories.length) throw new StepError(STEP, `${what}: column \`${c}\` has no values (every row is null)`, { column: c });
      if (pc.main === 'one_hot') {
        if (categories.length > MAX_ONE_HOT)
          throw new StepError(
            STEP,
            `one_hot: column \`${c}\` has ${categories.length} distinct values (more than ${MAX_ONE_HOT}); use \`ordinal\` for it, or group rare values first`,
            { column: c },
          );
        ops.push({ op: 'one_hot', categories, columns: categories.map((v) => oneHotName(c, v)) });
      } else ops.push({ op: 'ordinal', categories, unknown: ORDINAL_UNKNOWN });
    } else {
      const s = slots.get(c)!;
      if (!num(s.count)) throw new StepError(STEP, `${what}: column \`${c}\` has no values (every row is null)`, { column: c });
      const rawMin = num(s.rawMin);
      if (rawMin !== null && rawMin <= -1)
        throw new StepError(STEP, `log: column \`${c}\` has values <= -1 (e.g. ${rawMin}), where log(1 + x) is undefined`, { column: c });
      const finite = (v: number | null, name: string): number => {
        if (v === null || !Number.isFinite(v))
          throw new StepError(STEP, `${what}: column \`${c}\` has a ${name} of ${v} (infinite or NaN values); remove or clean them first`, { column: c });
        return v;
      };
      const shown = pc.log ? `log(1 + \`${c}\`)` : `column \`${c}\``;
      if (pc.main === 'standardize') {
        const mean = finite(num(s.mean), 'mean');
        const std = num(s.std);
        if (std === null || std === 0)
          throw new StepError(
            STEP,
            `standardize: ${shown} has standard deviation 0 (${std === null ? 'a single value' : `every value is ${mean}`}); it cannot be standardized`,
            { column: c },
          );
        ops.push({ op: 'standardize', mean, std: finite(std, 'standard deviation') });
      } else if (pc.main === 'normalize' || pc.main === 'bucketize') {
        const min = finite(num(s.min), 'min');
        const max = finite(num(s.max), 'max');
        const b = w.bucketize?.[c];
        if (min === max && !Array.isArray(b))
          throw new StepError(STEP, `${pc.main}: ${shown} has min == max (every value is ${min}); it cannot be ${pc.main}d`, { column: c });
        if (pc.main === 'normalize') ops.push({ op: 'normalize', min, max });
        else {
          let edges: number[];
          if (Array.isArray(b)) {
            const bad = b.findIndex((v, i) => i > 0 && v <= b[i - 1]!);
            if (bad >= 0)
              throw new StepError(STEP, `bucketize: the edges of \`${c}\` must increase (${b[bad - 1]} then ${b[bad]})`, { column: c });
            edges = b;
          } else {
            edges = [];
            for (const q of s.quantiles!) {
              const v = finite(num(q), 'quantile');
              if (edges[edges.length - 1] !== v) edges.push(v);
            }
            if (edges.length < b! - 1) log(`bucketize \`${c}\`: ${edges.length + 1} buckets instead of ${b} (tied quantiles)`);
          }
          ops.push({ op: 'bucketize', edges });
        }
      }
    }
    const kind = valueKind(dt)!;
    columns[c] = { dtype: dtypeName(dt), kind, ops };
  }
  return {
    format: TRANSFORM_FORMAT,
    version: TRANSFORM_VERSION,
    input_columns: df.columns,
    output_columns: outputColumns(df.columns, { columns }),
    columns,
  };
}

/** The distinct non-null values of a column, sorted (strings by bytes, numbers by value, false before true). */
function categoriesOf(p: Polars, df: DataFrame, column: string): Category[] {
  const kind = valueKind(df.getColumn(column).dtype);
  let e = p.col(column);
  if (kind === 'string') e = e.cast(p.Utf8);
  const values = df.select(e.dropNulls().unique().sort().alias(column)).getColumn(column).toArray() as unknown[];
  return values.map((v) => (typeof v === 'bigint' ? Number(v) : (v as Category)));
}

export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as FeaturesWith;
  const p = await loadPolars();
  const df = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
  const plans = planColumns(w, df);
  if (!plans.length) throw new StepError(STEP, 'no columns to transform: name some under standardize, normalize, one_hot, ordinal, bucketize or log');
  const fitted = fit(p, w, df, plans, ctx.log);
  const text = serializeTransform(fitted);
  // Apply what the file says, read back from its text, so `gitml data transform` on the same input gives these bytes.
  const t = parseTransform(STEP, JSON.parse(text), w.transform);
  const out = applyTransform(p, STEP, df, t);
  writeTable(out, resolve(ctx.cwd, w.output));
  writeText(resolve(ctx.cwd, w.transform), text);
  const byOp = new Map<string, string[]>();
  for (const pc of plans)
    for (const op of [...(pc.log ? ['log'] : []), ...(pc.main ? [pc.main] : [])]) byOp.set(op, [...(byOp.get(op) ?? []), pc.column]);
  const ops = [...byOp].map(([op, cols]) => `${op} ${cols.join(', ')}`).join('; ');
  ctx.log(`${w.output}: ${out.height} rows, ${df.width} -> ${out.width} columns (${ops}); transform in ${w.transform}`);
}
