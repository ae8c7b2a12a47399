import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../core/pipeline/parse.js';

const yml = (...lines: string[]): string => `${lines.join('\n')}\n`;
const parse = (text: string) => parsePipeline(text, () => null);

// Lines 1-7: one stage declaring metrics/eval.json with a direction for accuracy only.
const STAGES = [
  'stages:',
  '  eval:',
  '    cmd: x',
  '    metrics:',
  '      - path: metrics/eval.json',
  '        better: {accuracy: higher, p99_latency_ms: lower}',
  'gates:',
];

function problems(...gateLines: string[]) {
  const r = parse(yml(...STAGES, ...gateLines));
  expect(r.pipeline).toBeUndefined();
  return r.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.path}: ${p.message}`);
}

describe('gates in ml.yaml', () => {
  it('reads min, max and absolute or relative max_drop, with dotted keys and normalised paths', () => {
    const r = parse(
      yml(
        ...STAGES,
        '  - metric: metrics/eval.json:accuracy',
        '    min: 0.80',
        '    max_drop: 0.01',
        '  - metric: ./metrics/eval.json:p99_latency_ms',
        '    max: 50',
        '    max_drop: "2.5%"',
        '  - {metric: "metrics/eval.json:test.f1", min: 0.5}',
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.pipeline!.gates).toEqual([
      {
        metric: 'metrics/eval.json:accuracy',
        file: 'metrics/eval.json',
        key: 'accuracy',
        min: 0.8,
        maxDrop: { amount: 0.01, relative: false },
        origin: { line: 8, col: 5 },
      },
      {
        metric: 'metrics/eval.json:p99_latency_ms',
        file: 'metrics/eval.json',
        key: 'p99_latency_ms',
        max: 50,
        maxDrop: { amount: 0.025, relative: true },
        origin: { line: 11, col: 5 },
      },
      { metric: 'metrics/eval.json:test.f1', file: 'metrics/eval.json', key: 'test.f1', min: 0.5, origin: { line: 14, col: 5 } },
    ]);
  });

  it('leaves gates out of a pipeline that declares none', () => {
    expect(parse(yml(...STAGES.slice(0, -1))).pipeline).toEqual({ stages: expect.any(Array) });
  });

  it('locates an unknown metrics file, with a suggestion', () => {
    expect(problems('  - metric: metrics/evals.json:accuracy', '    min: 0.8')).toEqual([
      'ml.yaml:8:13 gates[0].metric: `metrics/evals.json` is not a metrics file of any stage; did you mean `metrics/eval.json`?',
    ]);
    expect(problems('  - metric: model.pkl:accuracy', '    min: 0.8')).toEqual([
      'ml.yaml:8:13 gates[0].metric: `model.pkl` is not a metrics file of any stage (declared: metrics/eval.json)',
    ]);
  });

  it('reports only the stage problem when the stage declaring a gated metrics file is broken', () => {
    const r = parse(
      yml(...STAGES.slice(0, 3), '    deps: [../x]', ...STAGES.slice(3), '  - {metric: "metrics/eval.json:accuracy", min: 0.8}'),
    );
    expect(r.problems.map((p) => p.path)).toEqual(['stages.eval.deps[0]']);
  });

  it('refuses max_drop on a metric with no declared direction', () => {
    expect(problems('  - metric: metrics/eval.json:f1', '    max_drop: 0.01')).toEqual([
      "ml.yaml:9:15 gates[0].max_drop: `max_drop` needs to know which way `f1` is better; declare `better: {f1: higher}` (or `lower`) on `metrics/eval.json` under the stage's `metrics:`",
    ]);
    // min and max need no direction.
    expect(parse(yml(...STAGES, '  - {metric: "metrics/eval.json:f1", min: 0.1, max: 0.9}')).problems).toEqual([]);
  });

  it('locates schema problems: bad metric form, bad max_drop, unknown key, no bound, min above max', () => {
    expect(problems('  - metric: accuracy', '    min: 0.8')).toEqual([
      'ml.yaml:8:13 gates[0].metric: must be `FILE:KEY`, a metrics file and a key in it; got `accuracy`',
    ]);
    expect(problems('  - metric: metrics/eval.json:accuracy', '    max_drop: two percent')).toEqual([
      'ml.yaml:9:15 gates[0].max_drop: must be a number or a percentage like "2%"; got `two percent`',
    ]);
    expect(problems('  - metric: metrics/eval.json:accuracy', '    max_dorp: 0.01')).toEqual([
      'ml.yaml:9:5 gates[0].max_dorp: unknown key `max_dorp`; did you mean `max_drop`?',
    ]);
    expect(problems('  - metric: metrics/eval.json:accuracy')).toEqual([
      'ml.yaml:8:5 gates[0]: a gate needs at least one of `min`, `max` or `max_drop`',
    ]);
    expect(problems('  - metric: metrics/eval.json:accuracy', '    min: 0.9', '    max: 0.8')).toEqual([
      'ml.yaml:9:10 gates[0].min: `min` (0.9) is above `max` (0.8); no value could pass',
    ]);
    expect(problems('  - metric: metrics/eval.json:accuracy', '    max_drop: -0.01')).toEqual([
      'ml.yaml:9:15 gates[0].max_drop: must be >= 0',
    ]);
  });
});
