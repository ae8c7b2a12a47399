import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SynthWith } from '../../core/generated/steps.js';
import { cholesky, nearestCorrelation, normalCdf, normalQuantile, symmetricEigen } from '../../core/steps/copula.js';
import { Random } from '../../core/steps/model/random.js';
import { profileTable, type Profile } from '../../core/steps/profile.js';
import { generateTable, type GeneratedColumn } from '../../core/steps/synth-generate.js';
import { planSynth, profileProblems, SynthPlanError } from '../../core/steps/synth-plan.js';
import { checkSynthWith } from '../../core/steps/synth-settings.js';
import { toFrame } from '../../core/steps/synth.js';
import { loadPolars, writeTable } from '../../core/steps/table.js';
import { mean, quantile, values } from '../helpers/stats.js';

const p = await loadPolars();

/** Ranks 1..n, ties sharing their average rank. */
function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const out = new Array<number>(xs.length);
  for (let k = 0; k < order.length; ) {
    let e = k;
    while (e + 1 < order.length && order[e + 1]!.x === order[k]!.x) e++;
    for (let t = k; t <= e; t++) out[order[t]!.i] = (k + e) / 2 + 1;
    k = e + 1;
  }
  return out;
}
function pearson(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
const spearman = (a: number[], b: number[]) => pearson(ranks(a), ranks(b));
/** The pairs of two columns where both are present. */
function complete(a: (unknown | null)[], b: (unknown | null)[]): [number[], number[]] {
  const xs: number[] = [];
  const ys: number[] = [];
  a.forEach((v, i) => {
    if (v !== null && b[i] !== null) {
      xs.push(v as number);
      ys.push(b[i] as number);
    }
  });
  return [xs, ys];
}
const col = (t: { columns: GeneratedColumn[] }, name: string) => t.columns.find((c) => c.name === name)!.values;

/**
 * An original table with a skewed float, an integer tied to it, a small integer count, an id, a category with nulls
 * and a bool: 4000 rows drawn from a fixed seed.
 */
function original() {
  const r = new Random(11);
  const n = 4000;
  const income: (number | null)[] = [];
  const age: number[] = [];
  const visits: number[] = [];
  const plan: (string | null)[] = [];
  const active: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    const a = Math.max(18, Math.min(90, Math.round(45 + 12 * z)));
    age.push(a);
    income.push(i % 10 === 3 ? null : Math.exp(10 + 0.4 * (0.8 * z + 0.6 * r.normal())));
    visits.push(Math.min(6, Math.floor(-Math.log(1 - r.next()) * 1.2)));
    const u = r.next();
    plan.push(u < 0.05 ? null : u < 0.6 ? 'basic' : u < 0.9 ? 'plus' : 'premium');
    active.push(r.next() < 0.7);
  }
  const df = p.DataFrame([
    p.Series('id', Array.from({ length: n }, (_, i) => 5000 + i), p.Int64),
    p.Series('age', age, p.Int64),
    p.Series('income', income, p.Float64),
    p.Series('visits', visits, p.Int64),
    p.Series('plan', plan, p.Utf8),
    p.Series('active', active, p.Bool),
  ]);
  return { df, n };
}

const { df: ORIGINAL } = original();
const PROFILE: Profile = profileTable(p, ORIGINAL, { bins: 20, top: 10, correlations: true });
const ROWS = 20000;
const SYNTH = generateTable(planSynth({ profile: 'profile.json', output: 'x.parquet', rows: ROWS }, PROFILE), ROWS, 3);
const SYNTH_PROFILE = profileTable(p, toFrame(p, SYNTH.columns), { bins: 20, top: 10, correlations: true });

