import type { SynthColumn, SynthWith } from '../generated/steps.js';
import { compareStrings } from '../util/canonical.js';
import { cholesky, nearestCorrelation, normalFromSpearman, type Square } from './copula.js';
import { MAX_CATEGORIES } from './infer.js';
import { knotsInverse, normalInverse, profileKnots, uniformInverse, type InverseCdf } from './marginal.js';
import type { ColumnProfile, Profile } from './profile.js';
import { parseInstant } from './synth-settings.js';

/**
 * What `gitml/data/synth` will draw, column by column (pure): built from a profile or from declared columns, then
 * handed to `generateTable`. Building it is where settings meet data, so every problem found here is a message for
 * the user, and every compromise (a repaired correlation matrix, values a profile does not list) a warning.
 */

export type Scalar = string | number | boolean;
export type SynthType = 'int' | 'float' | 'string' | 'category' | 'bool' | 'date' | 'datetime' | 'null';

interface Common {
  name: string;
  /** The share of rows left null: exactly round(share * rows) of them, at random places. */
  nulls: number;
}

/** Numbers through an inverse distribution function; integers rounded into [min, max]. */
export interface NumericPlan extends Common {
  kind: 'numeric';
  type: 'int' | 'float';
  inverse: InverseCdf;
  min: number;
  max: number;
  /** Every value different (an integer id): ranks are kept, ties pushed apart. */
  unique: boolean;
}

/** Values the data had, with weights; the rest of the weight on values not listed (`rest`). */
export interface ChoicePlan extends Common {
  kind: 'choice';
  type: 'string' | 'category' | 'bool';
  values: Scalar[];
  weights: number[];
  rest?: { weight: number } & ({ draw: 'token'; count: number } | { draw: 'date' | 'datetime'; min: number; max: number });
}

/** Distinct text `<column>-<n>`: an id. */
export interface KeyPlan extends Common {
  kind: 'key';
  type: 'string';
}

/** Evenly between two instants (milliseconds since 1970, UTC); whole days for dates. */
export interface TimePlan extends Common {
  kind: 'time';
  type: 'date' | 'datetime';
  min: number;
  max: number;
}

/** A column with no values at all. */
export interface EmptyPlan extends Common {
  kind: 'empty';
  type: SynthType;
}

export type ColumnPlan = NumericPlan | ChoicePlan | KeyPlan | TimePlan | EmptyPlan;

export interface LabelPlan {
  column: string;
  rule: 'logistic' | 'linear';
  /** Weights in the order of their column names (sums come out the same every run). */
  weights: { column: string; weight: number }[];
  bias: number;
  values: [Scalar, Scalar];
  noise: number;
  type: SynthType;
  /** Where the label goes among the columns: the profiled column's place, or the end. */
  index: number;
}

export interface SynthPlan {
  columns: ColumnPlan[];
  /** The Gaussian copula over some numeric columns: their names and the Cholesky factor of their normal-score correlation. */
  copula?: { columns: string[]; lower: Square };
  label?: LabelPlan;
  warnings: string[];
}

/** A profile, a setting or their combination that cannot be drawn from. */
export class SynthPlanError extends Error {}

/** The plan for `with:` and, when it names one, the profile it read. */
export function planSynth(w: SynthWith, profile?: Profile): SynthPlan {
  const warnings: string[] = [];
  const columns = profile ? profileColumns(profile, warnings) : schemaColumns(w.schema ?? {});
  const label = w.label ? planLabel(w.label, columns) : undefined;
  const kept = label ? columns.filter((c) => c.name !== label.column) : columns;
  const pairs = new Map<string, number>();
  const pairKey = (a: string, b: string) => (compareStrings(a, b) < 0 ? `${a}\0${b}` : `${b}\0${a}`);
  const c = profile?.correlations;
  if (c) c.columns.forEach((a, i) => c.columns.forEach((b, j) => i < j && pairs.set(pairKey(a, b), c.spearman[i]?.[j] ?? 0)));
  for (const d of w.correlations ?? []) {
    const [a, b] = d.columns;
    for (const col of [a, b]) {
      const plan = columns.find((x) => x.name === col);
      if (!plan) throw new SynthPlanError(`correlations: \`${col}\` is not a column of the profile; the columns are ${columns.map((x) => x.name).join(', ')}`);
      if (plan.kind !== 'numeric') throw new SynthPlanError(`correlations: \`${col}\` is ${plan.type}; correlations are between int and float columns`);
    }
    pairs.set(pairKey(a, b), d.value);
  }
  if (profile && !c && !w.correlations)
    warnings.push('the profile holds no correlations, so numeric columns are drawn independently; profile with `correlations: true` to keep them');
  const copula = planCopula(kept, pairs, pairKey, warnings);
  return { columns: kept, ...(copula ? { copula } : {}), ...(label ? { label } : {}), warnings };
}

