import type { SynthColumn, SynthWith } from '../generated/steps.js';
import type { SchemaIssue } from '../pipeline/schema.js';

/**
 * What the JSON Schema of `gitml/data/synth` cannot say about its `with:` map (pure; run after the schema passes, at
 * load time, so each problem is reported at its line and column): one source, a declared column that says enough to
 * draw from, and rules and correlations that name declared columns.
 */
export function checkSynthWith(w: SynthWith): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const problem = (path: (string | number)[], message: string, key = false) => issues.push({ path, message, ...(key ? { key } : {}) });
  if ((w.profile === undefined) === (w.schema === undefined))
    problem([], w.profile === undefined ? 'give `profile` (a file gitml/data/profile wrote) or `schema` (the columns, declared)' : 'give `profile` or `schema`, not both');

  const schema = w.schema ?? {};
  for (const name of Object.keys(schema)) checkColumn(name, schema[name]!, (path, message, key) => problem(['schema', name, ...path], message, key));

  const declared = w.schema !== undefined;
  const numeric = (name: string) => ['int', 'float', 'bool'].includes(schema[name]?.type ?? '');
  (w.correlations ?? []).forEach((c, i) => {
    const [a, b] = c.columns;
    if (a === b) problem(['correlations', i, 'columns'], 'name two different columns');
    if (declared)
      c.columns.forEach((col, j) => {
        if (!(col in schema)) problem(['correlations', i, 'columns', j], `\`${col}\` is not a column of \`schema\``);
        else if (!['int', 'float'].includes(schema[col]!.type)) problem(['correlations', i, 'columns', j], `\`${col}\` is ${schema[col]!.type}; correlations are between int and float columns`);
      });
  });

  const label = w.label;
  if (label) {
    if (declared && label.column in schema)
      problem(['label', 'column'], `\`${label.column}\` is declared in \`schema\` too; the label rule makes it, so leave it out of \`schema\``);
    if (declared)
      for (const col of Object.keys(label.weights))
        if (!numeric(col))
          problem(['label', 'weights', col], col in schema ? `\`${col}\` is ${schema[col]!.type}; a weight needs an int, float or bool column` : `\`${col}\` is not a column of \`schema\``, true);
    if (label.rule === 'logistic') {
      if (label.noise !== undefined) problem(['label', 'noise'], '`noise` belongs to the `linear` rule; `logistic` draws its classes at random already', true);
      const values = label.values ?? [0, 1];
      if (typeof values[0] !== typeof values[1]) problem(['label', 'values'], 'the two values must have one type (two numbers, two strings or true and false)');
      else if (values[0] === values[1]) problem(['label', 'values'], 'the negative and the positive value must differ');
    } else if (label.values !== undefined) problem(['label', 'values'], '`values` belongs to the `logistic` rule; `linear` makes numbers', true);
  }
  return issues;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds since 1970 (UTC) of a date or a date and time as a `min`/`max` bound, or `undefined`. */
export function parseInstant(text: string, type: 'date' | 'datetime'): number | undefined {
  const dateOnly = DATE.test(text);
  if (!dateOnly && (type === 'date' || !DATETIME.test(text))) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text);
  const ms = Date.parse(dateOnly ? `${text}T00:00:00Z` : `${text.replace(' ', 'T')}${zoned ? '' : 'Z'}`);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2023-02-30 over into March.
  if (!zoned && new Date(ms).toISOString().slice(0, 10) !== text.slice(0, 10)) return undefined;
  return ms;
}

type Report = (path: (string | number)[], message: string, key?: boolean) => void;

