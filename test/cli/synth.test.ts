import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/steps/model/random.js';
import { makeFixture } from '../helpers/fixture.js';

/**
 * A customer table as a CSV: an id, an integer and a float tied to it, a small count, a category, a region with some
 * empty cells, a sign-up day as text, and a 0/1 label that depends on the count and the tenure.
 */
function customers(n: number): string {
  const r = new Random(42);
  const plans = ['basic', 'basic', 'basic', 'plus', 'plus', 'premium'];
  const regions = ['north', 'south', 'east', 'west'];
  const lines = ['customer_id,tenure_months,monthly_spend,support_calls,plan,region,signup,churned'];
  for (let i = 0; i < n; i++) {
    const tenure = Math.max(0, Math.min(120, Math.round(40 + 25 * r.normal())));
    const spend = Math.max(5, 30 + 0.6 * tenure + 12 * r.normal());
    const calls = Math.min(9, Math.floor(-Math.log(1 - r.next()) * 1.5));
    const plan = plans[r.int(plans.length)];
    const region = r.next() < 0.05 ? '' : regions[r.int(4)];
    const day = new Date(Date.UTC(2020, 0, 1) + r.int(1200) * 86400000).toISOString().slice(0, 10);
    const churn = r.next() < 1 / (1 + Math.exp(-(-1 + 0.4 * calls - 0.03 * tenure))) ? 1 : 0;
    lines.push([1000 + i, tenure, spend.toFixed(2), calls, plan, region, day, churn].join(','));
  }
  return `${lines.join('\n')}\n`;
}

const PIPELINE = `stages:
  ingest:
    uses: gitml/data/ingest
    with: {input: raw/customers.csv, output: data/customers.parquet}
  profile:
    uses: gitml/data/profile
    with: {input: data/customers.parquet, output: reports/profile.json, correlations: true}
  synth:
    uses: gitml/data/synth
    with:
      profile: reports/profile.json
      output: data/synthetic.csv
      rows: 800
      seed: 7
      label: {column: churned, rule: logistic, weights: {support_calls: 0.4, tenure_months: -0.03}, bias: -1}
  validate:
    uses: gitml/data/validate
    with: {input: data/synthetic.csv, expectations: expectations.yaml, output: reports/synthetic-validation.json}
`;

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('gitml/data/synth', () => {
  it('ingest -> profile -> synth -> validate: synthetic rows pass the rules inferred from the original', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'raw/customers.csv': customers(800) });
    const infer = fx.gitml('data', 'infer', 'raw/customers.csv', '-o', 'expectations.yaml');
    expect(infer.code, infer.stderr).toBe(0);
    const rules = fx.read('expectations.yaml');
    // The rules are worth passing: ranges, value sets, an id, a null share and a date type.
    expect(rules).toContain('customer_id: {type: int, not_null: true, unique: true, min: 1000, max: 1799}');
    expect(rules).toContain('plan: {type: string, not_null: true, in: [basic, plus, premium]}');
    expect(rules).toMatch(/region: \{type: string, not_null: \{mostly: 0\.\d+\}, in: \[east, north, south, west\]\}/);
    expect(rules).toContain('signup: {type: date, not_null: true}');

    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('synth: 800 rows, 8 columns, 4 correlated, label `churned` (logistic) from reports/profile.json -> data/synthetic.csv');
    const report = JSON.parse(fx.read('reports/synthetic-validation.json'));
    expect(report.success).toBe(true);
    expect(report.statistics.failed).toBe(0);
    expect(report.statistics.evaluated).toBeGreaterThanOrEqual(25);

    const lines = fx.read('data/synthetic.csv').trim().split('\n');
    expect(lines[0]).toBe('customer_id,tenure_months,monthly_spend,support_calls,plan,region,signup,churned');
    expect(lines).toHaveLength(801);
    // No row is copied from the original.
    const original = new Set(fx.read('raw/customers.csv').trim().split('\n').slice(1));
    expect(lines.slice(1).filter((l) => original.has(l))).toEqual([]);
    // The synthetic table is tracked like any output; a second run is up to date.
    expect(Object.keys(fx.lock().stages.synth.outs)).toEqual(['data/synthetic.csv']);
    expect(Object.keys(fx.lock().stages.synth.deps)).toEqual(['reports/profile.json']);
    expect(fx.gitml('repro').stdout).toContain('Stage `synth` is up to date');
  });

  it('writes the same bytes for the same settings and seed, run by hand', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE.slice(0, PIPELINE.indexOf('  synth:')), 'raw/customers.csv': customers(300) });
    expect(fx.gitml('repro').code).toBe(0);
    const settings = (output: string, seed: number) => JSON.stringify({ profile: 'reports/profile.json', output, rows: 500, seed });
    for (const [out, seed] of [['a.parquet', 1], ['b.parquet', 1], ['c.parquet', 2]] as const) {
      const r = fx.gitml('step', 'synth', '--with', settings(out, seed));
      expect(r.code, r.stderr).toBe(0);
    }
    expect(sha(join(fx.dir, 'a.parquet'))).toBe(sha(join(fx.dir, 'b.parquet')));
    expect(sha(join(fx.dir, 'c.parquet'))).not.toBe(sha(join(fx.dir, 'a.parquet')));
  });

  it('points at the setting that is wrong, and rejects a file that is no profile', () => {
    const fx = makeFixture({
      'ml.yaml': `stages:
  synth:
    uses: gitml/data/synth
    with:
      output: data/synthetic.csv
      rows: 100
      schema:
        age: {type: int, min: 18}
        plan: {type: string, values: [a, b]}
      label: {column: y, rule: logistic, weights: {plan: 1}}
`,
    });
    const bad = fx.gitml('status');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'ml.yaml:8:14: stages.synth.with.schema.age: `age`: say how its values spread: `min` and `max` (even), `mean` and `std` (normal), or `quantiles` with `min` and `max`',
    );
    expect(bad.stderr).toContain('ml.yaml:10:52: stages.synth.with.label.weights.plan: `plan` is string; a weight needs an int, float or bool column');

    fx.write('profile.json', '{"rows": 3, "columns": {"a": {"type": "int", "count": "three"}}}\n');
    const notProfile = fx.gitml('step', 'synth', '--with', JSON.stringify({ profile: 'profile.json', output: 'x.csv', rows: 5 }));
    expect(notProfile.code).toBe(1);
    expect(notProfile.stderr).toContain('synth: profile.json is not a profile written by gitml/data/profile:\n  columns.a.count: expected a count\n  columns.a.nulls: expected a count');
    expect(fx.exists('x.csv')).toBe(false);
  });
});
