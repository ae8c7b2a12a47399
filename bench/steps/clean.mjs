// gitml/data/clean on the bench CSV: every operation once, beside a nodejs-polars script doing the same work.
import { join } from 'node:path';

export async function prepare(work, csv) {
  const output = join(work, 'clean.parquet');
  const report = join(work, 'clean-report.json');
  return {
    cwd: work,
    with: {
      input: csv,
      output,
      report,
      cast: { ts: 'date', n01: 'float' },
      drop_duplicates: true,
      drop_nulls: ['s01', 'c09'],
      outliers: { c01: { method: 'iqr', action: 'clip', threshold: 0.3 }, c02: { method: 'zscore', action: 'drop', threshold: 1.5 } },
      impute: { c03: 'mean', c04: 'median', s02: 'mode', c05: 0, s03: 'unknown' },
    },
    baseline: `import pl from 'nodejs-polars';
import { writeFileSync } from 'node:fs';
let df = pl.readCSV(${JSON.stringify(csv)}, { sep: ',', hasHeader: true });
const rowsIn = df.height;
// cast, checking that no value failed to convert
const cast = df.select(pl.col('ts').str.strptime(pl.Date).alias('ts'), pl.col('n01').cast(pl.Float64).alias('n01'));
const failed = df.select(pl.col('ts').isNotNull().and(cast.getColumn('ts').isNull()).sum().alias('a'), pl.col('n01').isNotNull().and(cast.getColumn('n01').isNull()).sum().alias('b')).row(0);
if (failed[0] || failed[1]) throw new Error('cast failed');
df = df.withColumns(cast.getColumn('ts'), cast.getColumn('n01'));
const before = df.height;
df = df.unique({ keep: 'first', maintainOrder: true });
const dups = before - df.height;
const nulls = df.select(pl.col('c09').isNull().sum().alias('c09'), pl.col('s01').isNull().sum().alias('s01')).row(0);
df = df.filter(pl.col('c09').isNotNull().and(pl.col('s01').isNotNull()));
const st = df.select(pl.col('c01').quantile(0.25, 'linear').alias('q1'), pl.col('c01').quantile(0.75, 'linear').alias('q3'), pl.col('c02').mean().alias('m'), pl.col('c02').std().alias('s')).row(0);
const [q1, q3, m, s] = st;
const lo1 = q1 - 0.3 * (q3 - q1), hi1 = q3 + 0.3 * (q3 - q1), lo2 = m - 1.5 * s, hi2 = m + 1.5 * s;
const out1 = pl.col('c01').lt(lo1).or(pl.col('c01').gt(hi1)).fillNull(false);
const out2 = pl.col('c02').lt(lo2).or(pl.col('c02').gt(hi2)).fillNull(false);
const oc = df.select(out1.sum().alias('a'), out2.sum().alias('b')).row(0);
df = df.filter(out2.not()).withColumns(pl.when(pl.col('c01').lt(lo1)).then(pl.lit(lo1)).when(pl.col('c01').gt(hi1)).then(pl.lit(hi1)).otherwise(pl.col('c01')).alias('c01'));
const im = df.select(pl.col('c03').isNull().sum().alias('n3'), pl.col('c04').isNull().sum().alias('n4'), pl.col('s02').isNull().sum().alias('n2'), pl.col('c05').isNull().sum().alias('n5'), pl.col('s03').isNull().sum().alias('n6'),
  pl.col('c03').mean().alias('m3'), pl.col('c04').median().alias('m4'), pl.col('s02').dropNulls().mode().sort().first().alias('m2')).row(0);
df = df.withColumns(pl.col('c03').fillNull(im[5]), pl.col('c04').fillNull(im[6]), pl.col('s02').fillNull(im[7]), pl.col('c05').fillNull(0), pl.col('s03').fillNull('unknown'));
df.writeParquet(${JSON.stringify(output)});
writeFileSync(${JSON.stringify(report)}, JSON.stringify({ rows_in: rowsIn, rows_out: df.height, duplicates_dropped: dups, null_rows_dropped: { c09: nulls[0], s01: nulls[1] },
  outliers: { c01: { lower: lo1, upper: hi1, clipped: oc[0] }, c02: { lower: lo2, upper: hi2, dropped: oc[1] } },
  imputed: { c03: { value: im[5], count: im[0] }, c04: { value: im[6], count: im[1] }, s02: { value: im[7], count: im[2] }, c05: { value: 0, count: im[3] }, s03: { value: 'unknown', count: im[4] } } }, null, 2));
`,
  };
}
