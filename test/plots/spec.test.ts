import { describe, expect, it } from 'vitest';
import type { PlotOptions } from '../../core/pipeline/types.js';
import type { PlotRecord } from '../../core/plots/data.js';
import { PlotDataError, PlotFieldError } from '../../core/plots/errors.js';
import { buildPlotSpec, fieldRef, resolveFields, type PlotSeries } from '../../core/plots/spec.js';

// Specs are plain JSON; tests read them as such.
type Any = any;

function spec(path: string, options: PlotOptions, series: PlotSeries[], notes?: string[]): Any {
  return buildPlotSpec({ path, options, series, ...(notes ? { notes } : {}) });
}

const two = (a: PlotRecord[], b: PlotRecord[]): PlotSeries[] => [
  { rev: 'HEAD~1', records: a },
  { rev: 'workspace', records: b },
];

describe('line template', () => {
  const old = [{ loss: 1.0, acc: 0.5 }, { loss: 0.5, acc: 0.7 }];
  const now = [{ loss: 0.8, acc: 0.6 }, { loss: 0.4, acc: 0.8 }, { loss: 0.2, acc: 0.9 }];

  it('draws the first numeric field against the row index, one coloured series per revision', () => {
    const s = spec('train/log.json', { template: 'line' }, two(old, now));
    expect(s.mark.type).toBe('line');
    expect(s.encoding.x).toMatchObject({ field: 'step', type: 'quantitative', title: 'step' });
    expect(s.encoding.y).toMatchObject({ field: 'loss', type: 'quantitative', title: 'loss' });
    expect(s.encoding.color).toMatchObject({ field: 'rev', title: 'revision', scale: { domain: ['HEAD~1', 'workspace'] } });
    expect(s.data.values).toEqual([
      { loss: 1.0, acc: 0.5, rev: 'HEAD~1', step: 0 },
      { loss: 0.5, acc: 0.7, rev: 'HEAD~1', step: 1 },
      { loss: 0.8, acc: 0.6, rev: 'workspace', step: 0 },
      { loss: 0.4, acc: 0.8, rev: 'workspace', step: 1 },
      { loss: 0.2, acc: 0.9, rev: 'workspace', step: 2 },
    ]);
    expect(s.title).toBe('train/log.json');
  });

  it('has no colour legend for a single revision', () => {
    const s = spec('log.json', { template: 'line' }, [{ rev: 'workspace', records: now }]);
    expect(s.encoding.color).toBeUndefined();
    expect(s.description).toContain('workspace');
  });

  it('takes x, y, title and axis labels from the options; several y fields are folded and told apart by dash', () => {
    const rows = [{ epoch: 1, loss: 1, acc: 0.5 }, { epoch: 2, loss: 0.5, acc: 0.7 }];
    const s = spec('log.json', { template: 'line', x: 'epoch', y: ['loss', 'acc'], title: 'Training', xLabel: 'Epoch', yLabel: 'Value' }, two(rows, rows));
    expect(s.title).toBe('Training');
    expect(s.encoding.x).toMatchObject({ field: 'epoch', title: 'Epoch' });
    expect(s.encoding.y).toMatchObject({ field: 'value', title: 'Value' });
    expect(s.transform).toEqual([{ fold: ['loss', 'acc'], as: ['field', 'value'] }]);
    expect(s.encoding.color.field).toBe('rev');
    expect(s.encoding.strokeDash).toMatchObject({ field: 'field', scale: { domain: ['loss', 'acc'] } });
    // Points are joined in file order (the row index `step`), not sorted by x.
    expect(s.encoding.order).toEqual({ field: 'step', type: 'quantitative' });
    expect(s.data.values[1]).toEqual({ epoch: 2, loss: 0.5, acc: 0.7, rev: 'HEAD~1', step: 1 });
  });

  it('colours by field when one revision has several y fields', () => {
    const s = spec('log.json', { template: 'line', y: ['loss', 'acc'] }, [{ rev: 'workspace', records: old }]);
    expect(s.encoding.color).toMatchObject({ field: 'field', title: 'field' });
  });

  it('puts notes (a revision the file is missing at) under the title', () => {
    const s = spec('log.json', { template: 'line', title: 'Loss' }, [{ rev: 'workspace', records: now }], ['not in HEAD~1']);
    expect(s.title).toEqual({ text: 'Loss', subtitle: ['not in HEAD~1'] });
  });
});

