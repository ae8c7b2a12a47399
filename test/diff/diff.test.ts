import { describe, expect, it } from 'vitest';
import { diffOutputs, diffStages, diffValues, outputsOf } from '../../core/diff/diff.js';
import type { Lockfile } from '../../core/lockfile/lockfile.js';
import { formatValueDiff, renderTable } from '../../reporters/diff.js';

describe('diffValues', () => {
  const better = (_file: string, key: string) => (({ acc: 'higher', loss: 'lower' }) as const)[key as 'acc' | 'loss'];

  it('gives change, relative change and a verdict where a direction is declared', () => {
    const rows = diffValues({ 'm.json': { acc: 0.8, loss: 0.5, n: 10 } }, { 'm.json': { acc: 0.9, loss: 0.6, n: 12 } }, { better });
    expect(rows).toEqual([
      { file: 'm.json', key: 'acc', old: 0.8, new: 0.9, change: 0.9 - 0.8, relative: (0.9 - 0.8) / 0.8, verdict: 'better' },
      { file: 'm.json', key: 'loss', old: 0.5, new: 0.6, change: 0.6 - 0.5, relative: (0.6 - 0.5) / 0.5, verdict: 'worse' },
      { file: 'm.json', key: 'n', old: 10, new: 12, change: 2, relative: 0.2 },
    ]);
  });

  it('keeps a key missing on one side and leaves unchanged keys out unless asked', () => {
    const a = { 'm.json': { acc: 0.8, same: 1 } };
    const b = { 'm.json': { same: 1, extra: 'x' }, 'n.json': { f1: 0 } };
    expect(diffValues(a, b)).toEqual([
      { file: 'm.json', key: 'acc', old: 0.8 },
      { file: 'm.json', key: 'extra', new: 'x' },
      { file: 'n.json', key: 'f1', new: 0 },
    ]);
    expect(diffValues(a, b, { all: true }).map((r) => r.key)).toEqual(['acc', 'extra', 'same', 'f1']);
  });

  it('has no relative change from zero and a `same` verdict for equal values', () => {
    const [row] = diffValues({ f: { acc: 0 } }, { f: { acc: 0.5 } }, { better });
    expect(row?.relative).toBeUndefined();
    expect(diffValues({ f: { acc: 1 } }, { f: { acc: 1 } }, { all: true, better })[0]?.verdict).toBe('same');
  });
});

describe('formatValueDiff', () => {
  it('prints missing sides, precision, signed changes and percentages', () => {
    const rows = diffValues(
      { 'm.json': { acc: 0.812345, gone: 1 } },
      { 'm.json': { acc: 0.9 } },
      { better: () => 'higher', precision: () => 3 },
    );
    expect(formatValueDiff(rows, 'HEAD', 'workspace', 'table')).toEqual([
      'Path    Key    HEAD  workspace   Change  Change %  Better?',
      'm.json  acc   0.812        0.9  +0.0877    +10.8%  better',
      'm.json  gone      1    missing',
    ]);
  });

  it('escapes pipes in markdown cells', () => {
    expect(renderTable(['a'], [['x|y']], 'md')).toEqual(['| a |', '| --- |', '| x\\|y |']);
  });
});

describe('diffStages and diffOutputs', () => {
  const entry = (hash: string) => ({ hash: `blake3:${hash}`, size: 1 });
  const a: Lockfile = {
    schema: '1',
    stages: {
      prep: { cmd: ['a'], deps: { in: entry('1') }, outs: { mid: entry('2') } },
      old: { cmd: ['x'], deps: {}, outs: { gone: entry('3') } },
    },
  };
  const b: Lockfile = {
    schema: '1',
    stages: {
      prep: { cmd: ['a'], deps: { in: entry('9') }, outs: { mid: entry('8') }, params: { 'params.yaml': { lr: 1 } } },
      new: { cmd: ['y'], deps: {}, outs: { fresh: entry('4') } },
    },
  };

  it('names the stages added, removed and which parts of a stage changed', () => {
    expect(diffStages(a, b)).toEqual([
      { stage: 'new', change: 'added', parts: [] },
      { stage: 'old', change: 'removed', parts: [] },
      { stage: 'prep', change: 'modified', parts: ['deps', 'params', 'outs'] },
    ]);
  });

  it('lists outputs whose content changed, appeared or went', () => {
    expect(diffOutputs(outputsOf(a), outputsOf(b)).map((o) => [o.path, o.change])).toEqual([
      ['fresh', 'added'],
      ['gone', 'deleted'],
      ['mid', 'modified'],
    ]);
  });
});
