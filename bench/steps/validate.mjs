// gitml/data/validate on the bench CSV: about 90 expectations over all 20 columns (types, nulls with `mostly`, unique,
// ranges, value sets, a regex, means and deviations, a date column kept as text), some passing with `mostly` while
// rows offend so that examples are collected. Beside it, a nodejs-polars script computing the same counts and
// statistics in one select, the examples in a second, and writing a JSON report.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FLOATS = Array.from({ length: 9 }, (_, i) => `c0${i + 1}`);
const STRINGS = Array.from({ length: 5 }, (_, i) => `s0${i + 1}`);
const INTS = ['n01', 'n02', 'n03'];
const ALL = ['id', ...FLOATS, ...STRINGS, 'label', 'ts', ...INTS];
/** The values of s0k in the generated CSV: v{k-1}_0 .. v{k-1}_{5 + 3(k-1) - 1}. */
const valuesOf = (s) => Array.from({ length: 5 + s * 3 }, (_, j) => `v${s}_${j}`);

/** Expectations per column, as the YAML below writes them and the baseline evaluates them. */
function plan() {
  const cols = [];
  cols.push(['id', { type: 'int', not_null: true, unique: true, min: 0 }]);
  FLOATS.forEach((f, i) => {
    const hi = 70 * (i + 1);
    // c01's max is tight: about a fifth of its rows offend, which `mostly` allows.
    cols.push([f, { type: 'float', not_null: { mostly: 0.95 }, min: -30 * (i + 1) - 1, max: i === 0 ? { value: 50, mostly: 0.7 } : hi + 1, mean: { min: -1000, max: 1000 }, std: { min: 0 } }]);
  });
  STRINGS.forEach((s, i) => {
    const values = valuesOf(i);
    // s05 lists only half its values: the rest offend, within `mostly`.
    const inValues = i === 4 ? { values: values.slice(0, 10), mostly: 0.4 } : values;
    cols.push([s, { type: 'string', not_null: { mostly: 0.98 }, in: inValues, regex: `v${i}_\\d+` }]);
  });
  cols.push(['label', { type: 'category', not_null: true, in: ['cat', 'dog', 'bird'] }]);
  cols.push(['ts', { type: 'date', not_null: true, min: '2020-01-01', max: '2024-12-31' }]);
  INTS.forEach((n, i) => cols.push([n, { type: 'int', not_null: true, min: 0, max: 1000 * (i + 1) }]));
  return cols;
}

function yaml(cols) {
  const v = (x) => (Array.isArray(x) ? `[${x.map(v).join(', ')}]` : typeof x === 'object' ? `{${Object.entries(x).map(([k, y]) => `${k}: ${v(y)}`).join(', ')}}` : typeof x === 'string' ? JSON.stringify(x) : String(x));
  return `rows: {min: 500000}\ncolumn_set: {exactly: [${ALL.join(', ')}]}\ncolumns:\n${cols.map(([c, e]) => `  ${c}: ${v(e)}\n`).join('')}`;
}

export async function prepare(work, csv) {
  const cols = plan();
  const expectations = join(work, 'expect.yaml');
  writeFileSync(expectations, yaml(cols));
  const output = join(work, 'validation.json');
  return {
    cwd: work,
    with: { input: csv, expectations, output, examples: 5 },
    baseline: `import pl from 'nodejs-polars';
import { writeFileSync } from 'node:fs';
const cols = ${JSON.stringify(cols)};
const all = ${JSON.stringify(ALL)};
const df = pl.readCSV(${JSON.stringify(csv)}, { sep: ',', hasHeader: true });
const c = pl.col;
const exprs = [];
const agg = (e) => { const a = 'a' + exprs.length; exprs.push(e.alias(a)); return a; };
const checks = [];
const isDate = (e) => pl.when(e.str.contains('^\\\\d{4}-\\\\d{2}-\\\\d{2}$')).then(e.str.strptime(pl.Date, '%Y-%m-%d')).otherwise(pl.lit(null));
for (const [name, e] of cols) {
  const col = c(name);
  const nn = agg(col.isNotNull().sum());
  const row = (kind, mask, mostly, over, values, descending = false, observed) => checks.push({ name, kind, off: agg(mask.sum()), mostly, over, values, mask, descending, observed });
  const dtype = df.getColumn(name).dtype.variant;
  if (name === 'ts') row('type', isDate(col).isNull().and(col.isNotNull()), 1, nn, col);
  else checks.push({ name, kind: 'type', fixed: dtype });
  if (e.not_null) row('not_null', col.isNull(), e.not_null === true ? 1 : e.not_null.mostly, null, null);
  if (e.unique) row('unique', col.isDuplicated().and(col.isNotNull()), 1, nn, col, false, agg(col.dropNulls().nUnique()));
  for (const k of ['min', 'max']) {
    if (e[k] === undefined) continue;
    const b = typeof e[k] === 'object' ? e[k].value : e[k];
    const mostly = typeof e[k] === 'object' ? e[k].mostly : 1;
    const bound = pl.lit(b);
    row(k, k === 'min' ? col.lt(bound) : col.gt(bound), mostly, nn, col, k === 'max', agg(k === 'min' ? col.min() : col.max()));
  }
  if (e.in) {
    const values = Array.isArray(e.in) ? e.in : e.in.values;
    row('in', col.isIn(pl.Series(values).implode()).not().and(col.isNotNull()), Array.isArray(e.in) ? 1 : e.in.mostly, nn, col);
  }
  if (e.regex) row('regex', col.str.contains('^(?:' + e.regex + ')$').not(), 1, nn, col);
  for (const k of ['mean', 'std']) if (e[k]) checks.push({ name, kind: k, stat: agg(k === 'mean' ? col.mean() : col.std()), range: e[k] });
}
const r = df.select(...exprs).toRecords()[0];
const ex = [];
checks.forEach((k, i) => { if (k.values && r[k.off] > 0) ex.push(k.values.filter(k.mask).unique().sort({ descending: k.descending, nullsLast: true }).head(5).implode().alias('e' + i)); });
const er = ex.length ? df.select(...ex).toRecords()[0] : {};
const results = [{ column: null, expectation: 'rows', success: df.height >= 500000, observed: df.height },
  { column: null, expectation: 'column_set', success: all.every((x) => df.columns.includes(x)) && df.columns.every((x) => all.includes(x)) }];
checks.forEach((k, i) => {
  if (k.fixed) return results.push({ column: k.name, expectation: k.kind, success: true, observed: k.fixed });
  if (k.stat) { const v = r[k.stat]; return results.push({ column: k.name, expectation: k.kind, success: v >= (k.range.min ?? -Infinity) && v <= (k.range.max ?? Infinity), observed: v }); }
  const denom = k.over ? r[k.over] : df.height;
  const off = r[k.off];
  results.push({ column: k.name, expectation: k.kind, success: (denom - off) / denom >= k.mostly, offending: off, share: off / denom, examples: er['e' + i] ?? [], observed: k.observed ? r[k.observed] : null });
});
const passed = results.filter((x) => x.success).length;
writeFileSync(${JSON.stringify(output)}, JSON.stringify({ success: passed === results.length, rows: df.height, results, statistics: { evaluated: results.length, passed, failed: results.length - passed } }, null, 2) + '\\n');
`,
  };
}
