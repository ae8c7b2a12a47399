import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeFixture } from '../helpers/fixture.js';

/** A reference dataset whose inferred expectations are worked out below in plain JS. */
const N = 120;
const COLORS = ['red', 'green', 'blue', 'amber'];
interface Row {
  user_id: number;
  color: string | null;
  price: number | null;
  qty: number;
  day: string;
  note: string;
  ok: boolean;
}
function rows(): Row[] {
  return Array.from({ length: N }, (_, i) => ({
    user_id: 1000 + i * 3,
    color: i % 60 === 5 ? null : COLORS[(i * 7) % 4]!,
    price: i % 30 === 2 ? null : Math.round(((i * 53) % 97) * 1.25 * 100) / 100 - 10,
    qty: (i * 11) % 17,
    day: `2022-03-${String((i % 31) + 1).padStart(2, '0')}`,
    note: `note number ${i}`,
    ok: i % 3 !== 0,
  }));
}
const csv = (data: Row[]) =>
  `user_id,color,price,qty,day,note,ok\n${data.map((r) => [r.user_id, r.color ?? '', r.price ?? '', r.qty, r.day, r.note, r.ok].join(',')).join('\n')}\n`;

const PIPELINE = `stages:
  check:
    uses: gitml/data/validate
    with: {input: data/new.csv, expectations: expect.yaml, output: reports/validation.json}
`;

describe('gitml data infer', () => {
  it('infers types, nulls, ranges, value sets, ids and a row floor, and prints them with a header', () => {
    const data = rows();
    const fx = makeFixture({ 'data/ref.csv': csv(data) });
    const r = fx.gitml('data', 'infer', 'data/ref.csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^# Expectations for gitml\/data\/validate, inferred by `gitml data infer` from data\/ref\.csv\n# \(120 rows, 7 columns\)\. Review them/,
    );
    // One line per column, in the data's order.
    expect(r.stdout).toContain('\n  user_id: {type: int, not_null: true, unique: true, min: 1000, max: 1357}\n');

    const prices = data.flatMap((d) => (d.price === null ? [] : [d.price]));
    const colorNulls = data.filter((d) => d.color === null).length;
    const priceNulls = N - prices.length;
    const inferred = parse(r.stdout);
    expect(inferred).toEqual({
      rows: { min: N / 2 },
      columns: {
        user_id: { type: 'int', not_null: true, unique: true, min: 1000, max: 1000 + (N - 1) * 3 },
        // 2 nulls in 120: allowed up to twice that share.
        color: { type: 'string', not_null: { mostly: Math.floor(100 * (1 - (2 * colorNulls) / N)) / 100 }, in: [...COLORS].sort() },
        price: {
          type: 'float',
          not_null: { mostly: Math.floor(100 * (1 - (2 * priceNulls) / N)) / 100 },
          min: Math.min(...prices),
          max: Math.max(...prices),
        },
        qty: { type: 'int', not_null: true, min: Math.min(...data.map((d) => d.qty)), max: Math.max(...data.map((d) => d.qty)) },
        // ISO dates in a CSV are text that parses as dates; no value set for them.
        day: { type: 'date', not_null: true },
        // All distinct, but neither named nor shaped like an id; too many values for a category.
        note: { type: 'string', not_null: true },
        ok: { type: 'bool', not_null: true },
      },
    });
    expect(inferred.columns.color.not_null.mostly).toBe(0.96);

    // Same data, same text.
    expect(fx.gitml('data', 'infer', 'data/ref.csv').stdout).toBe(r.stdout);
  });

  it('writes a file that validate passes on the data it came from and fails on data with injected problems', () => {
    const data = rows();
    const fx = makeFixture({ 'data/ref.csv': csv(data), 'data/new.csv': csv(data), 'ml.yaml': PIPELINE });
    const w = fx.gitml('data', 'infer', 'data/ref.csv', '-o', 'expect.yaml');
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toContain('wrote expect.yaml: review it');
    expect(fx.read('expect.yaml')).toBe(fx.gitml('data', 'infer', 'data/ref.csv').stdout);

    const ok = fx.gitml('repro');
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(fx.read('reports/validation.json')).statistics).toEqual({ evaluated: 23, passed: 23, failed: 0 });

    const bad = rows().slice(0, 100);
    bad[3]!.color = 'purple';
    bad[4]!.price = 5000;
    bad[5]!.user_id = bad[6]!.user_id;
    bad[7]!.day = '2022-02-30';
    bad[8]!.qty = -1;
    for (let i = 20; i < 30; i++) bad[i]!.color = null;
    fx.write('data/new.csv', csv(bad));
    const r = fx.gitml('repro');
    expect(r.code).toBe(1);
    const out = r.stdout;
    expect(out).toContain('validate: 6 of 23 expectations failed on data/new.csv (100 rows');
    expect(out).toContain('`user_id` unique: 2 of 100 non-null values offend (2%), e.g. 1018');
    expect(out).toContain('`color` not_null (mostly 0.96): 12 of 100 rows are null (12%)');
    expect(out).toContain('`color` in [amber, blue, green, red]: 1 of 88 non-null values offend (1.14%), e.g. "purple"');
    expect(out).toMatch(/`price` max [\d.]+: 1 of 96 non-null values offend \(1\.04%\), e\.g\. 5000\n/);
    expect(out).toContain('`qty` min 0: 1 of 100 non-null values offend (1%), e.g. -1');
    expect(out).toContain('`day` type date: 1 of 100 non-null values offend (1%), e.g. "2022-02-30"');
    // Fewer rows than half the reference is fine at 100 of 120; a floor of 60 still holds.
    expect(out).not.toContain('rows >=');
  });

  it('names a missing input and an output that is not YAML, leaving no file behind', () => {
    const fx = makeFixture({ 'data/ref.csv': csv(rows()) });
    const missing = fx.gitml('data', 'infer', 'data/none.csv', '-o', 'expect.yaml');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('infer: data/none.csv does not exist');
    expect(fx.exists('expect.yaml')).toBe(false);

    const notYaml = fx.gitml('data', 'infer', 'data/ref.csv', '-o', 'expect.json');
    expect(notYaml.code).toBe(2);
    expect(notYaml.stderr).toContain('an expectations file is YAML; name it with .yaml or .yml');
    expect(fx.exists('expect.json')).toBe(false);

    fx.write('data/empty.csv', 'a,b\n');
    const empty = fx.gitml('data', 'infer', 'data/empty.csv');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('infer: data/empty.csv has no rows');
  });
});