describe('roc and precision_recall templates', () => {
  it('roc: fpr against tpr on [0, 1], the diagonal drawn under the curves', () => {
    const a = [{ fpr: 0, tpr: 0, threshold: 1 }, { fpr: 0.2, tpr: 0.7, threshold: 0.5 }, { fpr: 1, tpr: 1, threshold: 0 }];
    const b = [{ fpr: 0, tpr: 0, threshold: 1 }, { fpr: 0.1, tpr: 0.8, threshold: 0.5 }, { fpr: 1, tpr: 1, threshold: 0 }];
    const s = spec('metrics/roc.json', { template: 'roc', title: 'ROC' }, [
      { rev: 'main', records: a },
      { rev: 'workspace', records: b },
    ]);
    expect(s.title).toBe('ROC');
    const [diagonal, curves] = s.layer;
    expect(diagonal.data.values).toEqual([{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }]);
    expect(diagonal.mark.strokeDash).toBeDefined();
    expect(curves.encoding.x).toMatchObject({ field: 'fpr', scale: { domain: [0, 1] } });
    expect(curves.encoding.y).toMatchObject({ field: 'tpr', scale: { domain: [0, 1] } });
    expect(curves.encoding.color.scale.domain).toEqual(['main', 'workspace']);
    // Drawn in file order, so vertical steps at one fpr stay in place.
    expect(curves.encoding.order).toEqual({ field: 'step', type: 'quantitative' });
    expect(s.data.values.filter((v: Any) => v.rev === 'workspace').map((v: Any) => [v.fpr, v.tpr])).toEqual([
      [0, 0],
      [0.1, 0.8],
      [1, 1],
    ]);
  });

  it('precision_recall: recall on x, precision on y, no diagonal', () => {
    const s = spec('pr.json', { template: 'precision_recall' }, [{ rev: 'workspace', records: [{ recall: 0, precision: 1 }, { recall: 1, precision: 0.5 }] }]);
    expect(s.layer).toBeUndefined();
    expect(s.encoding.x.field).toBe('recall');
    expect(s.encoding.y.field).toBe('precision');
  });
});

describe('scatter and bar templates', () => {
  it('scatter: the first two numeric fields, filled points', () => {
    const rows = [{ name: 'a', size: 1, time: 2 }, { name: 'b', size: 3, time: 5 }];
    const s = spec('s.json', { template: 'scatter' }, two(rows, rows));
    expect(s.mark).toEqual({ type: 'point', filled: true });
    expect([s.encoding.x.field, s.encoding.y.field]).toEqual(['size', 'time']);
    expect(s.encoding.color.field).toBe('rev');
  });

  it('bar: a category on x in file order, bars of each revision side by side', () => {
    const s = spec('b.json', { template: 'bar' }, two([{ cls: 'b', n: 3 }, { cls: 'a', n: 5 }], [{ cls: 'b', n: 4 }, { cls: 'a', n: 2 }]));
    expect(s.mark).toEqual({ type: 'bar' });
    expect(s.encoding.x).toMatchObject({ field: 'cls', type: 'nominal', sort: null });
    expect(s.encoding.y).toMatchObject({ field: 'n', type: 'quantitative' });
    expect(s.encoding.xOffset).toMatchObject({ field: 'rev', sort: ['HEAD~1', 'workspace'] });
    expect(s.data.values.map((v: Any) => `${v.rev}:${v.cls}=${v.n}`)).toEqual(['HEAD~1:b=3', 'HEAD~1:a=5', 'workspace:b=4', 'workspace:a=2']);
  });
});

