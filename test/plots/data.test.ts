import { describe, expect, it } from 'vitest';
import { numericFields, parsePlotData, plotFormat } from '../../core/plots/data.js';

describe('parsePlotData', () => {
  it('reads a JSON list of records', () => {
    expect(parsePlotData('a.json', '[{"step": 0, "loss": 1.5}, {"step": 1, "loss": 0.75}]')).toEqual({
      records: [
        { step: 0, loss: 1.5 },
        { step: 1, loss: 0.75 },
      ],
    });
  });

  it('reads a JSON map holding one list of records, as the demo roc.json is written', () => {
    expect(parsePlotData('metrics/roc.json', '{"roc": [{"fpr": 0, "tpr": 0}, {"fpr": 1, "tpr": 1}]}')).toEqual({
      records: [
        { fpr: 0, tpr: 0 },
        { fpr: 1, tpr: 1 },
      ],
    });
  });

  it('says why a map with two lists, a list of numbers or broken JSON cannot be drawn', () => {
    expect(parsePlotData('a.json', '{"train": [], "val": []}')).toEqual({ error: expect.stringContaining('several lists (train, val)') });
    expect(parsePlotData('a.json', '[1, 2]')).toEqual({ error: expect.stringContaining('item 0 of the list is not a record') });
    expect(parsePlotData('a.json', '{"roc": [')).toEqual({ error: expect.stringMatching(/^is not valid JSON/) });
  });

  it('reads CSV with a header, numbers as numbers, quoted cells holding commas and quotes, CRLF line ends', () => {
    const csv = 'epoch,loss,note\r\n1,0.5,"warm, up"\r\n2,1e-3,"said ""ok"""\r\n3,,plain\r\n';
    expect(parsePlotData('log.csv', csv)).toEqual({
      records: [
        { epoch: 1, loss: 0.5, note: 'warm, up' },
        { epoch: 2, loss: 0.001, note: 'said "ok"' },
        { epoch: 3, loss: null, note: 'plain' },
      ],
    });
  });

  it('reads TSV and YAML', () => {
    expect(parsePlotData('x.tsv', 'a\tb\n1\tx\n')).toEqual({ records: [{ a: 1, b: 'x' }] });
    expect(parsePlotData('x.yaml', 'points:\n  - {a: 1}\n  - {a: 2}\n')).toEqual({ records: [{ a: 1 }, { a: 2 }] });
  });

  it('names the row of a CSV whose cell count does not match the header', () => {
    expect(parsePlotData('x.csv', 'a,b\n1,2\n3\n')).toEqual({ error: 'row 3 has 1 cells but the header has 2' });
  });

  it('keeps labels that merely start with digits as text', () => {
    expect(parsePlotData('x.csv', 'label,n\n3rd,1\n0x1F,2\n')).toEqual({
      records: [
        { label: '3rd', n: 1 },
        { label: '0x1F', n: 2 },
      ],
    });
  });
});

describe('plotFormat and numericFields', () => {
  it('picks the format from the extension', () => {
    expect(['a.csv', 'a.TSV', 'a.yml', 'a.yaml', 'a.json', 'a.txt'].map(plotFormat)).toEqual(['csv', 'tsv', 'yaml', 'yaml', 'json', 'json']);
  });

  it('lists fields whose values are all numbers, nulls aside, in first-seen order', () => {
    expect(numericFields([{ name: 'a', loss: 1, acc: null }, { name: 'b', loss: 2, acc: 0.5, extra: 'x' }])).toEqual(['loss', 'acc']);
  });
});
