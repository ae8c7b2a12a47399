// gitml/data/split on the bench CSV: a seeded 70/15/15 split stratified by label, beside a nodejs-polars script
// doing a seeded stratified split (shuffle within each class, deal by per-class counts, keep file order).
import { join } from 'node:path';

export async function prepare(work, csv) {
  const outputs = { train: join(work, 'train.parquet'), val: join(work, 'val.parquet'), test: join(work, 'test.parquet') };
  return {
    cwd: work,
    with: { input: csv, outputs, fractions: { train: 0.7, val: 0.15, test: 0.15 }, stratify: 'label', seed: 42 },
    baseline: `import pl from 'nodejs-polars';
const df = pl.readCSV(${JSON.stringify(csv)}, { sep: ',', hasHeader: true });
const fr = [0.7, 0.15, 0.15];
const n = pl.len().over('label');
// Each row's place in a seeded shuffle of its class, then its output from the class's counts.
const pos = pl.col('__i').shuffle(42).over('label');
const ranked = df.withRowIndex('__i').withColumns(pl.col('__i').rank('ordinal').over('label').alias('__r'), n.alias('__n'));
const shuffled = ranked.withColumns(pos.alias('__p'));
const a = pl.col('__n').cast(pl.Float64).mul(fr[0]).round(0), b = pl.col('__n').cast(pl.Float64).mul(fr[0] + fr[1]).round(0);
const keyed = shuffled.withColumns(pl.when(pl.col('__p').rank('ordinal').over('label').lessThanEquals(a)).then(pl.lit(0)).when(pl.col('__p').rank('ordinal').over('label').lessThanEquals(b)).then(pl.lit(1)).otherwise(pl.lit(2)).alias('__k'));
const names = ${JSON.stringify([outputs.train, outputs.val, outputs.test])};
names.forEach((p, k) => keyed.filter(pl.col('__k').eq(pl.lit(k))).drop(['__i', '__r', '__n', '__p', '__k']).writeParquet(p));
`,
  };
}