describe('the normal distribution and correlation matrices', () => {
  it('computes the normal distribution function and its inverse to full precision', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(-1.96)).toBeCloseTo(0.024997895148220435, 14);
    // Far in the tail, relative to the value.
    expect(normalCdf(-8) / 6.22096057427178e-16).toBeCloseTo(1, 7);
    for (const q of [1e-12, 0.001, 0.02, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9]) expect(normalCdf(normalQuantile(q))).toBeCloseTo(q, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
  });

  it('repairs a matrix that is no correlation matrix to a nearby one that has a Cholesky factor', () => {
    // Three columns cannot all be this strongly tied with these signs.
    const bad = [
      [1, 0.9, 0.9],
      [0.9, 1, -0.9],
      [0.9, -0.9, 1],
    ];
    expect(cholesky(bad)).toBeUndefined();
    const fixed = nearestCorrelation(bad);
    expect(fixed.map((r, i) => r[i])).toEqual([1, 1, 1]);
    expect(Math.min(...symmetricEigen(fixed).values)).toBeGreaterThan(0);
    expect(cholesky(fixed, 0)).toBeDefined();
    // Symmetric, and no further from the input than the identity is.
    let change = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      expect(fixed[i]![j]).toBeCloseTo(fixed[j]![i]!, 12);
      change = Math.max(change, Math.abs(fixed[i]![j]! - bad[i]![j]!));
    }
    expect(change).toBeLessThan(0.9);
    expect(fixed[0]![1]).toBeGreaterThan(0);
    expect(fixed[1]![2]).toBeLessThan(0);
  });
});

describe('profile correlations', () => {
  it('are written only when asked for, and match plain-JS Pearson and Spearman over complete pairs', () => {
    expect(profileTable(p, ORIGINAL, { bins: 20, top: 10 }).correlations).toBeUndefined();
    const c = PROFILE.correlations!;
    expect(c.columns).toEqual(['id', 'age', 'income', 'visits']);
    const data = ORIGINAL.toRecords() as Record<string, number | null>[];
    const series = (name: string) => data.map((r) => r[name] ?? null);
    c.columns.forEach((a, i) =>
      c.columns.forEach((b, j) => {
        if (i === j) return expect(c.pearson[i]![j]).toBe(1);
        const [xs, ys] = complete(series(a), series(b));
        expect(c.pearson[i]![j]).toBeCloseTo(pearson(xs, ys), 9);
        expect(c.spearman[i]![j]).toBeCloseTo(spearman(xs, ys), 9);
      }),
    );
  });
});