// ---------------------------------------------------------------- from a profile

/**
 * What is wrong with a parsed JSON file that should be a profile written by `gitml/data/profile`: each problem as
 * `path: what`. Empty when it is one.
 */
export function profileProblems(v: unknown): string[] {
  const problems: string[] = [];
  const isMap = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  const isCount = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  const numOrNull = (x: unknown) => x === null || typeof x === 'number';
  if (!isMap(v)) return ['expected a JSON object with `rows` and `columns`'];
  if (!isCount(v.rows)) problems.push('rows: expected a row count');
  if (!isMap(v.columns)) {
    problems.push('columns: expected a map of column -> statistics');
    return problems;
  }
  for (const [name, c] of Object.entries(v.columns)) {
    const at = `columns.${name}`;
    if (!isMap(c)) {
      problems.push(`${at}: expected the column's statistics`);
      continue;
    }
    if (typeof c.type !== 'string') problems.push(`${at}.type: expected a type name`);
    if (!isCount(c.count)) problems.push(`${at}.count: expected a count`);
    if (!isCount(c.nulls)) problems.push(`${at}.nulls: expected a count`);
    if (c.distinct !== undefined && c.distinct !== null && !isCount(c.distinct)) problems.push(`${at}.distinct: expected a count`);
    if (NUMERIC.has(String(c.type))) {
      if (!numOrNull(c.min) || !numOrNull(c.max)) problems.push(`${at}: min and max must be numbers`);
      if (c.quantiles !== undefined && (!isMap(c.quantiles) || !Object.entries(c.quantiles).every(([k, x]) => Number(k) > 0 && Number(k) < 1 && numOrNull(x))))
        problems.push(`${at}.quantiles: expected probability -> number`);
      const h = c.histogram;
      if (h !== undefined && (!isMap(h) || !Array.isArray(h.edges) || !Array.isArray(h.counts) || !h.edges.every((x) => typeof x === 'number') || !h.counts.every(isCount)))
        problems.push(`${at}.histogram: expected {edges: [numbers], counts: [counts]}`);
    }
    if (c.top !== undefined && (!Array.isArray(c.top) || !c.top.every((t) => isMap(t) && ['string', 'number', 'boolean'].includes(typeof t.value) && isCount(t.count))))
      problems.push(`${at}.top: expected a list of {value, count}`);
  }
  const cr = v.correlations;
  if (cr !== undefined) {
    const square = (m: unknown, k: number) => Array.isArray(m) && m.length === k && m.every((r) => Array.isArray(r) && r.length === k && r.every((x) => x === null || (typeof x === 'number' && x >= -1 && x <= 1)));
    if (!isMap(cr) || !Array.isArray(cr.columns) || !cr.columns.every((x) => typeof x === 'string' && isMap(v.columns) && x in v.columns))
      problems.push('correlations.columns: expected a list of the profile\'s columns');
    else if (!square(cr.spearman, cr.columns.length)) problems.push(`correlations.spearman: expected a ${cr.columns.length} x ${cr.columns.length} matrix of numbers between -1 and 1`);
  }
  return problems;
}

const NUMERIC = new Set(['int', 'float']);
const CHOICE = new Set(['string', 'category', 'bool']);

