import pl from 'nodejs-polars';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';
import { mean, quantile, std, values } from '../helpers/stats.js';

/** 50 rows with nulls, outliers and ties, plus exact copies of three of them; expected values are computed in plain JS. */
interface Row {
  id: number;
  x: number | null;
  y: number | null;
  city: string | null;
  n: number | null;
  cat: string | null;
  d: string;
  flag: string;
  grp: number;
}
function rows(): Row[] {
  const base = Array.from({ length: 50 }, (_, i): Row => ({
    id: i,
    x: i % 11 === 3 ? null : i === 20 ? 100 : i === 40 ? -80 : ((i * 37) % 50) / 10,
    y: i % 13 === 5 ? null : i === 30 ? 500 : ((i * 13) % 17) + 0.25,
    city: i % 9 === 4 ? null : ['ams', 'ber', 'cph', 'ams'][i % 4]!,
    n: i % 7 === 2 ? null : (i * 3) % 10,
    cat: i % 17 === 6 ? null : `k${i % 3}`,
    d: `2021-03-${String((i % 28) + 1).padStart(2, '0')}`,
    flag: i % 3 === 0 ? 'yes' : 'no',
    grp: i % 6,
  }));
  return [...base, { ...base[2]! }, { ...base[5]! }, { ...base[7]! }];
}
const COLS: (keyof Row)[] = ['id', 'x', 'y', 'city', 'n', 'cat', 'd', 'flag', 'grp'];
const csv = (data: Row[]) => `${COLS.join(',')}\n${data.map((r) => COLS.map((c) => r[c] ?? '').join(',')).join('\n')}\n`;

const FULL = `{input: data/raw.csv, output: data/clean.parquet, report: reports/clean.json,
      cast: {d: date, n: float, flag: bool},
      drop_duplicates: true,
      drop_nulls: [cat],
      outliers: {x: {method: iqr, action: clip}, y: {method: zscore, action: drop, threshold: 2}},
      impute: {x: mean, n: median, city: mode, y: 0}}`;
const pipeline = (withText: string) => `stages:\n  clean:\n    uses: gitml/data/clean\n    with: ${withText}\n`;

function workspace(withText: string, data = rows()): Fixture {
  return makeFixture({ 'ml.yaml': pipeline(withText), 'data/raw.csv': csv(data) });
}
const records = (fx: Fixture, path: string) => pl.readParquet(join(fx.dir, path)).toRecords() as Record<string, unknown>[];