describe('synthetic data from a profile', () => {
  it('matches each numeric column quantiles, range and null share, and keeps integers whole', () => {
    for (const name of ['age', 'income', 'visits']) {
      const want = PROFILE.columns[name]!;
      const got = SYNTH_PROFILE.columns[name]!;
      expect(got.type).toBe(want.type);
      const iqr = (want.quantiles!['0.75'] as number) - (want.quantiles!['0.25'] as number);
      for (const q of ['0.05', '0.25', '0.5', '0.75', '0.95']) expect(Math.abs((got.quantiles![q] as number) - (want.quantiles![q] as number))).toBeLessThanOrEqual(0.06 * iqr + 0.5 * Number(want.type === 'int'));
      expect(got.min).toBeGreaterThanOrEqual(want.min as number);
      expect(got.max).toBeLessThanOrEqual(want.max as number);
      expect(got.nulls / ROWS).toBeCloseTo(want.nulls / (want.nulls + want.count), 4);
      // The histogram's shape too: every bin's share within two points.
      const share = (h: { counts: number[] }) => h.counts.map((c) => c / h.counts.reduce((s, x) => s + x, 0));
      if (name === 'income') share(got.histogram!).forEach((s, k) => expect(Math.abs(s - share(want.histogram!)[k]!)).toBeLessThan(0.02));
    }
    expect(values(col(SYNTH, 'age')).every((v) => Number.isInteger(v))).toBe(true);
    // A small count: each value's share as in the original, within a point and a half.
    const visits = values(ORIGINAL.getColumn('visits').toArray() as number[]);
    const synth = values(col(SYNTH, 'visits') as number[]);
    for (let v = 0; v <= 6; v++) {
      const a = visits.filter((x) => x === v).length / visits.length;
      const b = synth.filter((x) => x === v).length / synth.length;
      expect(Math.abs(a - b)).toBeLessThan(0.015);
    }
  });

  it('draws categories and bools at their frequencies, and ids all different within their range', () => {
    const freq = (c: Profile['columns'][string]) => Object.fromEntries(c.top!.map((t) => [String(t.value), t.count / c.count]));
    for (const name of ['plan', 'active']) {
      const want = freq(PROFILE.columns[name]!);
      const got = freq(SYNTH_PROFILE.columns[name]!);
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) expect(Math.abs(got[k]! - want[k]!)).toBeLessThan(0.015);
    }
    expect(SYNTH_PROFILE.columns.plan!.nulls).toBe(Math.round((PROFILE.columns.plan!.nulls / 4000) * ROWS));
    // 20000 different ids do not fit in the original's 4000: they go past the maximum, and say so.
    expect(SYNTH_PROFILE.columns.id!.distinct).toBe(ROWS);
    expect(SYNTH.warnings.join('\n')).toContain('`id`: 20000 different integers do not fit between 5000 and 8999');
    const small = generateTable(planSynth({ profile: 'p.json', output: 'x.csv', rows: 3000 }, PROFILE), 3000, 1);
    const ids = col(small, 'id') as number[];
    expect(new Set(ids).size).toBe(3000);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(5000);
    expect(Math.max(...ids)).toBeLessThanOrEqual(8999);
  });

  it('keeps the rank correlations between numeric columns (a Gaussian copula)', () => {
    const want = PROFILE.correlations!;
    const got = SYNTH_PROFILE.correlations!;
    const at = (c: typeof want, a: string, b: string) => c.spearman[c.columns.indexOf(a)]![c.columns.indexOf(b)]!;
    expect(at(want, 'age', 'income')).toBeGreaterThan(0.7);
    for (const [a, b] of [
      ['age', 'income'],
      ['age', 'visits'],
      ['income', 'visits'],
    ] as const)
      expect(Math.abs(at(got, a, b) - at(want, a, b))).toBeLessThan(0.03);
    // Pearson follows.
    const pa = (c: typeof want) => c.pearson[c.columns.indexOf('age')]![c.columns.indexOf('income')]!;
    expect(Math.abs(pa(got) - pa(want))).toBeLessThan(0.05);
    // Without correlations in the profile, the columns are drawn apart, and the step says so.
    const { correlations: _, ...bare } = PROFILE;
    const apart = generateTable(planSynth({ profile: 'p.json', output: 'x.csv', rows: 5000 }, bare), 5000, 3);
    expect(apart.warnings.join('\n')).toContain('the profile holds no correlations');
    const [xs, ys] = complete(col(apart, 'age'), col(apart, 'income'));
    expect(Math.abs(spearman(xs, ys))).toBeLessThan(0.05);
  });

  it('is deterministic: the same seed gives the same file byte for byte, another seed another table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitml-synth-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const w: SynthWith = { profile: 'p.json', output: 'x.parquet', rows: 2000, seed: 9 };
    const hash = (file: string, seed: number) => {
      writeTable(toFrame(p, generateTable(planSynth(w, PROFILE), 2000, seed).columns), join(dir, file));
      return createHash('sha256').update(readFileSync(join(dir, file))).digest('hex');
    };
    for (const ext of ['parquet', 'csv']) {
      expect(hash(`a.${ext}`, 9)).toBe(hash(`b.${ext}`, 9));
      expect(hash(`c.${ext}`, 10)).not.toBe(hash(`a.${ext}`, 9));
    }
  });

  it('fails clearly on a file that is not a profile, and on settings naming columns it lacks', () => {
    expect(profileProblems([1, 2])).toEqual(['expected a JSON object with `rows` and `columns`']);
    expect(profileProblems({ rows: 3, columns: { a: { type: 'int', count: 3, nulls: 0, min: 'x', max: 2, quantiles: { '2': 1 } } } })).toEqual([
      'columns.a: min and max must be numbers',
      'columns.a.quantiles: expected probability -> number',
    ]);
    expect(profileProblems({ ...PROFILE, correlations: { columns: ['age'], spearman: [[2]] } })).toEqual([
      'correlations.spearman: expected a 1 x 1 matrix of numbers between -1 and 1',
    ]);
    expect(profileProblems(JSON.parse(JSON.stringify(PROFILE)))).toEqual([]);
    const label = { column: 'churned', rule: 'logistic' as const, weights: { plan: 1 } };
    expect(() => planSynth({ profile: 'p.json', output: 'x.csv', rows: 5, label }, PROFILE)).toThrow(
      new SynthPlanError('label.weights: `plan` is not an int, float or bool column; the columns it can weigh are id, age, income, visits, active'),
    );
    const corr = { columns: ['age', 'plan'] as [string, string], value: 0.5 };
    expect(() => planSynth({ profile: 'p.json', output: 'x.csv', rows: 5, correlations: [corr] }, PROFILE)).toThrow('`plan` is string');
  });

  it('repairs declared correlations that cannot hold together, with a warning', () => {
    const w: SynthWith = {
      profile: 'p.json',
      output: 'x.csv',
      rows: 4000,
      correlations: [
        { columns: ['age', 'income'], value: 0.9 },
        { columns: ['age', 'visits'], value: 0.9 },
        { columns: ['income', 'visits'], value: -0.9 },
      ],
    };
    const t = generateTable(planSynth(w, PROFILE), 4000, 5);
    expect(t.warnings.join('\n')).toMatch(/the correlations of id, age, income, visits do not form a valid correlation matrix \(not positive definite\); using the nearest one/);
    const [a, b] = complete(col(t, 'age'), col(t, 'income'));
    expect(spearman(a, b)).toBeGreaterThan(0.2);
  });
});

