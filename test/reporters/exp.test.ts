import { describe, expect, it } from 'vitest';
import type { ExpRow } from '../../core/commands/exp.js';
import type { Out } from '../../core/pipeline/types.js';
import { defaultSortMetric, formatExperiments, sortRows } from '../../reporters/exp.js';

/** A row as `exp show` reads it; only what the table uses is filled in. */
function row(name: string, metrics: Record<string, number>, params: Record<string, unknown>, better: Out['better']): ExpRow {
  const out = { path: 'm.json', kind: 'metric', better } as Out;
  return {
    name,
    rev: name.padEnd(7, '0').slice(0, 7),
    ...(name === 'HEAD' ? {} : { experiment: { name, oid: 'x', info: { exitCode: 0, started: '2026-01-02T03:04:05Z' } } as ExpRow['experiment'] }),
    state: { metrics: { 'm.json': metrics }, params: { 'params.yaml': params }, metricOuts: new Map([['m.json', out]]) } as unknown as ExpRow['state'],
  };
}

const PARAMS = { lr: 0.1, depth: 3, seed: 1, optimizer: 'adam-with-a-long-name', dropout: 0.5 };
function rows(better: Out['better']): ExpRow[] {
  return [
    row('HEAD', { loss: 0.5, acc: 0.8 }, PARAMS, better),
    row('a', { loss: 0.3, acc: 0.7 }, { ...PARAMS, lr: 0.2, depth: 4 }, better),
    row('b', { loss: 0.9, acc: 0.9 }, { ...PARAMS, lr: 0.3, depth: 5 }, better),
    row('c', { loss: 0.1, acc: 0.6 }, { ...PARAMS, lr: 0.4, depth: 6 }, better),
  ];
}
const names = (r: ExpRow[]) => r.map((x) => x.name);

describe('exp show sorting', () => {
  it('sorts by the first metric that declares a direction, lower-is-better turning the order around', () => {
    const lower = rows({ loss: 'lower' });
    expect(defaultSortMetric(lower)).toBe('m.json:loss');
    expect(names(sortRows(lower, defaultSortMetric(lower)!))).toEqual(['HEAD', 'c', 'a', 'b']);
    const higher = rows({ acc: 'higher' });
    expect(names(sortRows(higher, defaultSortMetric(higher)!))).toEqual(['HEAD', 'b', 'a', 'c']);
    expect(defaultSortMetric(rows(undefined))).toBeUndefined();
  });
});

describe('exp show columns', () => {
  const head = (text: string) => text.split('\n')[0]!.split(/\s+/);

  it('shows metrics, then the params that differ; --only may name a param that is the same everywhere', () => {
    const r = rows({ loss: 'lower' });
    expect(head(formatExperiments(r, 'table'))).toEqual(['Experiment', 'Rev', 'Status', 'Created', 'acc', 'loss', 'depth', 'lr']);
    expect(head(formatExperiments(r, 'table', { only: ['seed', 'loss'] }))).toEqual(['Experiment', 'Rev', 'Status', 'Created', 'seed', 'loss']);
    expect(head(formatExperiments(r, 'table', { drop: ['acc', 'params.yaml:depth'] }))).toEqual(['Experiment', 'Rev', 'Status', 'Created', 'loss', 'lr']);
    expect(() => formatExperiments(r, 'table', { drop: ['los'] })).toThrow('--drop los: no such metric or param; did you mean `loss`?');
  });

  it('fits the width: the sorted metric first, the last columns left out and counted', () => {
    const r = rows({ loss: 'lower' });
    const text = formatExperiments(r, 'table', { width: 62, sortedBy: 'loss' });
    const lines = text.trimEnd().split('\n');
    expect(head(text)).toEqual(['Experiment', 'Rev', 'Status', 'Created', 'loss', 'acc']);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(62);
    expect(lines.at(-2)).toBe('... 2 more columns: depth, lr (pick with --only/--drop)');
    expect(lines.at(-1)).toBe('3 params are the same in every row (show with --only)');
    expect(formatExperiments(r, 'table').trimEnd().split('\n').at(-1)).toBe(
      '3 params are the same in every row: dropout, optimizer, seed (show with --only)',
    );
    // Naming columns shows exactly those: nothing is counted as left out.
    expect(formatExperiments(r, 'table', { only: ['loss'] })).not.toContain('same in every row');
    // Markdown and CSV are for files and PR comments: never cut.
    expect(formatExperiments(r, 'md', { width: 20 }).split('\n')[0]).toContain('| depth | lr |');
  });
});