describe('gitml/data/clean', () => {
  it('casts, deduplicates, drops nulls, treats outliers and imputes in that order, with a report of each', () => {
    const fx = workspace(FULL);
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);

    // The same steps in plain JS.
    let data = rows();
    const seen = new Set<string>();
    data = data.filter((row) => !seen.has(JSON.stringify(row)) && !!seen.add(JSON.stringify(row)));
    const afterDedup = data.length;
    const catNulls = data.filter((row) => row.cat === null).length;
    data = data.filter((row) => row.cat !== null);
    const xs = values(data.map((row) => row.x));
    const [q1, q3] = [quantile(xs, 0.25), quantile(xs, 0.75)];
    const [xl, xu] = [q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)];
    const ys = values(data.map((row) => row.y));
    const [ym, ys2] = [mean(ys), std(ys)];
    const [yl, yu] = [ym - 2 * ys2, ym + 2 * ys2];
    const yOut = data.filter((row) => row.y !== null && (row.y < yl || row.y > yu)).length;
    data = data.filter((row) => row.y === null || (row.y >= yl && row.y <= yu));
    const xOut = data.filter((row) => row.x !== null && (row.x < xl || row.x > xu)).length;
    data = data.map((row) => ({ ...row, x: row.x === null ? null : Math.min(xu, Math.max(xl, row.x)) }));
    const xMean = mean(values(data.map((row) => row.x)));
    const nMedian = quantile(values(data.map((row) => row.n)), 0.5);
    const counts = new Map<string, number>();
    for (const c of values(data.map((row) => row.city))) counts.set(c, (counts.get(c) ?? 0) + 1);
    const cityMode = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
    const nulls = (k: keyof Row) => data.filter((row) => row[k] === null).length;

    const report = JSON.parse(fx.read('reports/clean.json'));
    expect(report).toMatchObject({
      rows_in: 53,
      rows_out: data.length,
      duplicates_dropped: 53 - afterDedup,
      null_rows_dropped: { cat: catNulls },
      cast: { d: { from: 'string', to: 'date' }, n: { from: 'int64', to: 'float' }, flag: { from: 'string', to: 'bool' } },
    });
    expect(report.duplicates_dropped).toBe(3);
    expect(Object.keys(report.outliers)).toEqual(['x', 'y']);
    expect(report.outliers.x.clipped).toBe(xOut);
    expect(report.outliers.x.lower).toBeCloseTo(xl, 10);
    expect(report.outliers.x.upper).toBeCloseTo(xu, 10);
    expect(report.outliers.y.dropped).toBe(yOut);
    expect(yOut).toBeGreaterThan(0);
    expect(xOut).toBeGreaterThan(0);
    expect(report.outliers.y.lower).toBeCloseTo(yl, 10);
    expect(report.outliers.y.upper).toBeCloseTo(yu, 10);
    expect(report.imputed.x.value).toBeCloseTo(xMean, 10);
    expect(report.imputed).toMatchObject({
      x: { count: nulls('x') },
      n: { value: nMedian, count: nulls('n') },
      city: { value: cityMode, count: nulls('city') },
      y: { value: 0, count: nulls('y') },
    });

    const out = records(fx, 'data/clean.parquet');
    expect(out.map((o) => o.id)).toEqual(data.map((row) => row.id)); // first occurrences, file order
    out.forEach((o, i) => {
      const e = data[i]!;
      expect(o.x as number).toBeCloseTo(e.x ?? xMean, 10);
      expect(o.y).toBe(e.y ?? 0);
      expect(o.n).toBe(e.n ?? nMedian);
      expect(o.city).toBe(e.city ?? cityMode);
      expect(o.flag).toBe(e.flag === 'yes');
      expect((o.d as Date).toISOString().slice(0, 10)).toBe(e.d);
    });
    expect(r.stdout).toContain(`53 rows in, ${data.length} out`);

    // Nothing to do the second time; a changed setting is named.
    const again = fx.gitml('repro');
    expect(again.stdout).toContain('Nothing to reproduce');
    fx.write('ml.yaml', pipeline(FULL.replace('threshold: 2}', 'threshold: 2.5}')));
    expect(fx.gitml('status').stdout).toContain('with `outliers` changed');
  });

  it('keeps the first row of each duplicate key, in file order, and clips integer columns to whole numbers', () => {
    const fx = workspace(
      `{input: data/raw.csv, output: out.parquet, report: r.json, drop_duplicates: [grp], outliers: {id: {method: zscore, action: clip, threshold: 1}}}`,
    );
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const ids = [0, 1, 2, 3, 4, 5];
    const m = mean(ids);
    const s = std(ids);
    const out = records(fx, 'out.parquet');
    expect(out.map((o) => o.grp)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.map((o) => o.id)).toEqual(ids.map((v) => Math.min(Math.floor(m + s), Math.max(Math.ceil(m - s), v))));
    const report = JSON.parse(fx.read('r.json'));
    expect(report.duplicates_dropped).toBe(47);
    expect(report.outliers.id).toMatchObject({ method: 'zscore', threshold: 1, clipped: 2 });
    expect(report.outliers.id.upper).toBeCloseTo(m + s, 10);
  });

  it('fails with a clear message, exit 1 and no output for bad settings and data', () => {
    const data = rows().map((row) => ({ ...row, cat: null }));
    const stage = (name: string, w: string) =>
      `  ${name}:\n    uses: gitml/data/clean\n    with: {input: data/raw.csv, output: out/${name}.parquet, report: out/${name}.json, ${w}}\n`;
    const fx = makeFixture({
      'data/raw.csv': csv(data),
      'ml.yaml': `stages:\n${[
        stage('meanstr', 'impute: {city: mean}'),
        stage('missing', 'impute: {nope: mode}'),
        stage('allnull', 'cast: {cat: float}, impute: {cat: median}'),
        stage('allnullmode', 'impute: {cat: mode}'),
        stage('badcast', 'cast: {city: int}'),
        stage('fraction', 'cast: {x: int}'),
        stage('emptied', 'drop_nulls: [cat]'),
      ].join('')}`,
    });
    const r = fx.gitml('repro', '-k', '-j', '4');
    expect(r.code).toBe(1);
    const all = r.stdout + r.stderr;
    expect(all).toContain('impute: column `city` is string; mean needs a numeric column');
    expect(all).toContain('impute: column `nope` does not exist');
    expect(all).toContain(`the columns are ${COLS.join(', ')}`);
    expect(all).toContain('impute: column `cat` has no values (every row is null), so it has no median');
    expect(all).toContain('impute: column `cat` has no values (every row is null), so it has no mode');
    expect(all).toContain('cast: column `city` (string) to int: 47 of 53 values do not convert, e.g. "ams"');
    expect(all).toMatch(/cast: column `x` \(float64\) to int: \d+ of 53 values do not convert, e\.g\. "[0-9.-]+"/);
    expect(all).toContain('drop_nulls dropped every row of data/raw.csv');
    expect(fx.exists('out')).toBe(false);
  });

  it('imputes an all-null numeric column with a constant but not with its mean', () => {
    const data = rows().map((row) => ({ ...row, x: null }));
    const fx = workspace(`{input: data/raw.csv, output: out.parquet, cast: {x: float}, impute: {x: mean}}`, data);
    const r = fx.gitml('repro');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(
      'impute: column `x` has no values (every row is null), so it has no mean; impute a constant instead',
    );
    expect(fx.exists('out.parquet')).toBe(false);
    fx.write('ml.yaml', pipeline(`{input: data/raw.csv, output: out.parquet, cast: {x: float}, impute: {x: -1.5}}`));
    expect(fx.gitml('repro').code).toBe(0);
    expect(records(fx, 'out.parquet').every((o) => o.x === -1.5)).toBe(true);
  });
});
