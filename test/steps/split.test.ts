import pl from 'nodejs-polars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

/** 103 rows: label with classes of 52, 31 and 20 rows, 17 groups of uneven size, dates out of order with ties. */
interface Row {
  id: number;
  label: string;
  g: string;
  t: string;
  v: number;
}
function rows(): Row[] {
  return Array.from({ length: 103 }, (_, i) => ({
    id: i,
    label: i % 5 < 2 && i < 100 ? 'a' : i % 5 < 4 && i < 78 ? 'b' : i % 5 === 4 || i >= 100 ? 'c' : 'a',
    g: `g${(i * i) % 17}`,
    t: `2022-${String(((i * 7) % 12) + 1).padStart(2, '0')}-${String(((i * 5) % 28) + 1).padStart(2, '0')}`,
    v: (i * 31) % 97,
  }));
}
const csv = (data: Row[]) => `id,label,g,t,v\n${data.map((r) => [r.id, r.label, r.g, r.t, r.v].join(',')).join('\n')}\n`;

const stage = (name: string, w: string) => `  ${name}:\n    uses: gitml/data/split\n    with: {input: data/rows.csv, ${w}}\n`;
const outs = (dir: string, valExt = 'parquet') =>
  `outputs: {train: ${dir}/train.parquet, val: ${dir}/val.${valExt}, test: ${dir}/test.parquet}, fractions: {train: 0.6, val: 0.25, test: 0.15}`;
const FRACTIONS = [0.6, 0.25, 0.15];

/** Largest-remainder rounding, written out here independently of the step. */
function expectedCounts(n: number): number[] {
  const exact = FRACTIONS.map((f) => n * f);
  const counts = exact.map(Math.floor);
  const order = [0, 1, 2].sort((a, b) => exact[b]! - counts[b]! - (exact[a]! - counts[a]!) || a - b);
  for (let k = 0; counts.reduce((s, c) => s + c, 0) < n; k++) counts[order[k]!]!++;
  return counts;
}

/** An output's rows (Parquet or CSV), as the ids they hold and the full rows. */
function read(fx: Fixture, path: string): Row[] {
  if (path.endsWith('.csv')) {
    const [, ...lines] = fx.read(path).trim().split('\n');
    return lines.map((l) => {
      const [id, label, g, t, v] = l.split(',');
      return { id: Number(id), label: label!, g: g!, t: t!, v: Number(v) };
    });
  }
  return pl.readParquet(join(fx.dir, path)).toRecords() as unknown as Row[];
}
const parts = (fx: Fixture, dir: string, valExt = 'parquet') => [
  read(fx, `${dir}/train.parquet`),
  read(fx, `${dir}/val.${valExt}`),
  read(fx, `${dir}/test.parquet`),
];

/** Every row lands in exactly one output, and rows keep their file order within each. */
function expectPartition(sets: Row[][]) {
  const ids = sets.flatMap((s) => s.map((r) => r.id));
  expect([...ids].sort((a, b) => a - b)).toEqual(rows().map((r) => r.id));
  for (const s of sets) expect(s.map((r) => r.id)).toEqual([...s.map((r) => r.id)].sort((a, b) => a - b));
}