function checkColumn(name: string, c: SynthColumn, problem: Report): void {
  const has = (k: keyof SynthColumn) => c[k] !== undefined;
  const only = (allowed: (keyof SynthColumn)[]) => {
    for (const k of Object.keys(c) as (keyof SynthColumn)[])
      if (k !== 'type' && !allowed.includes(k)) problem([k], `\`${k}\` does not apply to a ${c.type} column (it takes ${allowed.map((a) => `\`${a}\``).join(', ')})`, true);
  };
  switch (c.type) {
    case 'int':
    case 'float': {
      only(['min', 'max', 'mean', 'std', 'quantiles', 'nulls', 'unique']);
      for (const k of ['min', 'max'] as const) if (has(k) && typeof c[k] !== 'number') problem([k], `must be a number for a ${c.type} column`);
      const min = typeof c.min === 'number' ? c.min : undefined;
      const max = typeof c.max === 'number' ? c.max : undefined;
      if (min !== undefined && max !== undefined && min > max) problem(['max'], `is below \`min\` (${min})`);
      if (has('mean') !== has('std')) problem([has('mean') ? 'std' : 'mean'], '`mean` and `std` go together: give both', !has('mean') || !has('std'));
      if (has('quantiles')) {
        if (has('mean')) problem(['quantiles'], 'give `quantiles` or `mean` and `std`, not both', true);
        if (min === undefined || max === undefined) problem([], `\`${name}\`: \`quantiles\` needs \`min\` and \`max\` too (the values at 0 and 1)`);
        let last: { p: number; x: number } | undefined;
        const points = Object.entries(c.quantiles!)
          .map(([k, x]) => ({ k, p: Number(k), x }))
          .sort((a, b) => a.p - b.p);
        for (const q of points) {
          if (!(q.p > 0 && q.p < 1)) problem(['quantiles', q.k], `\`${q.k}\` is not a probability between 0 and 1`, true);
          else if ((min !== undefined && q.x < min) || (max !== undefined && q.x > max)) problem(['quantiles', q.k], `${q.x} lies outside \`min\`..\`max\``);
          else if (last && q.x < last.x) problem(['quantiles', q.k], `${q.x} is below the ${last.p} quantile (${last.x}); quantiles cannot decrease`);
          else last = q;
        }
      } else if (!has('mean') && (min === undefined || max === undefined))
        problem([], `\`${name}\`: say how its values spread: \`min\` and \`max\` (even), \`mean\` and \`std\` (normal), or \`quantiles\` with \`min\` and \`max\``);
      if (c.unique && c.type === 'int') {
        if (min === undefined || max === undefined) problem(['unique'], 'unique integers need `min` and `max`');
        if (has('nulls') && c.nulls! > 0) problem(['nulls'], 'a unique column (an id) has no nulls');
      }
      if (c.unique && c.type === 'float') problem(['unique'], '`unique` is for int and string columns (ids)', true);
      break;
    }
    case 'string':
    case 'category':
    case 'bool': {
      only(c.type === 'string' ? ['values', 'nulls', 'unique'] : ['values', 'nulls']);
      if (c.unique) {
        if (has('values')) problem(['values'], 'a unique column draws new text (`<column>-<n>`), not `values`', true);
        if (has('nulls') && c.nulls! > 0) problem(['nulls'], 'a unique column (an id) has no nulls');
      } else if (!has('values')) problem([], `\`${name}\`: list its \`values\` (or value -> weight)${c.type === 'string' ? ', or set `unique: true` for an id' : ''}`);
      if (c.values !== undefined) {
        const weights = Array.isArray(c.values) ? undefined : (c.values as Record<string, number>);
        if (weights && !Object.values(weights).some((v) => v > 0)) problem(['values'], 'at least one weight must be above 0');
        if (c.type === 'bool') {
          const keys = Array.isArray(c.values) ? c.values : Object.keys(c.values);
          keys.forEach((v, i) => {
            if (v !== true && v !== false && v !== 'true' && v !== 'false')
              problem(['values', Array.isArray(c.values) ? i : String(v)], `\`${String(v)}\` is not true or false`, !Array.isArray(c.values));
          });
        }
      }
      break;
    }
    case 'date':
    case 'datetime': {
      only(['min', 'max', 'nulls']);
      const bounds = (['min', 'max'] as const).map((k) => {
        if (!has(k)) {
          problem([], `\`${name}\`: a ${c.type} column needs \`${k}\``);
          return undefined;
        }
        const at = typeof c[k] === 'string' ? parseInstant(c[k] as string, c.type as 'date' | 'datetime') : undefined;
        if (at === undefined) problem([k], `\`${String(c[k])}\` is not a ${c.type === 'date' ? 'date (YYYY-MM-DD)' : 'date and time (YYYY-MM-DD HH:MM[:SS])'}`);
        return at;
      });
      if (bounds[0] !== undefined && bounds[1] !== undefined && bounds[0] > bounds[1]) problem(['max'], `is before \`min\` (${String(c.min)})`);
      break;
    }
  }
}
