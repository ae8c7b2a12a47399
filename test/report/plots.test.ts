import { describe, expect, it } from 'vitest';
import type { PlotOptions } from '../../core/pipeline/types.js';
import { resolveFields, type PlotInput } from '../../core/plots/spec.js';
import { MAX_POINTS, plotView, thin } from '../../core/report/plots.js';

function view(options: PlotOptions, base: Record<string, unknown>[] | undefined, head: Record<string, unknown>[] | undefined) {
  const series = [...(base ? [{ rev: 'main', records: base }] : []), ...(head ? [{ rev: 'workspace', records: head }] : [])];
  const input: PlotInput = { path: 'plots/p.json', options, series };
  return plotView({ input, fields: resolveFields(input), base: 'main', head: 'workspace' });
}

describe('thin', () => {
  it('keeps short series whole and thins long ones evenly, first and last kept', () => {
    expect(thin(4, 5)).toEqual([0, 1, 2, 3]);
    expect(thin(11, 5)).toEqual([0, 3, 5, 8, 10]);
    const long = thin(1000);
    expect(long).toHaveLength(MAX_POINTS);
    expect([long[0], long.at(-1)]).toEqual([0, 999]);
  });
});

describe('plotView', () => {
  it('draws a line plot as a Mermaid xychart, base under head, with its colours named', () => {
    const v = view({ template: 'line', y: ['loss'] }, [{ loss: 1 }, { loss: 0.5 }], [{ loss: 0.9 }, { loss: 0.25 }]);
    expect(v.chart!.mermaid).toBe(
      [
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#9ecae1, #1f77b4"}}}}%%',
        'xychart-beta',
        '  title "plots/p.json"',
        '  x-axis "step" ["0", "1"]',
        '  y-axis "loss"',
        '  line [1, 0.5]',
        '  line [0.9, 0.25]',
      ].join('\n'),
    );
    expect(v.chart!.series.map((s) => [s.rev, s.side, s.colorName])).toEqual([
      ['main', 'base', 'light blue'],
      ['workspace', 'head', 'blue'],
    ]);
  });

  it('thins a long series to at most 50 points, keeping the ends', () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ step: i * 10, loss: 1 / (i + 1) }));
    const chart = view({ template: 'line', y: ['loss'] }, undefined, rows).chart!;
    expect(chart.xValues).toHaveLength(50);
    expect([chart.xValues[0], chart.xValues.at(-1)]).toEqual([0, 4990]);
    expect(chart.series[0]!.values.at(-1)).toBe(1 / 500);
  });

  it('reads revisions sampled at different x off each curve at shared positions, on a 0..1 scale for ROC', () => {
    const v = view(
      { template: 'roc' },
      [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }],
      [{ fpr: 0, tpr: 0 }, { fpr: 0.5, tpr: 0.9 }, { fpr: 1, tpr: 1 }],
    );
    expect(v.chart!.xValues).toEqual([0, 0.5, 1]);
    expect(v.chart!.series.map((s) => s.values)).toEqual([
      [0, 0.5, 1],
      [0, 0.9, 1],
    ]);
    expect(v.chart!.mermaid).toContain('\n  y-axis "tpr" 0 --> 1\n');
  });

  it('draws uneven x on an even grid, since Mermaid spaces positions evenly', () => {
    const roc = [{ fpr: 0, tpr: 0 }, { fpr: 0.1, tpr: 0.6 }, { fpr: 0.2, tpr: 0.8 }, { fpr: 1, tpr: 1 }];
    const v = view({ template: 'roc' }, roc, roc);
    expect(v.chart!.xValues).toEqual([0, 1 / 3, 2 / 3, 1]);
    const [, head] = v.chart!.series.map((s) => s.values.map((y) => Number(y.toFixed(4))));
    expect(head).toEqual([0, 0.8333, 0.9167, 1]);
    expect(v.chart!.mermaid).toContain('x-axis "fpr" ["0", "0.3333", "0.6667", "1"]');
  });

  it('says when a revision covers only part of the x range', () => {
    const v = view({ template: 'line', x: 'epoch', y: ['loss'] }, [{ epoch: 1, loss: 0.9 }, { epoch: 2, loss: 0.7 }], [
      { epoch: 1, loss: 0.8 },
      { epoch: 2, loss: 0.5 },
      { epoch: 3, loss: 0.4 },
    ]);
    expect(v.chart!.series[0]!.values).toEqual([0.9, 0.7, 0.7]);
    expect(v.notes).toEqual(['loss at main covers epoch 1 to 2 only; it is drawn flat beyond']);
  });

  it('draws the head as bars and the base as a line in a bar chart', () => {
    const v = view({ template: 'bar', x: 'class', y: ['f1'] }, [{ class: 'cat', f1: 0.5 }], [{ class: 'dog', f1: 0.7 }, { class: 'cat', f1: 0.6 }]);
    expect(v.chart!.xValues).toEqual(['dog', 'cat']);
    expect(v.chart!.mermaid.split('\n').slice(-2)).toEqual(['  line [0, 0.5]', '  bar [0.7, 0.6]']);
  });

  it('counts a confusion matrix at head with the change from base', () => {
    const pairs = (p: [string, string][]) => p.map(([actual, predicted]) => ({ actual, predicted }));
    const v = view(
      { template: 'confusion' },
      pairs([['cat', 'dog'], ['dog', 'dog']]),
      pairs([['cat', 'cat'], ['dog', 'dog'], ['dog', 'dog']]),
    );
    expect(v.chart).toBeUndefined();
    expect(v.confusion!.shows).toBe('both');
    expect(v.confusion!.rows.map((r) => [r.actual, ...r.cells.map((c) => c.text)])).toEqual([
      ['cat', '1 (+1)', '0 (-1)'],
      ['dog', '0', '2 (+1)'],
    ]);
    expect(view({ template: 'confusion' }, pairs([['a', 'a']]), undefined).confusion).toMatchObject({ shows: 'base', rows: [{ cells: [{ text: '1' }] }] });
  });

  it('leaves scatter plots undrawn and says why', () => {
    const v = view({ template: 'scatter' }, undefined, [{ a: 1, b: 2 }]);
    expect(v.chart).toBeUndefined();
    expect(v.notes).toEqual(['scatter plots are not drawn here: Mermaid charts have no point marks']);
  });
});