describe('gitml/data/split', () => {
  it('splits by the fractions with a seeded shuffle: byte-identical on rerun, different with another seed', () => {
    const w = (seed: number) => `stages:\n${stage('split', `${outs('sets', 'csv')}, seed: ${seed}`)}`;
    const fx = makeFixture({ 'ml.yaml': w(7), 'data/rows.csv': csv(rows()) });
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const sets = parts(fx, 'sets', 'csv');
    expectPartition(sets);
    expect(sets.map((s) => s.length)).toEqual(expectedCounts(103));
    expect(r.stdout).toContain('train: 62 rows (60.2%) -> sets/train.parquet');
    expect(r.stdout).toContain('val: 26 rows (25.2%) -> sets/val.csv');
    expect(sets[0]!.map((x) => x.id)).not.toEqual(
      rows()
        .slice(0, 62)
        .map((x) => x.id),
    ); // shuffled, not the first rows

    const bytes = () => ['train.parquet', 'val.csv', 'test.parquet'].map((f) => readFileSync(join(fx.dir, 'sets', f)));
    const first = bytes();
    expect(fx.gitml('repro').stdout).toContain('Nothing to reproduce');
    expect(fx.gitml('repro', '-f', '-q').code).toBe(0);
    bytes().forEach((b, i) => expect(b.equals(first[i]!)).toBe(true));

    fx.write('ml.yaml', w(8));
    expect(fx.gitml('status').stdout).toContain('with `seed` changed `7 -> 8`');
    expect(fx.gitml('repro', '-q').code).toBe(0);
    const other = parts(fx, 'sets', 'csv');
    expectPartition(other);
    expect(other.map((s) => s.length)).toEqual(expectedCounts(103));
    expect(other[0]!.map((x) => x.id)).not.toEqual(sets[0]!.map((x) => x.id));
  });

  it('keeps class shares when stratified, orders by time, and keeps groups whole', () => {
    const data = rows();
    const fx = makeFixture({
      'data/rows.csv': csv(data),
      'ml.yaml': `stages:\n${[
        stage('strat', `${outs('strat')}, stratify: label, seed: 3`),
        stage('time', `${outs('time')}, time: t`),
        stage('group', `${outs('group')}, group: g, seed: 5`),
      ].join('')}`,
    });
    const r = fx.gitml('repro', '-j', '3');
    expect(r.code, r.stdout + r.stderr).toBe(0);

    // Stratified: each class is split by the fractions on its own.
    const strat = parts(fx, 'strat');
    expectPartition(strat);
    for (const label of ['a', 'b', 'c']) {
      const n = data.filter((x) => x.label === label).length;
      expect(strat.map((s) => s.filter((x) => x.label === label).length)).toEqual(expectedCounts(n));
    }
    expect(r.stdout).toMatch(/train: \d+ rows \([\d.]+%\) -> strat\/train\.parquet; label: a [\d.]+%, b [\d.]+%, c [\d.]+%/);

    // Time: every train date is on or before every val date, and val before test; ties keep file order.
    const time = parts(fx, 'time');
    expectPartition(time);
    expect(time.map((s) => s.length)).toEqual(expectedCounts(103));
    const sorted = [...data].sort((x, y) => (x.t < y.t ? -1 : x.t > y.t ? 1 : x.id - y.id));
    const [a, b] = expectedCounts(103);
    expect(time[0]!.map((x) => x.id)).toEqual(
      sorted
        .slice(0, a)
        .map((x) => x.id)
        .sort((x, y) => x - y),
    );
    expect(time[1]!.map((x) => x.id)).toEqual(
      sorted
        .slice(a, a! + b!)
        .map((x) => x.id)
        .sort((x, y) => x - y),
    );

    // Groups: no group in two outputs, every output has one, and shares are near the fractions.
    const group = parts(fx, 'group');
    expectPartition(group);
    const owners = new Map<string, number>();
    group.forEach((s, k) =>
      s.forEach((x) => {
        expect(owners.get(x.g) ?? k).toBe(k);
        owners.set(x.g, k);
      }),
    );
    for (const s of group) expect(s.length).toBeGreaterThan(0);
    expect(new Set(owners.values()).size).toBe(3);
    expect(r.stdout).toMatch(/by `g`: train \d+ groups, val \d+ groups?, test \d+ groups?/);
  });

  it('fails with a clear message, exit 1 and no output for settings or labels it cannot split by', () => {
    const data = rows().map((x) => ({ ...x, one: 'same' }));
    const text = `id,label,g,t,v,one,rare\n${data.map((x) => [x.id, x.label, x.g, x.id === 9 ? '' : x.t, x.v, x.one, x.id === 50 ? 'z' : 'y'].join(',')).join('\n')}\n`;
    const fx = makeFixture({
      'data/rows.csv': text,
      'ml.yaml': `stages:\n${[
        stage('sum', 'outputs: {train: o/sum-a.parquet, test: o/sum-b.parquet}, fractions: {train: 0.7, test: 0.2}'),
        stage('match', 'outputs: {train: o/m-a.parquet, test: o/m-b.parquet}, fractions: {train: 0.7, val: 0.1, test: 0.2}'),
        stage('both', `${outs('o/both')}, stratify: label, time: t`),
        stage('single', 'outputs: {train: o/s-a.parquet, test: o/s-b.parquet}, fractions: {train: 0.5, test: 0.5}, stratify: one'),
        stage('small', 'outputs: {train: o/r-a.parquet, test: o/r-b.parquet}, fractions: {train: 0.5, test: 0.5}, stratify: rare'),
        stage('nulltime', 'outputs: {train: o/t-a.parquet, test: o/t-b.parquet}, fractions: {train: 0.5, test: 0.5}, time: t'),
        stage('nolabel', 'outputs: {train: o/n-a.parquet, test: o/n-b.parquet}, fractions: {train: 0.5, test: 0.5}, stratify: species'),
      ].join('')}`,
    });
    const r = fx.gitml('repro', '-k', '-j', '4');
    expect(r.code).toBe(1);
    const all = r.stdout + r.stderr;
    expect(all).toContain('fractions add up to 0.8999999999999999 (train 0.7 + test 0.2); they must add up to 1');
    expect(all).toContain('outputs name train, test but fractions give train, val, test');
    expect(all).toContain('set only one of stratify, time and group (got stratify and time)');
    expect(all).toContain('stratify: `one` has a single class (same); stratifying needs two or more');
    expect(all).toContain('stratify: class z of `rare` has 1 row, too few to appear in train, test (none for test)');
    expect(all).toContain('time: column `t` has 1 null value; rows without a time cannot be ordered');
    expect(all).toContain('stratify: column `species` does not exist; the columns are id, label, g, t, v, one, rare');
    expect(fx.exists('o')).toBe(false);
  });
});
