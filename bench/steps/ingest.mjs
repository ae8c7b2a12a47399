// gitml/data/ingest on the bench CSV: strict CSV read, three schema casts (checked), one masked column, Parquet out;
// beside a nodejs-polars script doing the same: the same read and casts with the same checks, the same HMAC tokens
// joined on, the same Parquet file.
import { join } from 'node:path';

export async function prepare(work, csv) {
  const output = join(work, 'ingest.parquet');
  // The driver spawns both commands with this process's environment: the key reaches the step and the baseline.
  process.env.GITML_MASK_KEY ??= 'bench-mask-key';
  return {
    cwd: work,
    with: { input: csv, output, schema: { ts: 'date', s01: 'category', n01: 'float' }, mask: ['s02'] },
    baseline: `import pl from 'nodejs-polars';
import { createHmac } from 'node:crypto';
const key = process.env.GITML_MASK_KEY;
if (!key) throw new Error('set GITML_MASK_KEY');
let df = pl.readCSV(${JSON.stringify(csv)}, { sep: ',', hasHeader: true, truncateRaggedLines: false, dtypes: { ts: pl.Utf8, s01: pl.Utf8, n01: pl.Utf8 } });
// A short row shows as a null in the last column: the same check the step makes before it would scan the file.
if (df.getColumn(df.columns[df.width - 1]).nullCount() > 0) throw new Error('short rows?');
const ts = pl.when(pl.col('ts').str.contains('^\\\\d{4}-\\\\d{2}-\\\\d{2}$')).then(pl.col('ts').str.strptime(pl.Date, '%Y-%m-%d')).otherwise(pl.lit(null));
const n01 = pl.col('n01').cast(pl.Float64, false);
const bad = df.select(pl.col('ts').isNotNull().and(ts.isNull()).cast(pl.UInt32).sum().alias('a'), pl.col('n01').isNotNull().and(n01.isNull()).cast(pl.UInt32).sum().alias('b')).row(0);
if (bad[0] || bad[1]) throw new Error('cast failed');
df = df.withColumns(ts.alias('ts'), n01.alias('n01'), pl.col('s01').cast(pl.Categorical).alias('s01'));
const values = df.select(pl.col('s02').cast(pl.Utf8).alias('v')).unique().dropNulls().getColumn('v').toArray();
const tokens = pl.DataFrame({ v: values, t: values.map((v) => createHmac('sha256', key).update(v, 'utf8').digest('hex')) });
const order = df.columns;
df = df.withColumns(pl.col('s02').cast(pl.Utf8).alias('v')).join(tokens, { on: 'v', how: 'left', maintainOrder: 'left' }).withColumns(pl.col('t').alias('s02')).select(...order);
df.writeParquet(${JSON.stringify(output)});
`,
  };
}
