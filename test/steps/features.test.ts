import pl from 'nodejs-polars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';
import { mean, std, quantile, values } from '../helpers/stats.js';

/** 40 rows; every fitted parameter and transformed value below is computed from these arrays in plain JS. */
interface Row {
  id: number;
  a: number | null;
  b: number;
  s: string | null;
  o: string;
  q: number;
  e: number | null;
  l: number;
  c: number;
}
function rows(n = 40): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    a: i % 9 === 4 ? null : ((i * 17) % 23) / 4 - 2,
    b: (i * 7) % 31,
    s: i % 11 === 5 ? null : ['red', 'green', 'blue'][i % 3]!,
    o: ['low', 'mid', 'high', 'mid'][i % 4]!,
    q: ((i * 29) % 37) + 0.5,
    e: i % 13 === 0 ? null : i - 10,
    l: (i * 5) % 19,
    c: 3,
  }));
}
const COLS: (keyof Row)[] = ['id', 'a', 'b', 's', 'o', 'q', 'e', 'l', 'c'];
const csv = (data: Row[], cols: (keyof Row)[] = COLS) =>
  `${cols.join(',')}\n${data.map((r) => cols.map((c) => r[c] ?? '').join(',')).join('\n')}\n`;

const WITH = `{input: data/raw.csv, output: data/features.parquet, transform: models/transform.json,
      standardize: [a, l], normalize: [b], one_hot: [s], ordinal: [o], bucketize: {q: 4, e: [-5, 0, 12.5]}, log: [l]}`;
const pipeline = (w: string) => `stages:\n  features:\n    uses: gitml/data/features\n    with: ${w}\n`;
const records = (fx: Fixture, path: string) => pl.readParquet(join(fx.dir, path)).toRecords() as Record<string, unknown>[];

const bucket = (x: number | null, edges: number[]) => (x === null ? null : edges.filter((e) => x >= e).length);

