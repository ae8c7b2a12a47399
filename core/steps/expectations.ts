import type { Problem } from '../errors.js';
import { formatKeyPath, makeLocator, type KeyPath } from '../pipeline/locate.js';
import { readYaml } from '../pipeline/yaml.js';
import type { Origin } from '../pipeline/types.js';
import { suggest } from '../util/suggest.js';

/**
 * The expectations file of `gitml/data/validate` (pure: text in, checked expectations and every problem out):
 *
 * ```yaml
 * rows: {min: 1000}
 * column_set: {at_least: [id, species]}
 * columns:
 *   species: {type: string, not_null: true, in: [cat, dog, bird]}
 *   weight_kg: {type: float, min: 0, not_null: {mostly: 0.99}}
 *   id: {unique: true}
 * ```
 */

export const COLUMN_TYPES = ['int', 'float', 'string', 'bool', 'date', 'datetime', 'category'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export const TOP_KEYS = ['columns', 'rows', 'column_set'] as const;
/** Per-column keys, in the order the report lists them when a file gives them in this order. */
export const COLUMN_KEYS = ['type', 'not_null', 'unique', 'min', 'max', 'in', 'regex', 'mean', 'std'] as const;
export type ColumnKey = (typeof COLUMN_KEYS)[number];

/** Common misspellings of type names that edit distance does not catch. */
const TYPE_ALIASES: Record<string, ColumnType> = {
  integer: 'int',
  int64: 'int',
  int32: 'int',
  long: 'int',
  double: 'float',
  float64: 'float',
  number: 'float',
  numeric: 'float',
  decimal: 'float',
  str: 'string',
  text: 'string',
  utf8: 'string',
  boolean: 'bool',
  categorical: 'category',
  enum: 'category',
  timestamp: 'datetime',
};

export type Scalar = string | number | boolean;

interface Base {
  /** Where the expectation is written (its key). */
  origin: Origin;
  /** Its key path, e.g. `columns.weight_kg.min`. */
  path: string;
  /** The value as written, for the report. */
  expected: unknown;
}

export type ColumnCheck = Base &
  (
    | { kind: 'type'; type: ColumnType }
    /** `mostly` is the share of all rows that must be non-null (1 for `not_null: true`). */
    | { kind: 'not_null'; mostly: number }
    | { kind: 'unique' }
    /** `mostly` here and below: the share of non-null values that must pass (1 unless given). */
    | { kind: 'min' | 'max'; value: number | string; mostly: number }
    | { kind: 'in'; values: Scalar[]; mostly: number }
    | { kind: 'regex'; pattern: string; mostly: number }
    | { kind: 'mean' | 'std'; min?: number; max?: number }
  );

export interface ColumnExpectations {
  name: string;
  origin: Origin;
  checks: ColumnCheck[];
}

export interface Expectations {
  rows?: Base & { min?: number; max?: number };
  columnSet?: Base & { mode: 'exactly' | 'at_least'; columns: string[] };
  /** In file order. */
  columns: ColumnExpectations[];
}

export interface ParsedExpectations {
  value: Expectations;
  /** Every problem found, sorted by position; `value` is only meaningful when this is empty. */
  problems: Problem[];
}

type Path = (string | number)[];

/** Parses and checks an expectations file; `file` is the name problems are reported under. */
export function parseExpectations(text: string, file: string): ParsedExpectations {
  const problems: Problem[] = [];
  const value: Expectations = { columns: [] };
  // Maps, not objects: a column named `2020` keeps its place in file order.
  const read = readYaml(text, file, { mapAsMap: true });
  if (!read.ok) return { value, problems: read.problems };
  const locate = makeLocator(read.doc, read.lines);
  const problem = (path: KeyPath, message: string, key = false) =>
    problems.push({ file, ...locate(path, { key }), path: formatKeyPath(path), message });
  const base = (path: Path, expected: unknown): Base => ({
    origin: locate(path, { key: true }),
    path: formatKeyPath(path),
    expected: plain(expected),
  });

  const root: unknown = read.value;
  if (root === null || root === undefined) {
    problem([], 'the file is empty; give `columns:`, `rows:` or `column_set:`');
    return { value, problems };
  }
  if (!(root instanceof Map)) {
    problem([], `expected a map with \`columns:\`, \`rows:\` or \`column_set:\`, got ${kindOf(root)}`);
    return { value, problems };
  }
  for (const key of root.keys()) {
    if (!(TOP_KEYS as readonly string[]).includes(String(key))) unknownKey(problem, [], String(key), TOP_KEYS);
  }

  if (root.has('rows')) {
    const bounds = range(root.get('rows'), ['rows'], problem, { integer: true });
    if (bounds) value.rows = { ...base(['rows'], root.get('rows')), ...bounds };
  }

  if (root.has('column_set')) {
    const v = root.get('column_set');
    const path: Path = ['column_set'];
    if (!(v instanceof Map) || v.size !== 1 || !['exactly', 'at_least'].includes(String([...v.keys()][0]))) {
      if (v instanceof Map) for (const k of v.keys()) if (!['exactly', 'at_least'].includes(String(k))) unknownKey(problem, path, String(k), ['exactly', 'at_least']);
      if (!(v instanceof Map) || v.size !== 1)
        problem(path, 'expected `{exactly: [columns...]}` or `{at_least: [columns...]}` (one of the two)');
    } else {
      const mode = String([...v.keys()][0]) as 'exactly' | 'at_least';
      const list = v.get(mode);
      if (!Array.isArray(list) || !list.length || !list.every((c) => typeof c === 'string' || typeof c === 'number'))
        problem([...path, mode], `expected a non-empty list of column names, got ${kindOf(list)}`);
      else {
        const columns = list.map(String);
        const dup = columns.find((c, i) => columns.indexOf(c) !== i);
        if (dup !== undefined) problem([...path, mode], `column \`${dup}\` is listed twice`);
        else value.columnSet = { ...base(path, v), mode, columns };
      }
    }
  }

  if (root.has('columns')) {
    const cols = root.get('columns');
    if (cols === null) {
      // `columns:` with nothing under it: no column expectations.
    } else if (!(cols instanceof Map)) problem(['columns'], `expected a map of column names to expectations, got ${kindOf(cols)}`);
    else
      for (const [rawName, spec] of cols) {
        const name = String(rawName);
        const path: Path = ['columns', name];
        const column: ColumnExpectations = { name, origin: locate(path, { key: true }), checks: [] };
        value.columns.push(column);
        if (spec === null) continue; // `id:` alone: the column must exist
        if (!(spec instanceof Map)) {
          const hint =
            (name === 'exactly' || name === 'at_least') && Array.isArray(spec)
              ? `; for the set of columns write \`column_set: {${name}: [...]}\` at the top level`
              : '; write e.g. `{type: float, not_null: true}`';
          problem(path, `expected a map of expectations for column \`${name}\`, got ${kindOf(spec)}${hint}`);
          continue;
        }
        for (const [rawKey, v] of spec) {
          const key = String(rawKey);
          if (!(COLUMN_KEYS as readonly string[]).includes(key)) {
            unknownKey(problem, path, key, COLUMN_KEYS);
            continue;
          }
          const check = columnCheck(key as ColumnKey, v, [...path, key], problem);
          if (check) column.checks.push({ ...base([...path, key], v), ...check } as ColumnCheck);
        }
        const has = (k: ColumnKey) => column.checks.find((c) => c.kind === k) as (ColumnCheck & { value: unknown }) | undefined;
        const lo = has('min');
        const hi = has('max');
        if (lo && hi && typeof lo.value === typeof hi.value && (lo.value as number | string) > (hi.value as number | string))
          problem([...path, 'min'], `min ${String(lo.value)} is above max ${String(hi.value)}: no value can pass`);
      }
  }

  if (!problems.length && !value.rows && !value.columnSet && !value.columns.length)
    problem([], 'no expectations: give `columns:`, `rows:` or `column_set:`');
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  return { value, problems };
}

type Report = (path: KeyPath, message: string, key?: boolean) => void;
type CheckBody = ColumnCheck extends infer C ? (C extends unknown ? Omit<C, keyof Base> : never) : never;

function columnCheck(key: ColumnKey, v: unknown, path: Path, problem: Report): CheckBody | undefined {
  switch (key) {
    case 'type': {
      if (typeof v !== 'string') return void problem(path, `expected one of ${COLUMN_TYPES.join(', ')}, got ${kindOf(v)}`);
      if ((COLUMN_TYPES as readonly string[]).includes(v)) return { kind: 'type', type: v as ColumnType };
      const guess = TYPE_ALIASES[v.toLowerCase()] ?? suggest(v, COLUMN_TYPES);
      return void problem(path, `unknown type \`${v}\`${guess ? `; did you mean \`${guess}\`?` : ''} (the types are ${COLUMN_TYPES.join(', ')})`);
    }
    case 'unique':
      if (typeof v !== 'boolean') return void problem(path, `expected true or false, got ${kindOf(v)}`);
      return v ? { kind: 'unique' } : undefined;
    case 'not_null': {
      if (typeof v === 'boolean') return v ? { kind: 'not_null', mostly: 1 } : undefined;
      const opts = options(v, path, [], problem, 'true, false or `{mostly: 0.99}`');
      return opts ? { kind: 'not_null', mostly: opts.mostly ?? 1 } : undefined;
    }
    case 'min':
    case 'max': {
      const bound = (b: unknown, at: Path): number | string | undefined => {
        if ((typeof b === 'number' && !Number.isNaN(b)) || typeof b === 'string') return b;
        return void problem(at, `expected a number (or a date such as 2024-01-31), got ${kindOf(b)}`);
      };
      if (!(v instanceof Map)) {
        const value = bound(v, path);
        return value === undefined ? undefined : { kind: key, value, mostly: 1 };
      }
      const opts = options(v, path, ['value'], problem, `a number or \`{value: 0, mostly: 0.99}\``);
      if (!opts) return undefined;
      const value = bound(opts.value, [...path, 'value']);
      return value === undefined ? undefined : { kind: key, value, mostly: opts.mostly ?? 1 };
    }
    case 'in': {
      const list = (l: unknown, at: Path): Scalar[] | undefined => {
        if (!Array.isArray(l) || !l.length) return void problem(at, `expected a non-empty list of allowed values, got ${kindOf(l)}`);
        const bad = l.findIndex((x) => !(typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean'));
        if (bad >= 0) return void problem([...at, bad], `expected a string, number or boolean, got ${kindOf(l[bad])}`);
        return l as Scalar[];
      };
      if (!(v instanceof Map)) {
        const values = list(v, path);
        return values ? { kind: 'in', values, mostly: 1 } : undefined;
      }
      const opts = options(v, path, ['values'], problem, 'a list or `{values: [...], mostly: 0.99}`');
      if (!opts) return undefined;
      const values = list(opts.values, [...path, 'values']);
      return values ? { kind: 'in', values, mostly: opts.mostly ?? 1 } : undefined;
    }
    case 'regex': {
      const pattern = (p: unknown, at: Path): string | undefined =>
        typeof p === 'string' && p !== '' ? p : void problem(at, `expected a regular expression (a non-empty string), got ${kindOf(p)}`);
      if (!(v instanceof Map)) {
        const p = pattern(v, path);
        return p === undefined ? undefined : { kind: 'regex', pattern: p, mostly: 1 };
      }
      const opts = options(v, path, ['pattern'], problem, 'a string or `{pattern: ..., mostly: 0.99}`');
      if (!opts) return undefined;
      const p = pattern(opts.pattern, [...path, 'pattern']);
      return p === undefined ? undefined : { kind: 'regex', pattern: p, mostly: opts.mostly ?? 1 };
    }
    case 'mean':
    case 'std': {
      const bounds = range(v, path, problem, { integer: false });
      return bounds ? { kind: key, ...bounds } : undefined;
    }
  }
}

/**
 * A map holding `mostly` and the one `required` key (`value`, `values`, `pattern`); reports unknown or missing keys
 * and a `mostly` outside (0, 1].
 */
function options(
  v: unknown,
  path: Path,
  required: string[],
  problem: Report,
  shape: string,
): (Record<string, unknown> & { mostly?: number }) | undefined {
  if (!(v instanceof Map)) return void problem(path, `expected ${shape}, got ${kindOf(v)}`);
  const allowed = [...required, 'mostly'];
  let ok = true;
  for (const k of v.keys())
    if (!allowed.includes(String(k))) {
      unknownKey(problem, path, String(k), allowed);
      ok = false;
    }
  for (const k of required)
    if (!v.has(k)) {
      problem(path, `missing \`${k}\` (expected ${shape})`);
      ok = false;
    }
  const mostly = v.get('mostly');
  if (v.has('mostly') && !(typeof mostly === 'number' && mostly > 0 && mostly <= 1)) {
    problem([...path, 'mostly'], `expected a share between 0 (excluded) and 1, such as 0.99, got ${kindOf(mostly)}`);
    ok = false;
  }
  if (required.length === 0 && !v.has('mostly')) {
    problem(path, `expected ${shape}`);
    ok = false;
  }
  return ok ? (Object.fromEntries(v) as Record<string, unknown> & { mostly?: number }) : undefined;
}

/** `{min, max}`, at least one, numbers (non-negative integers for `rows`), min not above max. */
function range(v: unknown, path: Path, problem: Report, opts: { integer: boolean }): { min?: number; max?: number } | undefined {
  const shape = opts.integer ? '`{min: 1000}` or `{min: 1000, max: 100000}`' : '`{min: 0.5, max: 2}` (either may be left out)';
  if (!(v instanceof Map) || v.size === 0) return void problem(path, `expected ${shape}, got ${kindOf(v)}`);
  let ok = true;
  const out: { min?: number; max?: number } = {};
  for (const [rawK, x] of v) {
    const k = String(rawK);
    if (k !== 'min' && k !== 'max') {
      unknownKey(problem, path, k, ['min', 'max']);
      ok = false;
    } else if (typeof x !== 'number' || Number.isNaN(x) || (opts.integer && !(Number.isInteger(x) && x >= 0))) {
      problem([...path, k], `expected ${opts.integer ? 'a whole number of rows' : 'a number'}, got ${kindOf(x)}`);
      ok = false;
    } else out[k] = x;
  }
  if (ok && out.min !== undefined && out.max !== undefined && out.min > out.max) {
    problem([...path, 'min'], `min ${out.min} is above max ${out.max}`);
    ok = false;
  }
  return ok ? out : undefined;
}

function unknownKey(problem: Report, path: Path, key: string, allowed: readonly string[]): void {
  const guess = suggest(key, allowed);
  problem([...path, key], `unknown key \`${key}\`${guess ? `; did you mean \`${guess}\`?` : ` (allowed: ${allowed.join(', ')})`}`, true);
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length ? 'a list' : 'an empty list';
  if (v instanceof Map) return 'a map';
  if (typeof v === 'string') return `the string \`${v}\``;
  if (typeof v === 'number' || typeof v === 'boolean') return `\`${String(v)}\``;
  return typeof v;
}

/** Maps (from `mapAsMap`) back to plain objects, for the JSON report. */
function plain(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** `min 0`, `in [cat, dog]`, `not_null (mostly 0.99)`: how messages name an expectation. */
export function describeCheck(c: ColumnCheck): string {
  const mostly = 'mostly' in c && c.mostly < 1 ? ` (mostly ${c.mostly})` : '';
  switch (c.kind) {
    case 'type':
      return `type ${c.type}`;
    case 'not_null':
    case 'unique':
      return `${c.kind}${mostly}`;
    case 'min':
    case 'max':
      return `${c.kind} ${String(c.value)}${mostly}`;
    case 'in': {
      const shown = c.values.slice(0, 8).map(String).join(', ');
      return `in [${shown}${c.values.length > 8 ? `, ... (${c.values.length} values)` : ''}]${mostly}`;
    }
    case 'regex':
      return `regex ${c.pattern}${mostly}`;
    case 'mean':
    case 'std':
      return `${c.kind} ${[c.min !== undefined ? `>= ${c.min}` : '', c.max !== undefined ? `<= ${c.max}` : ''].filter(Boolean).join(' and ')}`;
  }
}

/** What a polars dtype (its `variant`: `Int64`, `String`, `Datetime`, ...) holds, in the expectations' terms. */
export type DataKind = ColumnType | 'other';

export function kindOfDtype(variant: string): DataKind {
  if (/^U?Int(8|16|32|64|128)$/.test(variant)) return 'int';
  if (variant === 'Float32' || variant === 'Float64') return 'float';
  if (variant === 'String' || variant === 'Utf8') return 'string';
  if (variant === 'Categorical' || variant === 'Enum') return 'category';
  if (variant === 'Bool') return 'bool';
  if (variant === 'Date') return 'date';
  if (variant === 'Datetime') return 'datetime';
  return 'other';
}
