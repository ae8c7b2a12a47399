import { resolve } from 'node:path';
import type pl from 'nodejs-polars';
import type { StepContext } from './registry.js';
import { StepError } from './step-error.js';
import { loadPolars, readTable, requireColumns, writeTable, type DataFrame, type Polars } from './table.js';
import { dtypeName } from './transform.js';

const STEP = 'split';

/** Outputs in the order rows are dealt to them (and, for `time`, earliest first). */
const PARTS = ['train', 'val', 'test'] as const;
type Part = (typeof PARTS)[number];

interface SplitWith {
  input: string;
  outputs: Partial<Record<Part, string>>;
  fractions: Partial<Record<Part, number>>;
  stratify?: string;
  time?: string;
  group?: string;
  seed?: number;
}

/**
 * xoshiro128** seeded through splitmix32 from both 32-bit halves of the seed: the same seed gives the same stream on
 * every platform and Node version (unlike Math.random, which cannot be seeded).
 */
export function seededRandom(seed: number): () => number {
  let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x85ebca6b);
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let t = s ^ (s >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next32 = (): number => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r >>> 0;
  };
  // 53 random bits, as a float in [0, 1).
  return () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}
const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Shuffles `a[from..to)` in place (Fisher-Yates). */
function shuffle(a: Int32Array, from: number, to: number, rand: () => number): void {
  for (let i = to - 1; i > from; i--) {
    const j = from + Math.floor(rand() * (i - from + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** `n` split by `fractions` into whole counts that add up to `n`: floors, then the largest remainders (ties: first part). */
export function allocate(n: number, fractions: number[]): number[] {
  const exact = fractions.map((f) => n * f);
  const counts = exact.map((x) => Math.floor(x));
  let left = n - counts.reduce((s, c) => s + c, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]!++;
  return counts;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const pct = (n: number, of: number): string => `${((100 * n) / (of || 1)).toFixed(1)}%`;

/**
 * Dense codes of a column's values (0 for null, then 1.. in sorted order) and the values themselves, sorted, null
 * first when there is one.
 */
function codesOf(p: Polars, df: DataFrame, column: string): { codes: Uint32Array; values: unknown[] } {
  const dt = df.getColumn(column).dtype;
  let e = p.col(column);
  if (dt.variant === 'Categorical') e = e.cast(p.Utf8);
  else if (dt.variant === 'Bool') e = e.cast(p.UInt8);
  const codes = df.select(e.rank('dense').fillNull(0).cast(p.UInt32).alias('c')).getColumn('c').toTypedArray() as Uint32Array;
  const values = df.select(p.col(column).unique().sort().alias('v')).getColumn('v').toArray() as unknown[];
  if (!values.includes(null)) values.unshift(null); // code 0 is null even when there is none
  return { codes, values };
}

const shown = (v: unknown): string => (v === null ? 'null' : v instanceof Date ? v.toISOString() : String(v));

export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as SplitWith;
  const parts = PARTS.filter((k) => w.outputs[k] !== undefined);
  const inFractions = PARTS.filter((k) => w.fractions[k] !== undefined);
  if (parts.join() !== inFractions.join())
    throw new StepError(
      STEP,
      `outputs name ${parts.join(', ')} but fractions give ${inFractions.join(', ')}; give a fraction for each output and an output for each fraction`,
    );
  const fractions = parts.map((k) => w.fractions[k]!);
  const sum = fractions.reduce((s, f) => s + f, 0);
  if (Math.abs(sum - 1) > 1e-9)
    throw new StepError(STEP, `fractions add up to ${sum} (${parts.map((k) => `${k} ${w.fractions[k]}`).join(' + ')}); they must add up to 1`);
  const modes = (['stratify', 'time', 'group'] as const).filter((k) => w[k] !== undefined);
  if (modes.length > 1) throw new StepError(STEP, `set only one of stratify, time and group (got ${modes.join(' and ')})`);
  const paths = parts.map((k) => resolve(ctx.cwd, w.outputs[k]!));
  const dup = paths.findIndex((a, i) => paths.indexOf(a) !== i);
  if (dup >= 0) throw new StepError(STEP, `outputs ${parts[paths.indexOf(paths[dup]!)]} and ${parts[dup]} are the same file ${w.outputs[parts[dup]!]}`);

  const p = await loadPolars();
  const df = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
  const n = df.height;
  const seed = w.seed ?? 0;
  const notes: string[] = [];
  // Which output each row goes to: an expression (time) or an array (the rest).
  let key: pl.Expr | undefined;
  let assign: Uint8Array | undefined;
  let classes: { column: string; values: unknown[]; codes: Uint32Array } | undefined;

  if (w.time !== undefined) {
    const t = w.time;
    requireColumns(STEP, df, [t], 'time');
    const nulls = df.getColumn(t).nullCount();
    if (nulls) throw new StepError(STEP, `time: column \`${t}\` has ${plural(nulls, 'null value')}; rows without a time cannot be ordered`, { column: t });
    const counts = needRows(allocate(n, fractions), parts, n);
    // Ordinal rank: ties keep their order in the file, so the split is stable.
    const rank = p.col(t).rank('ordinal');
    let e: pl.Expr = p.lit(parts.length - 1);
    let edge = n - counts[counts.length - 1]!;
    for (let k = parts.length - 2; k >= 0; k--) {
      e = p.when(rank.lessThanEquals(edge)).then(p.lit(k)).otherwise(e);
      edge -= counts[k]!;
    }
    key = e.cast(p.UInt8);
    notes.push(`by \`${t}\` (${dtypeName(df.getColumn(t).dtype)}), earliest in ${parts[0]}`);
  } else if (w.group !== undefined) {
    const g = w.group;
    requireColumns(STEP, df, [g], 'group');
    const { codes, values } = codesOf(p, df, g);
    const sizes = new Int32Array(values.length);
    for (let i = 0; i < n; i++) sizes[codes[i]!]!++;
    const groups = Int32Array.from({ length: values.length }, (_, i) => i).filter((i) => sizes[i]! > 0);
    shuffle(groups, 0, groups.length, seededRandom(seed));
    // A group goes to the output its rows' midpoint falls in, walking the shuffled groups.
    const bounds = fractions.map((_, k) => n * fractions.slice(0, k + 1).reduce((s, f) => s + f, 0));
    const partOf = new Uint8Array(values.length);
    const groupCount = parts.map(() => 0);
    let cum = 0;
    for (const gi of groups) {
      const mid = cum + sizes[gi]! / 2;
      let k = 0;
      while (k < parts.length - 1 && mid >= bounds[k]!) k++;
      partOf[gi] = k;
      groupCount[k]!++;
      cum += sizes[gi]!;
    }
    const empty = parts.filter((_, k) => !groupCount[k]);
    if (empty.length)
      throw new StepError(
        STEP,
        `group: \`${g}\` has ${plural(groups.length, 'group')}, too few or too uneven to give ${empty.join(' and ')} a group at these fractions`,
        { column: g },
      );
    assign = new Uint8Array(n);
    for (let i = 0; i < n; i++) assign[i] = partOf[codes[i]!]!;
    notes.push(`by \`${g}\`: ${parts.map((k, i) => `${k} ${plural(groupCount[i]!, 'group')}`).join(', ')}`);
  } else if (w.stratify !== undefined) {
    const label = w.stratify;
    requireColumns(STEP, df, [label], 'stratify');
    const { codes, values } = codesOf(p, df, label);
    const sizes = new Int32Array(values.length);
    for (let i = 0; i < n; i++) sizes[codes[i]!]!++;
    const present = [...sizes.keys()].filter((c) => sizes[c]! > 0);
    if (present.length < 2)
      throw new StepError(STEP, `stratify: \`${label}\` has a single class (${shown(values[present[0]!])}); stratifying needs two or more`, {
        column: label,
      });
    // Rows of each class together, in file order, then shuffled within the class.
    const start = new Int32Array(values.length + 1);
    for (let c = 0; c < values.length; c++) start[c + 1] = start[c]! + sizes[c]!;
    const rows = new Int32Array(n);
    const fill = start.slice(0, values.length);
    for (let i = 0; i < n; i++) rows[fill[codes[i]!]!++] = i;
    const rand = seededRandom(seed);
    assign = new Uint8Array(n);
    for (const c of present) {
      const counts = allocate(sizes[c]!, fractions);
      const short = parts.filter((_, k) => !counts[k]);
      if (short.length)
        throw new StepError(
          STEP,
          `stratify: class ${shown(values[c])} of \`${label}\` has ${plural(sizes[c]!, 'row')}, too few to appear in ${parts.join(', ')} (none for ${short.join(', ')})`,
          { column: label, class: values[c] },
        );
      shuffle(rows, start[c]!, start[c + 1]!, rand);
      let at = start[c]!;
      counts.forEach((m, k) => {
        for (const end = at + m; at < end; at++) assign![rows[at]!] = k;
      });
    }
    classes = { column: label, values, codes };
  } else {
    const counts = needRows(allocate(n, fractions), parts, n);
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    shuffle(rows, 0, n, seededRandom(seed));
    assign = new Uint8Array(n);
    let at = 0;
    counts.forEach((m, k) => {
      for (const end = at + m; at < end; at++) assign![rows[at]!] = k;
    });
  }

  let name = '__gitml_split';
  while (df.columns.includes(name)) name = `_${name}`;
  const keyed: DataFrame = key ? df.withColumn(key.alias(name)) : df.withColumn(p.Series(name, assign!));
  const outs = parts.map((_, k): DataFrame => keyed.filter(p.col(name).eq(p.lit(k))).drop(name));
  outs.forEach((o, k) => {
    if (!o.height) throw new StepError(STEP, `${parts[k]} would have no rows (${n} rows in ${w.input})`);
  });
  outs.forEach((o, k) => writeTable(o, paths[k]!));

  const lines = parts.map((k, i) => `${k}: ${outs[i]!.height} rows (${pct(outs[i]!.height, n)}) -> ${w.outputs[k]}`);
  if (classes && assign) {
    // Class shares per output, from the assignment already in hand.
    const counts = parts.map(() => new Int32Array(classes!.values.length));
    for (let i = 0; i < n; i++) counts[assign[i]!]![classes.codes[i]!]!++;
    parts.forEach((_, k) => {
      const shares = classes!.values
        .map((v, c) => ({ v, m: counts[k]![c]! }))
        .filter((x) => x.m > 0)
        .map((x) => `${shown(x.v)} ${pct(x.m, outs[k]!.height)}`);
      lines[k] += `; ${classes!.column}: ${shares.join(', ')}`;
    });
  }
  ctx.log(`${w.input}: ${n} rows split with seed ${seed}${notes.length ? `, ${notes.join('; ')}` : ''}`);
  for (const l of lines) ctx.log(l);
}

/** Fails when a plain or time split would leave an output empty. */
function needRows(counts: number[], parts: readonly Part[], n: number): number[] {
  const empty = parts.filter((_, k) => !counts[k]);
  if (empty.length) throw new StepError(STEP, `${plural(n, 'row')} ${n === 1 ? 'is' : 'are'} too few to give ${empty.join(' and ')} a row at these fractions`);
  return counts;
}