function profileColumns(profile: Profile, warnings: string[]): ColumnPlan[] {
  const plans: ColumnPlan[] = [];
  for (const [name, c] of Object.entries(profile.columns)) {
    const total = c.count + c.nulls;
    const nulls = total > 0 ? c.nulls / total : 0;
    if (c.count === 0 || c.type === 'null') {
      plans.push({ kind: 'empty', name, type: (NUMERIC.has(c.type) || CHOICE.has(c.type) || c.type === 'date' || c.type === 'datetime' ? c.type : 'null') as SynthType, nulls: 1 });
      continue;
    }
    if (NUMERIC.has(c.type)) plans.push(profileNumeric(name, c, nulls));
    else if (CHOICE.has(c.type)) plans.push(profileChoice(name, c, nulls, warnings));
    else if (c.type === 'date' || c.type === 'datetime') {
      const min = parseInstant(String(c.min).replace(/\.\d+$/, ''), c.type);
      const max = parseInstant(String(c.max).replace(/\.\d+$/, ''), c.type);
      if (min === undefined || max === undefined) throw new SynthPlanError(`columns.${name}: min and max must be ${c.type === 'date' ? 'dates' : 'dates and times'}`);
      plans.push({ kind: 'time', name, type: c.type, min, max, nulls });
    } else warnings.push(`\`${name}\` (${c.type}) cannot be synthesized and is left out`);
  }
  return plans;
}

function profileNumeric(name: string, c: ColumnProfile, nulls: number): NumericPlan {
  const min = c.min;
  const max = c.max;
  if (typeof min !== 'number' || typeof max !== 'number')
    throw new SynthPlanError(`columns.${name}: a numeric column with values needs a numeric min and max (an infinite one is null in the profile and cannot be drawn)`);
  const quantiles = Object.entries(c.quantiles ?? {})
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([k, x]) => ({ p: Number(k), x }));
  const knots = profileKnots({ min, max, quantiles, histogram: c.histogram });
  const type = c.type as 'int' | 'float';
  // An integer column whose every value differs (an id) stays that way.
  const unique = type === 'int' && c.nulls === 0 && c.count > 1 && c.distinct === c.count;
  return { kind: 'numeric', name, type, inverse: knotsInverse(knots), min, max, unique, nulls };
}

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_SHAPE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

function profileChoice(name: string, c: ColumnProfile, nulls: number, warnings: string[]): ColumnPlan {
  const type = c.type as 'string' | 'category' | 'bool';
  // Every value different: an id, drawn as new distinct text.
  if (type !== 'bool' && c.count > 1 && c.distinct === c.count) return { kind: 'key', name, type: 'string', nulls };
  const top = c.top ?? [];
  if (!top.length) throw new SynthPlanError(`columns.${name}: a ${type} column with values needs its most frequent values (\`top\`)`);
  const values = top.map((t) => (type === 'bool' ? t.value === true || t.value === 'true' : t.value));
  const weights = top.map((t) => t.count);
  const listed = weights.reduce((s, w) => s + w, 0);
  const distinct = c.distinct ?? top.length;
  const unlisted = distinct - top.length;
  const plan: ChoicePlan = { kind: 'choice', name, type, values, weights, nulls };
  if (unlisted > 0 && c.count > listed) {
    if (distinct <= MAX_CATEGORIES) {
      // A small value set: drawing anything not listed would be a value the data never had.
      warnings.push(
        `\`${name}\`: the profile lists ${top.length} of its ${distinct} values; the others are not drawn (profile with \`top: ${distinct}\` to keep them)`,
      );
      return plan;
    }
    const texts = top.map((t) => String(t.value));
    const weight = c.count - listed;
    const shape = texts.every((t) => DATE_SHAPE.test(t)) ? 'date' : texts.every((t) => DATETIME_SHAPE.test(t)) ? 'datetime' : undefined;
    if (shape) {
      const times = texts.map((t) => parseInstant(t, shape)!).sort((a, b) => a - b);
      plan.rest = { weight, draw: shape, min: times[0]!, max: times[times.length - 1]! };
    } else plan.rest = { weight, draw: 'token', count: unlisted };
  }
  return plan;
}

// ---------------------------------------------------------------- from declared columns