describe('confusion template', () => {
  const a = [
    { actual: 'cat', predicted: 'cat' },
    { actual: 'cat', predicted: 'dog' },
    { actual: 'dog', predicted: 'dog' },
  ];
  const b = [
    { actual: 'cat', predicted: 'cat' },
    { actual: 'cat', predicted: 'cat' },
    { actual: 'dog', predicted: 'cat' },
  ];

  it('counts actual x predicted per revision, zeros included, one facet per revision with counts written in', () => {
    const s = spec('cm.json', { template: 'confusion' }, two(a, b));
    const cells = (rev: string) =>
      Object.fromEntries(s.data.values.filter((v: Any) => v.rev === rev).map((v: Any) => [`${v.actual}->${v.predicted}`, v.count]));
    expect(cells('HEAD~1')).toEqual({ 'cat->cat': 1, 'cat->dog': 1, 'dog->cat': 0, 'dog->dog': 1 });
    expect(cells('workspace')).toEqual({ 'cat->cat': 2, 'cat->dog': 0, 'dog->cat': 1, 'dog->dog': 0 });
    expect(s.facet.column).toMatchObject({ field: 'rev', sort: ['HEAD~1', 'workspace'] });
    const [rect, text] = s.spec.layer;
    expect(rect.mark).toBe('rect');
    expect(rect.encoding.x).toMatchObject({ field: 'predicted', sort: ['cat', 'dog'] });
    expect(rect.encoding.y).toMatchObject({ field: 'actual', sort: ['cat', 'dog'] });
    expect(rect.encoding.color.field).toBe('count');
    expect(text.encoding.text.field).toBe('count');
  });

  it('sorts numeric labels numerically and reads other field names from x and y', () => {
    const rows = [{ y_true: 10, y_pred: 2 }, { y_true: 2, y_pred: 2 }];
    const s = spec('cm.csv', { template: 'confusion', x: 'y_pred', y: ['y_true'] }, [{ rev: 'workspace', records: rows }]);
    expect(s.spec.layer[0].encoding.y).toMatchObject({ field: 'y_true', sort: ['2', '10'] });
    expect(s.data.values.find((v: Any) => v.y_true === '10' && v.y_pred === '2').count).toBe(1);
  });
});

describe('field errors', () => {
  it('a y field missing at one revision names the file, the revision and the fields it has', () => {
    const build = () => spec('log.csv', { template: 'line', y: ['los'] }, two([{ loss: 1 }], [{ loss: 1 }]));
    expect(build).toThrow(PlotFieldError);
    expect(build).toThrow('log.csv at HEAD~1 has no field `los` (named by `y` in ml.yaml); its fields are `loss`; did you mean `loss`?');
  });

  it('a template default missing is an error too, checked at every revision', () => {
    let err: Any;
    try {
      spec('roc.json', { template: 'roc' }, two([{ fpr: 0, recall: 1 }], [{ fpr: 0, tpr: 1 }]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlotFieldError);
    expect(err.code).toBe('E_PLOT_FIELD');
    expect(err.exitCode).toBe(2);
    expect(err.data).toMatchObject({ path: 'roc.json', rev: 'HEAD~1', field: 'tpr', available: ['fpr', 'recall'] });
    expect(err.message).toContain("the roc template's default y");
  });

  it('draws every numeric field every revision has when a step declares `y: []`', () => {
    const series: PlotSeries[] = [
      { rev: 'main', records: [{ epoch: 1, loss: 0.9, accuracy: 0.5, label: 'a' }] },
      { rev: 'workspace', records: [{ epoch: 1, loss: 0.8, val_loss: 0.85, accuracy: 0.6 }] },
    ];
    // val_loss is only at head: drawing it would fail the base.
    expect(resolveFields({ path: 'h.json', options: { template: 'line', x: 'epoch', y: [] }, series })).toEqual({ x: 'epoch', y: ['loss', 'accuracy'] });
    expect(() => resolveFields({ path: 'h.json', options: { template: 'line', y: [] }, series: [{ rev: 'w', records: [{ a: 'x' }] }] })).toThrow(PlotDataError);
  });

  it('a line chart of a file without numbers says so', () => {
    expect(() => resolveFields({ path: 'x.json', options: { template: 'line' }, series: [{ rev: 'workspace', records: [{ a: 'x' }] }] })).toThrow(PlotDataError);
  });
});

describe('fieldRef', () => {
  it('escapes dots and brackets so a CSV column `acc.top1` is not read as nested', () => {
    expect(fieldRef('acc.top1')).toBe('acc\\.top1');
    expect(fieldRef('a[0]')).toBe('a\\[0\\]');
  });
});
