// gitml/data/profile on the bench CSV: every column's statistics, 20-bin histograms, top 10 values, the label's
// class balance, as JSON and an HTML page; beside a nodejs-polars script computing the same figures the plain way
// (quantile, nUnique, binned value counts and group-bys per column) and writing the same two files.
import { join } from 'node:path';

export async function prepare(work, csv) {
  const output = join(work, 'profile.json');
  const html = join(work, 'profile.html');
  return {
    cwd: work,
    with: { input: csv, output, html, label: 'label', bins: 20, top: 10 },
    baseline: `import pl from 'nodejs-polars';
import { writeFileSync } from 'node:fs';
const df = pl.readCSV(${JSON.stringify(csv)}, { sep: ',', hasHeader: true });
const BINS = 20, TOP = 10, QS = [0.05, 0.25, 0.5, 0.75, 0.95];
const numeric = df.columns.filter((c) => /Int|Float/.test(df.getColumn(c).dtype.variant));
const exprs = df.columns.flatMap((c) => {
  const base = [pl.col(c).count().alias(c + ':count'), pl.col(c).nullCount().alias(c + ':nulls'), pl.col(c).dropNulls().nUnique().alias(c + ':distinct')];
  if (!numeric.includes(c)) return base;
  const x = pl.col(c).cast(pl.Float64).fillNan(null);
  return [...base, x.min().alias(c + ':min'), x.max().alias(c + ':max'), x.mean().alias(c + ':mean'), x.std().alias(c + ':std'),
    ...QS.map((q) => x.quantile(q, 'linear').alias(c + ':q' + q))];
});
const st = df.select(...exprs);
const s = Object.fromEntries(st.columns.map((k, i) => [k, st.row(0)[i]]));
const hist = df.select(...numeric.map((c) => {
  const lo = s[c + ':min'], hi = s[c + ':max'], w = hi - lo || 1;
  return pl.col(c).cast(pl.Float64).sub(lo).div(w).mul(BINS).floor().clip(0, BINS - 1).cast(pl.Int32).alias('b').valueCounts().implode().alias(c);
}));
const columns = {};
for (const c of df.columns) {
  const p = { type: df.getColumn(c).dtype.variant, count: s[c + ':count'], nulls: s[c + ':nulls'], distinct: s[c + ':distinct'] };
  if (numeric.includes(c)) {
    Object.assign(p, { min: s[c + ':min'], max: s[c + ':max'], mean: s[c + ':mean'], std: s[c + ':std'], quantiles: Object.fromEntries(QS.map((q) => [String(q), s[c + ':q' + q]])) });
    const lo = s[c + ':min'], hi = s[c + ':max'];
    const counts = new Array(BINS).fill(0);
    for (const e of hist.getColumn(c).toArray()[0]) if (e.b !== null) counts[e.b] = e.count;
    p.histogram = { edges: Array.from({ length: BINS + 1 }, (_, k) => lo + ((hi - lo) / BINS) * k), counts };
  } else {
    const t = df.lazy().select(pl.col(c).alias('value')).dropNulls().groupBy('value').agg(pl.len().alias('count')).sort(['count', 'value'], [true, false]).head(TOP).collectSync();
    p.top = t.toRecords();
  }
  columns[c] = p;
}
const lab = df.lazy().select(pl.col('label')).dropNulls().groupBy('label').agg(pl.len().alias('count')).sort('label').collectSync().toRecords();
const total = lab.reduce((a, r) => a + r.count, 0);
const profile = { rows: df.height, columns, label: { column: 'label', classes: Object.fromEntries(lab.map((r) => [r.label, { count: r.count, share: r.count / total }])) } };
writeFileSync(${JSON.stringify(output)}, JSON.stringify(profile, null, 2) + '\\n');
const esc = (v) => String(v).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]);
let page = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>profile</title></head><body><table>';
for (const [c, p] of Object.entries(columns)) page += '<tr><td>' + esc(c) + '</td><td>' + p.type + '</td><td>' + p.count + '</td><td>' + p.nulls + '</td><td>' + p.distinct + '</td><td>' + (p.mean ?? '') + '</td></tr>';
page += '</table>';
for (const [c, p] of Object.entries(columns)) {
  page += '<h3>' + esc(c) + '</h3>';
  if (p.histogram) { const m = Math.max(1, ...p.histogram.counts); page += '<svg width="480" height="160">' + p.histogram.counts.map((n, k) => '<rect x="' + (48 + k * 21) + '" y="' + (132 - (n / m) * 124).toFixed(2) + '" width="20" height="' + ((n / m) * 124).toFixed(2) + '"><title>' + n + '</title></rect>').join('') + '</svg>'; }
  else page += '<table>' + p.top.map((t) => '<tr><td>' + esc(t.value) + '</td><td>' + t.count + '</td></tr>').join('') + '</table>';
}
writeFileSync(${JSON.stringify(html)}, page + '</body></html>\\n');
`,
  };
}
