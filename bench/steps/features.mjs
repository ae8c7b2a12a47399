// gitml/data/features on the bench CSV: every transformation, beside a nodejs-polars script fitting and applying the same.
import { join } from 'node:path';

export async function prepare(work, csv) {
  const output = join(work, 'features.parquet');
  const transform = join(work, 'transform.json');
  return {
    cwd: work,
    with: {
      input: csv,
      output,
      transform,
      standardize: ['c01', 'c02', 'c03', 'n03'],
      normalize: ['c04', 'c05'],
      one_hot: ['s01', 's02'],
      ordinal: ['s03', 'label'],
      bucketize: { c06: 10, n01: [100, 500, 900] },
      log: ['n02', 'n03'],
    },
    baseline: `import pl from 'nodejs-polars';
import { writeFileSync } from 'node:fs';
const df = pl.readCSV(${JSON.stringify(csv)}, { sep: ',', hasHeader: true });
const f = (c) => pl.col(c).cast(pl.Float64);
const lg = (c) => f(c).log1p();
const q = Array.from({ length: 9 }, (_, k) => f('c06').quantile((k + 1) / 10, 'linear').alias('q' + k));
const s = df.select(
  f('c01').mean().alias('m1'), f('c01').std().alias('s1'), f('c02').mean().alias('m2'), f('c02').std().alias('s2'),
  f('c03').mean().alias('m3'), f('c03').std().alias('s3'), lg('n03').mean().alias('m4'), lg('n03').std().alias('s4'),
  f('c04').min().alias('a4'), f('c04').max().alias('b4'), f('c05').min().alias('a5'), f('c05').max().alias('b5'),
  f('n02').min().alias('l2'), f('n03').min().alias('l3'), ...q,
).row(0);
if (s[12] <= -1 || s[13] <= -1) throw new Error('log of values <= -1');
const cats = (c) => df.select(pl.col(c).dropNulls().unique().sort().alias(c)).getColumn(c).toArray();
const c1 = cats('s01'), c2 = cats('s02'), c3 = cats('s03'), c4 = cats('label');
const edges = [...new Set(s.slice(14))];
const bucket = (x, e) => e.reduce((b, v) => b.plus(x.greaterThanEquals(v).cast(pl.Int32)), pl.lit(0).cast(pl.Int32));
const onehot = (c, cs) => cs.map((v) => pl.when(pl.col(c).eq(pl.lit(v))).then(pl.lit(1)).otherwise(pl.lit(0)).cast(pl.UInt8).alias(c + '_' + v));
const ord = (c, cs) => pl.when(pl.col(c).isNull()).then(pl.lit(-1).cast(pl.Int32)).otherwise(pl.col(c).replaceStrict(cs, cs.map((_, i) => i), -1, pl.Int32)).alias(c);
const exprs = df.columns.flatMap((c) => {
  switch (c) {
    case 'c01': return [f(c).minus(s[0]).divideBy(s[1]).alias(c)];
    case 'c02': return [f(c).minus(s[2]).divideBy(s[3]).alias(c)];
    case 'c03': return [f(c).minus(s[4]).divideBy(s[5]).alias(c)];
    case 'n03': return [lg(c).minus(s[6]).divideBy(s[7]).alias(c)];
    case 'c04': return [f(c).minus(s[8]).divideBy(s[9] - s[8]).alias(c)];
    case 'c05': return [f(c).minus(s[10]).divideBy(s[11] - s[10]).alias(c)];
    case 'n02': return [lg(c).alias(c)];
    case 'c06': return [bucket(f(c), edges).alias(c)];
    case 'n01': return [bucket(f(c), [100, 500, 900]).alias(c)];
    case 's01': return onehot(c, c1);
    case 's02': return onehot(c, c2);
    case 's03': return [ord(c, c3)];
    case 'label': return [ord(c, c4)];
    default: return [pl.col(c)];
  }
});
const out = df.select(...exprs);
out.writeParquet(${JSON.stringify(output)});
writeFileSync(${JSON.stringify(transform)}, JSON.stringify({ version: 1, stats: s, categories: [c1, c2, c3, c4], edges, output_columns: out.columns }, null, 2));
`,
  };
}
