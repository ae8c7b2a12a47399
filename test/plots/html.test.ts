import { describe, expect, it } from 'vitest';
import type { PlotOptions, PlotTemplate } from '../../core/pipeline/types.js';
import type { PlotRecord } from '../../core/plots/data.js';
import { buildPlotSpec } from '../../core/plots/spec.js';
import { renderPlotsHtml, renderSvg } from '../../reporters/plots-html.js';
import { legendLabels } from './legend.js';


const ROWS: Record<PlotTemplate, [PlotRecord[], PlotRecord[]]> = {
  line: [[{ loss: 1 }, { loss: 0.5 }], [{ loss: 0.9 }, { loss: 0.3 }]],
  scatter: [[{ a: 1, b: 2 }], [{ a: 2, b: 1 }]],
  bar: [[{ cls: 'x', n: 1 }], [{ cls: 'x', n: 2 }]],
  confusion: [[{ actual: 'a', predicted: 'b' }], [{ actual: 'a', predicted: 'a' }]],
  roc: [[{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }], [{ fpr: 0, tpr: 0 }, { fpr: 0, tpr: 1 }, { fpr: 1, tpr: 1 }]],
  precision_recall: [[{ recall: 0, precision: 1 }, { recall: 1, precision: 0.5 }], [{ recall: 1, precision: 0.7 }]],
};

const chart = (template: PlotTemplate, revs = ['HEAD~1', 'workspace'], options: Partial<PlotOptions> = {}) =>
  buildPlotSpec({
    path: `plots/${template}.json`,
    options: { template, ...options },
    series: revs.map((rev, i) => ({ rev, records: ROWS[template][i % 2]! })),
  });

describe('renderSvg', () => {
  it.each(Object.keys(ROWS) as PlotTemplate[])('%s: compiles and renders without a Vega-Lite warning', async (template) => {
    const { svg, warnings } = await renderSvg(chart(template));
    expect(warnings).toEqual([]);
    expect(svg).toMatch(/^<svg [^>]*width="\d+(\.\d+)?" height="\d+(\.\d+)?"/);
  });

  it('names every revision in the legend, in the order given', async () => {
    const { svg } = await renderSvg(chart('roc', ['main', 'HEAD~1', 'workspace']));
    expect(legendLabels(svg)).toEqual(['main', 'HEAD~1', 'workspace']);
  });

  it('draws one revision without a legend, with the title and axis labels from the options', async () => {
    const { svg } = await renderSvg(chart('line', ['workspace'], { title: 'Training loss', xLabel: 'Epoch', yLabel: 'Loss' }));
    expect(svg).not.toContain('role-legend');
    for (const text of ['Training loss', 'Epoch', 'Loss']) expect(svg).toContain(`>${text}</text>`);
  });

  it('writes the counts into the cells of a confusion matrix, one facet header per revision', async () => {
    const { svg } = await renderSvg(chart('confusion'));
    expect(svg).toContain('>HEAD~1</text>');
    expect(svg).toContain('>workspace</text>');
    // Two 2x2 matrices: counts 1 and 0 are written in.
    expect((svg.match(/role-mark.*?<\/g>/gs) ?? []).join('')).toMatch(/>1<\/text>/);
  });
});

describe('renderPlotsHtml', () => {
  it('one inline <svg> per chart, each spec embedded for reuse, and nothing fetched or run', async () => {
    const charts = [
      { path: 'metrics/roc.json', spec: chart('roc'), notes: ['not in main'] },
      { path: 'metrics/<cm>.json', spec: chart('confusion') },
      { path: 'logs/loss.csv', spec: chart('line') },
    ];
    const html = await renderPlotsHtml(charts, { title: 'Plots: HEAD~1 vs workspace' });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|url\((?!#)/i);
    // Ids are page-wide: each chart's clip paths are its own.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
    expect(html).not.toContain('https://');
    expect(html).toContain('<h2>metrics/&lt;cm&gt;.json</h2>');
    expect(html).toContain('<p class="note">not in main</p>');

    const embedded = [...html.matchAll(/<pre class="spec">([^<]*)<\/pre>/g)].map((m) =>
      JSON.parse(m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')),
    );
    expect(embedded).toHaveLength(3);
    const { $schema: _, ...roc } = charts[0]!.spec as unknown as Record<string, unknown>;
    expect(embedded[0]).toEqual(roc);
  });
});