describe('gitml/data/features', () => {
  it('fits each transformation, saves its parameters and applies them, untouched columns passing through in place', () => {
    const data = rows();
    const fx = makeFixture({ 'ml.yaml': pipeline(WITH), 'data/raw.csv': csv(data) });
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const a = values(data.map((d) => d.a));
    const logs = data.map((d) => Math.log1p(d.l));
    const bs = data.map((d) => d.b);
    const qEdges = [0.25, 0.5, 0.75].map((p) =>
      quantile(
        data.map((d) => d.q),
        p,
      ),
    );
    const outCols = ['id', 'a', 'b', 's_blue', 's_green', 's_red', 'o', 'q', 'e', 'l', 'c'];

    const t = JSON.parse(fx.read('models/transform.json'));
    expect(t.format).toBe('gitml-transform');
    expect(t.version).toBe(1);
    expect(t.input_columns).toEqual(COLS);
    expect(t.output_columns).toEqual(outCols);
    expect(Object.keys(t.columns)).toEqual(['a', 'b', 'e', 'l', 'o', 'q', 's']);
    expect(t.columns.a.ops[0].op).toBe('standardize');
    expect(t.columns.a.ops[0].mean).toBeCloseTo(mean(a), 12);
    expect(t.columns.a.ops[0].std).toBeCloseTo(std(a), 12);
    expect(t.columns.b.ops).toEqual([{ op: 'normalize', min: Math.min(...bs), max: Math.max(...bs) }]);
    expect(t.columns.s.ops).toEqual([{ op: 'one_hot', categories: ['blue', 'green', 'red'], columns: ['s_blue', 's_green', 's_red'] }]);
    expect(t.columns.o.ops).toEqual([{ op: 'ordinal', categories: ['high', 'low', 'mid'], unknown: -1 }]);
    expect(t.columns.e.ops).toEqual([{ op: 'bucketize', edges: [-5, 0, 12.5] }]);
    expect(t.columns.q.ops[0].edges).toHaveLength(3);
    t.columns.q.ops[0].edges.forEach((v: number, i: number) => expect(v).toBeCloseTo(qEdges[i]!, 12));
    expect(t.columns.l.ops.map((o: { op: string }) => o.op)).toEqual(['log', 'standardize']);
    expect(t.columns.l.ops[1].mean).toBeCloseTo(mean(logs), 12);
    expect(t.columns.l.ops[1].std).toBeCloseTo(std(logs), 12);

    const out = records(fx, 'data/features.parquet');
    expect(Object.keys(out[0]!)).toEqual(outCols);
    const cats = ['high', 'low', 'mid'];
    out.forEach((o, i) => {
      const d = data[i]!;
      expect(o.id).toBe(d.id);
      expect(o.c).toBe(3);
      if (d.a === null) expect(o.a).toBeNull();
      else expect(o.a as number).toBeCloseTo((d.a - mean(a)) / std(a), 12);
      expect(o.b as number).toBeCloseTo((d.b - Math.min(...bs)) / (Math.max(...bs) - Math.min(...bs)), 12);
      expect([o.s_blue, o.s_green, o.s_red]).toEqual(['blue', 'green', 'red'].map((c) => (d.s === c ? 1 : 0)));
      expect(o.o).toBe(cats.indexOf(d.o));
      expect(o.q).toBe(bucket(d.q, qEdges));
      expect(o.e).toBe(bucket(d.e, [-5, 0, 12.5]));
      expect(o.l as number).toBeCloseTo((Math.log1p(d.l) - mean(logs)) / std(logs), 12);
    });
    // Equal-frequency buckets hold a quarter of the rows each.
    expect([0, 1, 2, 3].map((k) => out.filter((o) => o.q === k).length)).toEqual([10, 10, 10, 10]);

    // Serving: the saved transform reproduces the step's output byte for byte...
    const again = fx.gitml('data', 'transform', 'data/raw.csv', '-t', 'models/transform.json', '-o', 'served.parquet');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('wrote served.parquet: 40 rows, 11 columns');
    expect(readFileSync(join(fx.dir, 'served.parquet')).equals(readFileSync(join(fx.dir, 'data/features.parquet')))).toBe(true);

    // ...and applies the training parameters to new data: unseen categories, extra columns, a different order.
    const fresh = rows(3).map((d, i) => ({ ...d, s: ['purple', 'red', null][i]!, o: ['mid', 'top', 'low'][i]!, a: 100, l: 0, extra: 'x' }));
    const order = ['o', 's', 'extra', 'a', 'id', 'b', 'q', 'e', 'l', 'c'] as const;
    fx.write('data/new.csv', `${order.join(',')}\n${fresh.map((d) => order.map((c) => d[c] ?? '').join(',')).join('\n')}\n`);
    const served = fx.gitml('data', 'transform', 'data/new.csv', '-t', 'models/transform.json', '-o', 'new.csv');
    expect(served.code, served.stderr).toBe(0);
    const lines = fx.read('new.csv').trim().split('\n');
    expect(lines[0]).toBe('o,s_blue,s_green,s_red,extra,a,id,b,q,e,l,c');
    const cells = lines.slice(1).map((line) => line.split(','));
    expect(cells.map((c) => c[0])).toEqual(['2', '-1', '1']);
    expect(cells.map((c) => c.slice(1, 4).join(''))).toEqual(['000', '001', '000']);
    expect(cells.map((c) => c[4])).toEqual(['x', 'x', 'x']);
    expect(Number(cells[0]![5])).toBeCloseTo((100 - mean(a)) / std(a), 10);
    expect(Number(cells[0]![10])).toBeCloseTo((0 - mean(logs)) / std(logs), 10);

    // Nothing to do the second time; a changed setting is named.
    expect(fx.gitml('repro').stdout).toContain('Nothing to reproduce');
    fx.write('ml.yaml', pipeline(WITH.replace('q: 4', 'q: 5')));
    expect(fx.gitml('status').stdout).toContain('with `bucketize` changed');
  });

  it('fails with a clear message, exit 1 and no output for columns it cannot fit', () => {
    const stage = (name: string, w: string) =>
      `  ${name}:\n    uses: gitml/data/features\n    with: {input: data/raw.csv, output: out/${name}.parquet, transform: out/${name}.json, ${w}}\n`;
    const fx = makeFixture({
      'data/raw.csv': csv(rows().map((d) => ({ ...d, l: d.id === 7 ? -3 : d.l }))),
      'ml.yaml': `stages:\n${[
        stage('std0', 'standardize: [a, c]'),
        stage('minmax', 'normalize: [c]'),
        stage('text', 'standardize: [s]'),
        stage('missing', 'one_hot: [colour]'),
        stage('twice', 'normalize: [a], standardize: [a]'),
        stage('logneg', 'log: [l]'),
      ].join('')}`,
    });
    const r = fx.gitml('repro', '-k', '-j', '4');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const all = r.stdout + r.stderr;
    expect(all).toContain('standardize: column `c` has standard deviation 0 (every value is 3); it cannot be standardized');
    expect(all).toContain('normalize: column `c` has min == max (every value is 3)');
    expect(all).toContain('standardize: column `s` is string; standardize needs a numeric column');
    expect(all).toContain(`one_hot: column \`colour\` does not exist; the columns are ${COLS.join(', ')}`);
    expect(all).toContain('column `a` is named in both `standardize` and `normalize`');
    expect(all).toContain('log: column `l` has values <= -1 (e.g. -3)');
    expect(fx.exists('out')).toBe(false);
  });

  it('refuses a transform file of another version or a damaged one, and data that does not fit it', () => {
    const fx = makeFixture({ 'ml.yaml': pipeline(WITH), 'data/raw.csv': csv(rows()) });
    expect(fx.gitml('repro', '-q').code).toBe(0);
    const t = JSON.parse(fx.read('models/transform.json'));
    const apply = (transform: string) => fx.gitml('data', 'transform', 'data/raw.csv', '-t', transform, '-o', 'out.parquet');

    fx.write('v2.json', JSON.stringify({ ...t, version: 2 }));
    let r = apply('v2.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('transform file v2.json has version 2; this gitml reads version 1');

    fx.write('cut.json', fx.read('models/transform.json').slice(0, 200));
    r = apply('cut.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('transform file cut.json is damaged: not valid JSON');

    fx.write(
      'bad.json',
      JSON.stringify({ ...t, columns: { ...t.columns, a: { ...t.columns.a, ops: [{ op: 'standardize', mean: 1, std: 0 }] } } }),
    );
    r = apply('bad.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('transform file bad.json is damaged: `columns.a.ops[0]` needs a finite mean and a non-zero std');

    fx.write('data/other.csv', csv(rows(), ['id', 'a', 'b', 'o']));
    r = fx.gitml('data', 'transform', 'data/other.csv', '-t', 'models/transform.json', '-o', 'out.parquet');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('transform: columns `e`, `l`, `q`, `s` do not exist; the columns are id, a, b, o');
    expect(fx.exists('out.parquet')).toBe(false);
  });
});
