import { describe, expect, it } from 'vitest';
import {
  confusionMatrix,
  confusionRecords,
  importanceRecords,
  predictedVsActualRecords,
  residualRecords,
} from '../../../../core/steps/model/metrics/index.js';
import { buildPlotSpec, resolveFields } from '../../../../core/plots/spec.js';
import { parsePlotData, type PlotRecord } from '../../../../core/plots/data.js';
import type { PlotTemplate } from '../../../../core/pipeline/types.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

/** The records as a plots file would hold them, read back the way `plots show` reads them. */
function roundTrip(records: object[]): PlotRecord[] {
  const parsed = parsePlotData('plot.json', JSON.stringify(records));
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.records;
}

const input = (template: PlotTemplate, records: PlotRecord[]) => ({
  path: 'plot.json',
  options: { template },
  series: [{ rev: 'workspace', records }],
});

describe('confusion records', () => {
  const y = f64([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2]);
  const pred = f64([0, 0, 1, 2, 1, 1, 0, 2, 2, 2, 1, 0]);

  it('are counted by the confusion template into the same matrix, zeros included', () => {
    const classes = ['cat', 'dog', 'eel'];
    const records = roundTrip(confusionRecords(y, pred, classes));
    expect(records.length).toBe(12);
    const spec = buildPlotSpec(input('confusion', records)) as unknown as {
      data: { values: { actual: string; predicted: string; count: number }[] };
    };
    const m = confusionMatrix(y, pred, 3);
    for (const cell of spec.data.values) {
      expect(cell.count).toBe(m.counts[classes.indexOf(cell.actual)]![classes.indexOf(cell.predicted)]);
    }
    expect(spec.data.values.length).toBe(9);
  });

  it('do not depend on row order', () => {
    const order = [5, 3, 11, 0, 1, 7, 2, 9, 4, 10, 6, 8];
    const shuffledY = f64(order.map((i) => y[i]!));
    const shuffledP = f64(order.map((i) => pred[i]!));
    expect(confusionRecords(shuffledY, shuffledP, ['a', 'b', 'c'])).toEqual(confusionRecords(y, pred, ['a', 'b', 'c']));
  });
});

describe('regression records', () => {
  const y = f64([1, 2, 3, 4]);
  const predicted = f64([1.5, 1.5, 3.5, 3]);

  it('give predicted against actual and residuals, drawn by the scatter template as such', () => {
    const pva = roundTrip(predictedVsActualRecords(y, predicted));
    expect(pva[1]).toEqual({ actual: 2, predicted: 1.5 });
    expect(resolveFields(input('scatter', pva))).toEqual({ x: 'actual', y: ['predicted'] });
    const res = roundTrip(residualRecords(y, predicted));
    expect(res.map((r) => r.residual)).toEqual([-0.5, 0.5, -0.5, 1]);
    expect(resolveFields(input('scatter', res))).toEqual({ x: 'predicted', y: ['residual'] });
  });

  it('are thinned evenly to the bound, first and last rows kept', () => {
    const n = 10_001;
    const big = Float64Array.from({ length: n }, (_, i) => i);
    const records = residualRecords(big, big, 101);
    expect(records.length).toBe(101);
    expect(predictedVsActualRecords(big, big, 101).map((r) => r.actual)).toEqual(Array.from({ length: 101 }, (_, i) => i * 100));
  });
});

describe('importance records', () => {
  it('list features most important first, for the bar template', () => {
    const records = importanceRecords([
      { feature: 'b', column: 0, mean: 0.1, std: 0.01, drops: [] },
      { feature: 'a', column: 1, mean: 0.3, std: 0.02, drops: [] },
      { feature: 'c', column: 2, mean: 0.1, std: 0, drops: [] },
    ]);
    expect(records.map((r) => r.feature)).toEqual(['a', 'b', 'c']);
    expect(resolveFields(input('bar', roundTrip(records)))).toEqual({ x: 'feature', y: ['importance'] });
  });
});
