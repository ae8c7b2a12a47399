import { describe, expect, it } from 'vitest';
import { fitReport } from '../../core/report/limit.js';
import { REPORT_SCHEMA, type ReportModel } from '../../core/report/model.js';

/** A report whose plots and outputs are big: each plot renders 1,000 characters, each output 300. */
function model(): ReportModel {
  return {
    schema: REPORT_SCHEMA,
    base: { name: 'main', short: 'abc1234', oid: 'abc1234'.padEnd(40, '0') },
    head: { name: 'workspace', short: 'workspace' },
    verdict: { status: 'fail', total: 1, passed: 0, failed: ['m.json:acc'] },
    gates: [],
    metrics: [{ metric: 'm.json:acc', file: 'm.json', key: 'acc', base: 0.9, head: 0.8, changed: true }],
    unchangedMetrics: 0,
    metricErrors: [],
    params: [{ file: 'params.yaml', key: 'lr', base: 0.1, head: 0.2 }],
    stages: [{ name: 'train', status: 'ran', changed: true, reasons: [], source: 'repro', durationMs: 1200 }],
    outputs: [{ path: 'model.bin', stage: 'train', change: 'modified', base: { size: 1 }, head: { size: 2 }, sizeChange: 1 }],
    plots: ['a.json', 'b.json', 'c.json'].map((path) => ({ path, title: path, template: 'line' as const, notes: [] })),
    omitted: [],
  };
}

/** A stand-in template: one block per section, sized so the tests can aim between cuts. */
function render(m: ReportModel): string {
  return [
    `VERDICT ${m.verdict.status}`,
    ...(m.omittedNote ? [m.omittedNote] : []),
    `METRICS ${m.metrics.length}`,
    ...m.params.map((p) => `PARAM ${p.key}`),
    ...m.stages.map((s) => `STAGE ${s.name}`.padEnd(200, '.')),
    ...m.outputs.map((o) => `OUTPUT ${o.path}`.padEnd(300, '.')),
    ...m.plots.map((p) => `PLOT ${p.path}`.padEnd(1000, '.')),
  ].join('\n');
}

describe('fitReport', () => {
  it('leaves a report under the limit as it is', () => {
    const r = fitReport(model(), render, { maxChars: 10_000 });
    expect(r.text).toBe(render(model()));
    expect(r.model.omitted).toEqual([]);
    expect(r.model.omittedNote).toBeUndefined();
  });

  it('leaves out plots from the last one first until the report fits, and says so', () => {
    const r = fitReport(model(), render, { maxChars: 2000 });
    expect(r.model.omitted).toEqual(['plot c.json', 'plot b.json']);
    expect(r.text.length).toBeLessThanOrEqual(2000);
    expect(r.text.split('\n').slice(0, 3)).toEqual([
      'VERDICT fail',
      '_To stay under 2000 characters, this report left out the plots `c.json`, `b.json`. The full report is in the job summary._',
      'METRICS 1',
    ]);
    expect(r.text).toContain('PLOT a.json');
  });

  it('then outputs, stages and params, never the verdict or the metrics', () => {
    const r = fitReport(model(), render, { maxChars: 300, fullReportAt: 'the summary of this job' });
    expect(r.model.omitted).toEqual(['plot c.json', 'plot b.json', 'plot a.json', 'outputs', 'stages']);
    expect(r.text).toBe(
      [
        'VERDICT fail',
        '_To stay under 300 characters, this report left out the plots `c.json`, `b.json`, `a.json` and the outputs, stages sections. The full report is in the summary of this job._',
        'METRICS 1',
        'PARAM lr',
      ].join('\n'),
    );
  });

  it('appends the note when the template does not show it', () => {
    const r = fitReport(model(), (m) => render({ ...m, omittedNote: undefined }), { maxChars: 2000 });
    expect(r.text.endsWith('\n\n_To stay under 2000 characters, this report left out the plots `c.json`, `b.json`. The full report is in the job summary._\n')).toBe(true);
    expect(r.text.length).toBeLessThanOrEqual(2000);
  });

  it('cuts at a line end, closing an open code fence, when even the verdict and metrics are too long', () => {
    const long = (m: ReportModel) => ['VERDICT', '```', ...Array.from({ length: 100 }, (_, i) => `metric row ${i}`), '```', ...(m.omittedNote ? [m.omittedNote] : [])].join('\n');
    const r = fitReport(model(), long, { maxChars: 400 });
    expect(r.text.length).toBeLessThanOrEqual(400);
    expect(r.model.omitted).toEqual(['plot c.json', 'plot b.json', 'plot a.json', 'outputs', 'stages', 'params']);
    expect(r.text.endsWith('\n')).toBe(true);
    const lines = r.text.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['VERDICT', '```', 'metric row 0']);
    expect(lines.at(-4)).toMatch(/^metric row \d+$/);
    expect(lines.slice(-3)).toEqual([
      '```',
      '',
      '_To stay under 400 characters, this report left out the plots `c.json`, `b.json`, `a.json` and the outputs, stages, params sections and cut the rest short. The full report is in the job summary._',
    ]);
  });
});
