import { beforeAll, describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

const PIPELINE = `stages:
  eval:
    cmd: echo evaluated
    metrics:
      - path: metrics/eval.json
        better: {accuracy: higher, p99_latency_ms: lower}
gates:
  - metric: metrics/eval.json:accuracy
    min: 0.80
    max_drop: 0.01
  - metric: metrics/eval.json:p99_latency_ms
    max: 50
`;

const metrics = (accuracy: number, p99: number) => JSON.stringify({ accuracy, p99_latency_ms: p99 });
const lines = (s: string) => s.split('\n').filter(Boolean);

let fx: Fixture;

beforeAll(() => {
  fx = makeFixture({ 'ml.yaml': PIPELINE, 'metrics/eval.json': metrics(0.9, 40) });
  fx.git('add', '-A');
  fx.git('commit', '-q', '-m', 'baseline');
  fx.git('tag', 'baseline');
  fx.write('metrics/eval.json', metrics(0.895, 45));
  fx.git('commit', '-q', '-am', 'slightly worse');
});

describe('gitml gate', () => {
  it('passes when every gate holds against HEAD, one line per gate and a verdict', () => {
    const r = fx.gitml('gate');
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([
      'Metric                            workspace   HEAD  Bound                             Verdict  Why',
      'metrics/eval.json:accuracy            0.895  0.895  >= 0.8, >= 0.885 (max_drop 0.01)  pass     0.895 >= min 0.8; did not worsen from base 0.895 (max_drop 0.01)',
      'metrics/eval.json:p99_latency_ms         45     45  <= 50                             pass     45 <= max 50',
      'Gates passed: 2 of 2 (head workspace, base HEAD).',
    ]);
  });

  it('fails with exit 1 when the workspace metrics break a gate', () => {
    fx.write('metrics/eval.json', metrics(0.88, 55));
    try {
      const r = fx.gitml('gate');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^metrics\/eval\.json:accuracy .* FAIL +dropped 0\.015 from base 0\.895 \(max_drop 0\.01, exceeded\)$/m);
      expect(r.stdout).toMatch(/^metrics\/eval\.json:p99_latency_ms .* FAIL +55 > max 50$/m);
      expect(lines(r.stdout).at(-1)).toBe(
        'Gates failed: 2 of 2 (metrics/eval.json:accuracy, metrics/eval.json:p99_latency_ms) (head workspace, base HEAD).',
      );
      expect(r.stderr).toContain('2 of 2 gates failed');
    } finally {
      fx.git('checkout', '-q', '--', 'metrics/eval.json');
    }
  });

  it('compares against --base and --head revisions', () => {
    // From the baseline (0.9) to HEAD (0.895) accuracy dropped 0.005: within 0.01.
    expect(fx.gitml('gate', '--base', 'baseline', '--head', 'HEAD').code).toBe(0);
    fx.write('metrics/eval.json', metrics(0.885, 40));
    try {
      // 0.885 is 0.01 under HEAD (allowed) but 0.015 under the baseline (not allowed).
      expect(fx.gitml('gate').code).toBe(0);
      const r = fx.gitml('gate', '--base', 'baseline');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/dropped 0\.015 from base 0\.9 \(max_drop 0\.01, exceeded\)/);
    } finally {
      fx.git('checkout', '-q', '--', 'metrics/eval.json');
    }
  });

  it('prints the structured result with --json', () => {
    const r = fx.gitml('gate', '--json', '--base', 'baseline');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ verdict: 'pass', failed: 0, base: { name: 'baseline' }, head: { name: 'workspace' } });
    expect(j.gates[0]).toMatchObject({
      metric: 'metrics/eval.json:accuracy',
      value: 0.895,
      base: 0.9,
      direction: 'higher',
      verdict: 'pass',
    });
    expect(j.gates[0].checks.map((c: { kind: string; status: string }) => `${c.kind}:${c.status}`)).toEqual(['min:pass', 'max_drop:pass']);
  });

  it('prints a Markdown table with --md', () => {
    const r = fx.gitml('gate', '--md');
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([
      '**✅ Gates passed: 2 of 2 (head workspace, base HEAD).**',
      '| Metric | workspace | HEAD | Bound | Verdict | Why |',
      '| --- | ---: | ---: | --- | --- | --- |',
      '| metrics/eval.json:accuracy | 0.895 | 0.895 | >= 0.8, >= 0.885 (max_drop 0.01) | pass | 0.895 >= min 0.8; did not worsen from base 0.895 (max_drop 0.01) |',
      '| metrics/eval.json:p99_latency_ms | 45 | 45 | <= 50 | pass | 45 <= max 50 |',
    ]);
  });

  it('fails a gate whose metric is missing on the head side and skips max_drop when the base lacks it', () => {
    fx.write('metrics/eval.json', JSON.stringify({ p99_latency_ms: 10 }));
    try {
      const r = fx.gitml('gate');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/metrics\/eval\.json:accuracy is missing on the head side: key missing/);
    } finally {
      fx.git('checkout', '-q', '--', 'metrics/eval.json');
    }
    const noBase = makeFixture({ 'ml.yaml': PIPELINE, 'metrics/eval.json': metrics(0.85, 40) });
    noBase.write('README', 'x');
    noBase.git('add', 'README');
    noBase.git('commit', '-q', '-m', 'no metrics yet');
    const s = noBase.gitml('gate');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(
      /pass \(relative check skipped\) +0\.85 >= min 0\.8; max_drop 0\.01 skipped: missing on the base side \(file missing\)/,
    );
  });

  it('says when ml.yaml declares no gates, and locates a bad gate', () => {
    const none = makeFixture({ 'ml.yaml': PIPELINE.slice(0, PIPELINE.indexOf('gates:')) });
    none.git('add', '-A');
    none.git('commit', '-q', '-m', 'no gates');
    const r = none.gitml('gate');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('No gates declared in ml.yaml.');
    none.write('ml.yaml', `${PIPELINE}  - metric: metrics/other.json:x\n    min: 1\n`);
    const bad = none.gitml('gate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ml.yaml:13:13 (at workspace): gates[2].metric');
    expect(bad.stderr).toContain('`metrics/other.json` is not a metrics file of any stage');
  });
});
