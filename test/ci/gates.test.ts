import { describe, expect, it } from 'vitest';
import { evaluateGates, type GateInputs } from '../../core/ci/gates.js';
import type { GateSpec } from '../../core/pipeline/types.js';

const F = 'metrics/eval.json';
const spec = (key: string, bounds: Partial<GateSpec>): GateSpec => ({
  metric: `${F}:${key}`,
  file: F,
  key,
  origin: { line: 1, col: 1 },
  ...bounds,
});
const better: Record<string, 'higher' | 'lower'> = { accuracy: 'higher', p99_latency_ms: 'lower' };

function run(gates: GateSpec[], head: Record<string, unknown>, base: Record<string, unknown> | undefined, more: Partial<GateInputs> = {}) {
  return evaluateGates({
    gates,
    direction: (_f, k) => better[k],
    head: { [F]: head },
    base: base ? { [F]: base } : {},
    ...more,
  });
}

describe('evaluateGates', () => {
  it('passes with no gates', () => {
    expect(run([], {}, {})).toEqual({ gates: [], verdict: 'pass', failed: 0 });
  });

  it('checks absolute min and max', () => {
    const gates = [spec('accuracy', { min: 0.8 }), spec('p99_latency_ms', { max: 50 })];
    expect(run(gates, { accuracy: 0.85, p99_latency_ms: 50 }, {}).verdict).toBe('pass');
    const r = run(gates, { accuracy: 0.79, p99_latency_ms: 51 }, {});
    expect(r.verdict).toBe('fail');
    expect(r.failed).toBe(2);
    expect(r.gates.map((g) => [g.verdict, g.message])).toEqual([
      ['fail', '0.79 < min 0.8'],
      ['fail', '51 > max 50'],
    ]);
  });

  it('allows an absolute max_drop on a higher-is-better metric, counting a drop of exactly the limit as allowed', () => {
    const g = [spec('accuracy', { maxDrop: { amount: 0.01, relative: false } })];
    expect(run(g, { accuracy: 0.9 }, { accuracy: 0.91 }).verdict).toBe('pass');
    const r = run(g, { accuracy: 0.89 }, { accuracy: 0.91 });
    expect(r.verdict).toBe('fail');
    expect(r.gates[0]!.checks[0]).toMatchObject({ kind: 'max_drop', op: '>=', status: 'fail', limit: '0.01' });
    expect(r.gates[0]!.checks[0]!.bound).toBeCloseTo(0.9);
    expect(r.gates[0]!.message).toBe('dropped 0.02 from base 0.91 (max_drop 0.01, exceeded)');
    // A rise is never a drop.
    expect(run(g, { accuracy: 0.99 }, { accuracy: 0.91 }).gates[0]!.message).toBe('did not worsen from base 0.91 (max_drop 0.01)');
  });

  it('reads a relative max_drop against the base value', () => {
    const g = [spec('accuracy', { maxDrop: { amount: 0.02, relative: true } })];
    expect(run(g, { accuracy: 0.785 }, { accuracy: 0.8 }).verdict).toBe('pass'); // -1.9%
    const r = run(g, { accuracy: 0.78 }, { accuracy: 0.8 }); // -2.5%
    expect(r.verdict).toBe('fail');
    expect(r.gates[0]!.checks[0]!.limit).toBe('2%');
    expect(r.gates[0]!.checks[0]!.bound).toBeCloseTo(0.784);
  });

  it('treats max_drop on a lower-is-better metric as a maximum rise', () => {
    const g = [spec('p99_latency_ms', { maxDrop: { amount: 0.1, relative: true } })];
    expect(run(g, { p99_latency_ms: 30 }, { p99_latency_ms: 40 }).verdict).toBe('pass');
    expect(run(g, { p99_latency_ms: 44 }, { p99_latency_ms: 40 }).verdict).toBe('pass');
    const r = run(g, { p99_latency_ms: 45 }, { p99_latency_ms: 40 });
    expect(r.verdict).toBe('fail');
    expect(r.gates[0]!.checks[0]).toMatchObject({ op: '<=', bound: 44, status: 'fail' });
    expect(r.gates[0]!.message).toBe('rose 5 from base 40 (max_drop 10%, exceeded)');
  });

  it('fails a gate whose metric is missing on the head side, and says so', () => {
    const g = [spec('accuracy', { min: 0.8, maxDrop: { amount: 0.01, relative: false } })];
    const r = run(g, { other: 1 }, { accuracy: 0.9 });
    expect(r.gates[0]).toMatchObject({ verdict: 'fail', base: 0.9, message: `${F}:accuracy is missing on the head side: key missing` });
    expect(r.gates[0]!.checks.map((c) => c.status)).toEqual(['fail', 'fail']);
    const noFile = evaluateGates({
      gates: g,
      direction: () => 'higher',
      head: {},
      base: {},
      headErrors: { [F]: 'does not exist; run `gitml repro eval`' },
    });
    expect(noFile.gates[0]!.message).toBe(`${F}:accuracy is missing on the head side: ${F} does not exist; run \`gitml repro eval\``);
    expect(run(g, { accuracy: 'high' }, {}).gates[0]!.message).toMatch(/not a finite number \("high"\)/);
  });

  it('skips only the relative check when the base side lacks the metric, and says so', () => {
    const g = [spec('accuracy', { min: 0.8, maxDrop: { amount: 0.01, relative: false } })];
    const pass = run(g, { accuracy: 0.85 }, undefined, { baseErrors: { [F]: 'not in main' } });
    expect(pass.verdict).toBe('pass');
    expect(pass.gates[0]!.checks.map((c) => c.status)).toEqual(['pass', 'skip']);
    expect(pass.gates[0]!.message).toBe('0.85 >= min 0.8; max_drop 0.01 skipped: missing on the base side (not in main)');
    const fail = run(g, { accuracy: 0.75 }, {});
    expect(fail.verdict).toBe('fail');
    expect(fail.gates[0]!.checks.map((c) => c.status)).toEqual(['fail', 'skip']);
  });

  it('checks min and max without a direction, but fails max_drop without one', () => {
    const direction = () => undefined;
    const base = { [F]: { n: 100 } };
    expect(evaluateGates({ gates: [spec('n', { min: 10, max: 1000 })], direction, head: { [F]: { n: 90 } }, base }).verdict).toBe('pass');
    const r = evaluateGates({
      gates: [spec('n', { maxDrop: { amount: 1, relative: false } })],
      direction,
      head: { [F]: { n: 100 } },
      base,
    });
    expect(r.gates[0]).toMatchObject({ verdict: 'fail', message: 'max_drop needs a `better:` direction for this metric' });
  });

  it('reads nested metrics through their dotted keys', () => {
    const r = evaluateGates({
      gates: [spec('test.f1', { min: 0.5 })],
      direction: () => undefined,
      head: { [F]: { 'test.f1': 0.6 } },
      base: {},
    });
    expect(r.gates[0]).toMatchObject({ verdict: 'pass', value: 0.6 });
  });
});
