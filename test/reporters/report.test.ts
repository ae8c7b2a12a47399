import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA, type ReportModel } from '../../core/report/model.js';
import { compileReport, renderHtmlReport, renderMarkdownReport } from '../../reporters/report.js';

function model(): ReportModel {
  return {
    schema: REPORT_SCHEMA,
    base: { name: 'main', short: 'abc1234', oid: 'abc1234'.padEnd(40, '0') },
    head: { name: 'workspace', short: 'workspace' },
    verdict: { status: 'fail', total: 2, passed: 1, failed: ['m.json:acc'] },
    gates: [
      { metric: 'm.json:acc', file: 'm.json', key: 'acc', value: 0.8, base: 0.9, checks: [], verdict: 'fail', message: 'dropped 0.1 from base 0.9 (max_drop 0.01, exceeded)' },
      { metric: 'm.json:ms', file: 'm.json', key: 'ms', value: 40, checks: [], verdict: 'pass', message: '40 <= max 50' },
    ],
    metrics: [
      { metric: 'm.json:acc', file: 'm.json', key: 'acc', base: 0.9, head: 0.8, direction: 'higher', change: 0.8 - 0.9, relative: (0.8 - 0.9) / 0.9, verdict: 'worse', precision: 3, changed: true },
      { metric: 'm.json:ms', file: 'm.json', key: 'ms', head: 40, changed: true },
      { metric: 'm.json:rows', file: 'm.json', key: 'rows', base: 100, head: 100, change: 0, relative: 0, changed: false },
    ],
    unchangedMetrics: 1,
    metricErrors: [{ side: 'base', file: 'x.json', message: 'not in main' }],
    params: [{ file: 'params.yaml', key: 'model.name', base: 'a|b', head: '<b>' }],
    stages: [
      { name: 'prepare', status: 'up-to-date', changed: false, reasons: [], source: 'lockfile', durationMs: 40 },
      { name: 'train', status: 'restored', changed: true, reasons: ['param `lr` changed'], source: 'plan', durationMs: 83_500 },
    ],
    outputs: [
      { path: 'data', stage: 'prepare', change: 'modified', base: { size: 1000, nfiles: 2 }, head: { size: 1500, nfiles: 3 }, sizeChange: 500 },
      { path: 'old.bin', stage: 'train', change: 'deleted', base: { size: 12 } },
    ],
    plots: [],
    omitted: [],
  };
}

describe('the Markdown report', () => {
  it('shows the verdict, gates, metrics, params, stages and outputs in that order', () => {
    expect(renderMarkdownReport(model(), { maxChars: 65_536 }).text).toBe(`## gitml report: \`workspace\` against \`main\`

❌ **Gates failed: 1 of 2** (\`m.json:acc\`).

| Gate | head | base | Verdict | Why |
| --- | ---: | ---: | --- | --- |
| \`m.json:acc\` | 0.8 | 0.9 | ❌ fail | dropped 0.1 from base 0.9 (max_drop 0.01, exceeded) |
| \`m.json:ms\` | 40 | — | ✅ pass | 40 &lt;= max 50 |

### Metrics

| Metric | base | head | Change | Change % | Better | Verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- |
| \`m.json:acc\` | 0.9 | 0.8 | -0.1 | -11.1% | higher | worse |
| \`m.json:ms\` | — | 40 |  |  |  |  |

1 more metric unchanged.
- ⚠️ \`x.json\` at base: not in main

### Params

| Param | base | head |
| --- | ---: | ---: |
| \`params.yaml:model.name\` | a\\|b | &lt;b> |

### Stages

| Stage | Status | Took | Why |
| --- | --- | ---: | --- |
| prepare | up to date | 0.04 s |  |
| train | restored from run-cache | 1 min 24 s | param \`lr\` changed |

### Outputs

| Output | Stage | Change | base | head |
| --- | --- | --- | ---: | ---: |
| \`data\` | prepare | modified | 1 kB, 2 files | 1.5 kB, 3 files (+500 B) |
| \`old.bin\` | train | deleted | 12 B | — |
`);
  });

  it('says when there are no gates', () => {
    const m = { ...model(), verdict: { status: 'none' as const, total: 0, passed: 0, failed: [] }, gates: [] };
    expect(renderMarkdownReport(m, { maxChars: 65_536 }).text).toContain('\n\nℹ️ No gates declared in ml.yaml.\n\n### Metrics\n');
  });

  it('renders a template a repository gives, with the same helpers', () => {
    const template = { file: 'mine.hbs', text: '{{verdict.status}}: {{#each metrics}}{{key}}={{num head precision}} {{/each}}' };
    expect(renderMarkdownReport(model(), { maxChars: 1000, template }).text).toBe('fail: acc=0.8 ms=40 rows=100 ');
  });

  it('names the file, line and column of a template that does not parse', () => {
    const bad = { file: '.ml/templates/report.md.hbs', text: '# Report\n\n{{#each metrics}}\n{{key}\n{{/each}}\n' };
    expect(() => compileReport(bad, 'md')).toThrow(/^\.ml\/templates\/report\.md\.hbs:4:6: invalid template syntax \(expecting .*\)$/);
    const unclosed = { file: 't.hbs', text: 'a\n{{#if verdict}}\nb\n' };
    expect(() => compileReport(unclosed, 'md')).toThrow(/^t\.hbs:4:\d+: invalid template syntax/);
  });
});

describe('the HTML report', () => {
  it('is one page with every value escaped and nothing fetched', async () => {
    const html = await renderHtmlReport(model());
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<td class="n">&lt;b&gt;</td>');
    expect(html).not.toContain('<b>');
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).toContain('<p class="fail"><strong>Gates failed: 1 of 2</strong> (<code>m.json:acc</code>).</p>');
  });
});
