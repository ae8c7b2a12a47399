import { describe, expect, it } from 'vitest';
import { logLines, type LogPage } from '../../core/serve/log-lines.js';

const page = (over: Partial<LogPage> = {}): LogPage => ({
  model: 'churn',
  version: 'a',
  ids: ['r1', 'r"2'],
  ts: Float64Array.from([Date.UTC(2026, 11, 2, 5, 31, 7, 123), Date.UTC(2026, 11, 2, 5, 31, 7, 124)]),
  latencyMs: Float64Array.from([0.41234, 2]),
  start: Int32Array.from([0, 1, 3]),
  names: ['tenure', 'plan'],
  columns: [Float64Array.from([3, NaN, 7.5]), ['pro', 'free', 'a "b"']],
  label: ['yes', 'no', 'no'],
  probabilities: Float32Array.from([0.25, 0.75, 0.5, 0.5, 1, 0]),
  classes: 2,
  ...over,
});

describe('prediction log lines', () => {
  it('writes one JSON record per request with its own rows of every input and output', () => {
    const text = logLines(page());
    expect(text.every((l) => l.endsWith('}\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const lines = text.map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        id: 'r1',
        ts: '2026-12-02T05:31:07.123Z',
        model: 'churn',
        version: 'a',
        inputs: { tenure: [3], plan: ['pro'] },
        outputs: { label: ['yes'], probabilities: [0.25, 0.75] },
        latency_ms: 0.412,
      },
      {
        id: 'r"2',
        ts: '2026-12-02T05:31:07.124Z',
        model: 'churn',
        version: 'a',
        inputs: { tenure: [null, 7.5], plan: ['free', 'a "b"'] },
        outputs: { label: ['no', 'no'], probabilities: [0.5, 0.5, 1, 0] },
        latency_ms: 2,
      },
    ]);
  });

  it('writes regression values and anomaly scores, and a non-finite one as null', () => {
    const lines = (p: LogPage) => logLines(p).map((l) => JSON.parse(l).outputs);
    const base = { label: undefined, probabilities: undefined, classes: 0 } as const;
    const { label: _l, probabilities: _p, ...rest } = page();
    expect(lines({ ...rest, ...base, value: Float64Array.from([1.5, Infinity, -2]) })).toEqual([{ value: [1.5] }, { value: [null, -2] }]);
    expect(lines({ ...rest, ...base, score: Float32Array.from([0.5, 0.25, NaN]) })).toEqual([{ score: [0.5] }, { score: [0.25, null] }]);
  });
});