function schemaColumns(schema: Record<string, SynthColumn>): ColumnPlan[] {
  // Settings reach a step with their keys sorted (the stage key is canonical JSON), so columns come in name order.
  return Object.keys(schema)
    .sort(compareStrings)
    .map((name): ColumnPlan => {
      const c = schema[name]!;
      const nulls = c.nulls ?? 0;
      switch (c.type) {
        case 'int':
        case 'float': {
          const min = typeof c.min === 'number' ? c.min : -Infinity;
          const max = typeof c.max === 'number' ? c.max : Infinity;
          let inverse: InverseCdf;
          if (c.quantiles) {
            const quantiles = Object.entries(c.quantiles).map(([k, x]) => ({ p: Number(k), x }));
            inverse = knotsInverse(profileKnots({ min, max, quantiles }));
          } else if (c.mean !== undefined && c.std !== undefined) inverse = normalInverse(c.mean, c.std, min, max);
          else inverse = uniformInverse(min, max);
          return { kind: 'numeric', name, type: c.type, inverse, min, max, unique: c.unique === true, nulls };
        }
        case 'string':
        case 'category':
        case 'bool': {
          if (c.unique) return { kind: 'key', name, type: 'string', nulls };
          const entries: [Scalar, number][] = Array.isArray(c.values) ? c.values.map((v) => [v, 1]) : Object.entries(c.values ?? {});
          const cast = (v: Scalar): Scalar => (c.type === 'bool' ? v === true || v === 'true' : String(v));
          return { kind: 'choice', name, type: c.type, values: entries.map(([v]) => cast(v)), weights: entries.map(([, w]) => w), nulls };
        }
        case 'date':
        case 'datetime':
          return { kind: 'time', name, type: c.type, min: parseInstant(String(c.min), c.type)!, max: parseInstant(String(c.max), c.type)!, nulls };
      }
    });
}

// ---------------------------------------------------------------- label and copula

function planLabel(label: NonNullable<SynthWith['label']>, columns: ColumnPlan[]): LabelPlan {
  const usable = columns.filter((c) => c.name !== label.column && (c.kind === 'numeric' || (c.kind === 'choice' && c.type === 'bool')));
  const weights = Object.keys(label.weights)
    .sort(compareStrings)
    .map((column) => {
      if (!usable.some((c) => c.name === column))
        throw new SynthPlanError(
          `label.weights: \`${column}\` is ${column === label.column ? 'the label itself' : columns.some((c) => c.name === column) ? 'not an int, float or bool column' : 'not a column'}; the columns it can weigh are ${usable.map((c) => c.name).join(', ') || 'none'}`,
        );
      return { column, weight: label.weights[column]! };
    });
  const values = (label.values ?? [0, 1]) as [Scalar, Scalar];
  const type: SynthType =
    label.rule === 'linear' ? 'float' : typeof values[0] === 'boolean' ? 'bool' : typeof values[0] === 'string' ? 'string' : values.every((v) => Number.isInteger(v)) ? 'int' : 'float';
  const at = columns.findIndex((c) => c.name === label.column);
  return {
    column: label.column,
    rule: label.rule,
    weights,
    bias: label.bias ?? 0,
    values,
    noise: label.noise ?? 0,
    type,
    index: at < 0 ? columns.length : at,
  };
}

/**
 * The copula over the numeric columns that some correlation ties to another: Spearman correlations made
 * normal-score correlations, the matrix repaired to the nearest valid one (with a warning) when it is not positive
 * definite, and factored.
 */
function planCopula(
  columns: ColumnPlan[],
  pairs: Map<string, number>,
  pairKey: (a: string, b: string) => string,
  warnings: string[],
): SynthPlan['copula'] {
  const numeric = columns.filter((c): c is NumericPlan => c.kind === 'numeric' && c.max > c.min);
  const tied = numeric.filter((a) => numeric.some((b) => a !== b && (pairs.get(pairKey(a.name, b.name)) ?? 0) !== 0));
  if (tied.length < 2) return undefined;
  const names = tied.map((c) => c.name);
  const m: Square = names.map((a, i) => names.map((b, j) => (i === j ? 1 : normalFromSpearman(pairs.get(pairKey(a, b)) ?? 0))));
  let lower = cholesky(m);
  if (!lower) {
    const fixed = nearestCorrelation(m);
    let change = 0;
    for (let i = 0; i < m.length; i++) for (let j = 0; j < m.length; j++) change = Math.max(change, Math.abs(fixed[i]![j]! - m[i]![j]!));
    warnings.push(
      `the correlations of ${names.join(', ')} do not form a valid correlation matrix (not positive definite); using the nearest one that does (entries moved by up to ${change.toFixed(3)})`,
    );
    lower = cholesky(fixed, 0);
    if (!lower) throw new SynthPlanError('the correlation matrix could not be repaired; check `correlations`');
  }
  return { columns: names, lower };
}