describe('label rules', () => {
  const plan = (label: NonNullable<SynthWith['label']>) =>
    planSynth({ profile: 'p.json', output: 'x.csv', rows: 20000, label }, { rows: 1, columns: PROFILE.columns, correlations: PROFILE.correlations });

  it('draws a logistic label with the probability its rule gives, at the place of the profiled column', () => {
    const label = { column: 'active', rule: 'logistic' as const, weights: { age: 0.08 }, bias: -4, values: ['no', 'yes'] as [string, string] };
    const t = generateTable(plan(label), 20000, 4);
    expect(t.columns.map((c) => c.name)).toEqual(['id', 'age', 'income', 'visits', 'plan', 'active']);
    const age = col(t, 'age') as number[];
    const y = col(t, 'active');
    expect(new Set(y)).toEqual(new Set(['no', 'yes']));
    const expected = mean(age.map((a) => 1 / (1 + Math.exp(-(-4 + 0.08 * a)))));
    const observed = y.filter((v) => v === 'yes').length / y.length;
    expect(Math.abs(observed - expected)).toBeLessThan(0.015);
    // Older rows are positive more often, as the weight says.
    const rate = (keep: (a: number) => boolean) => {
      const idx = age.map((a, i) => (keep(a) ? i : -1)).filter((i) => i >= 0);
      return idx.filter((i) => y[i] === 'yes').length / idx.length;
    };
    expect(rate((a) => a >= 55)).toBeGreaterThan(rate((a) => a < 35) + 0.3);
  });

  it('draws a linear label whose least-squares weight is the declared one', () => {
    const t = generateTable(plan({ column: 'score', rule: 'linear', weights: { visits: 2.5 }, bias: 1, noise: 0.5 }), 20000, 4);
    expect(t.columns.map((c) => c.name).at(-1)).toBe('score');
    const [x, y] = complete(col(t, 'visits'), col(t, 'score'));
    const mx = mean(x);
    const my = mean(y);
    const slope = x.reduce((s, v, i) => s + (v - mx) * (y[i]! - my), 0) / x.reduce((s, v) => s + (v - mx) ** 2, 0);
    expect(slope).toBeCloseTo(2.5, 1);
    expect(my - slope * mx).toBeCloseTo(1, 1);
  });
});

describe('synthetic data from declared columns', () => {
  const schema: SynthWith['schema'] = {
    height: { type: 'float', mean: 170, std: 10, min: 150, max: 200 },
    visits: { type: 'int', min: 0, max: 10 },
    spend: { type: 'float', min: 0, max: 100, quantiles: { '0.5': 10, '0.9': 50 } },
    tier: { type: 'category', values: { gold: 1, silver: 3 }, nulls: 0.1 },
    user: { type: 'string', unique: true },
    joined: { type: 'date', min: '2024-01-01', max: '2024-12-31' },
  };

  it('draws each column as declared, in name order', () => {
    const t = generateTable(planSynth({ schema, output: 'x.csv', rows: 10000 }), 10000, 2);
    expect(t.columns.map((c) => c.name)).toEqual(['height', 'joined', 'spend', 'tier', 'user', 'visits']);
    const height = col(t, 'height') as number[];
    expect(Math.min(...height)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...height)).toBeLessThanOrEqual(200);
    expect(quantile(height, 0.5)).toBeCloseTo(170, 0);
    const spend = col(t, 'spend') as number[];
    expect(quantile(spend, 0.5)).toBeCloseTo(10, 0);
    expect(Math.abs(quantile(spend, 0.9) - 50)).toBeLessThan(2);
    const visits = col(t, 'visits') as number[];
    expect(new Set(visits)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const tier = col(t, 'tier');
    expect(tier.filter((v) => v === null).length).toBe(1000);
    expect(tier.filter((v) => v === 'silver').length / 9000).toBeCloseTo(0.75, 1);
    expect(new Set(col(t, 'user')).size).toBe(10000);
    const days = col(t, 'joined') as number[];
    expect(Math.min(...days)).toBe(Date.UTC(2024, 0, 1) / 86400000);
    expect(Math.max(...days)).toBe(Date.UTC(2024, 11, 31) / 86400000);
  });

  it('says, at the setting, what a declared column or rule lacks', () => {
    const issues = checkSynthWith({
      output: 'x.csv',
      rows: 5,
      profile: 'p.json',
      schema: {
        a: { type: 'float', mean: 3 },
        b: { type: 'int', min: 0, max: 10, quantiles: { '1.5': 3 } },
        c: { type: 'string' },
        d: { type: 'date', min: '2024-02-30', max: '2024-03-01' },
        e: { type: 'bool', values: ['yes'] },
      },
      label: { column: 'y', rule: 'logistic', weights: { c: 1, zz: 2 }, noise: 1 },
      correlations: [{ columns: ['a', 'a'], value: 0.2 }],
    });
    expect(issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      ': give `profile` or `schema`, not both',
      'schema.a.std: `mean` and `std` go together: give both',
      'schema.b.quantiles.1.5: `1.5` is not a probability between 0 and 1',
      'schema.c: `c`: list its `values` (or value -> weight), or set `unique: true` for an id',
      'schema.d.min: `2024-02-30` is not a date (YYYY-MM-DD)',
      'schema.e.values.0: `yes` is not true or false',
      'correlations.0.columns: name two different columns',
      'label.weights.c: `c` is string; a weight needs an int, float or bool column',
      'label.weights.zz: `zz` is not a column of `schema`',
      'label.noise: `noise` belongs to the `linear` rule; `logistic` draws its classes at random already',
    ]);
  });
});
