import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../core/cache/run-cache.js';
import type { HashInfo } from '../../core/hash/hash-path.js';
import { toStageLock } from '../../core/lockfile/entry.js';
import type { Lockfile, StageLock } from '../../core/lockfile/lockfile.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import { lockKeyRecord, serializeStageKey, stageKeyRecord } from '../../core/plan/stage-key.js';
import { stageRows, type StageRowsInput } from '../../core/report/stages.js';
import type { ReproState } from '../../core/run/repro-state.js';

const h = (seed: string): string => `blake3:${seed.repeat(64).slice(0, 64)}`;

describe('lockKeyRecord', () => {
  it('gives the stage key record repro hashed, read back from the lock entry the run wrote', () => {
    const files: Record<string, string> = { 'src/params.yaml': 'train:\n  lr: 0.1\n  layers: [3, 4]\n' };
    const yaml = [
      'stages:',
      '  train:',
      '    cmd: python train.py --fast',
      '    wdir: src',
      '    env: {SEED: "1"}',
      '    deps: [train.py, data]',
      '    params: [train.lr, train.layers]',
      '    outs: [model.pkl, {path: report.txt, cache: false}]',
      '    metrics: [eval.json]',
      '',
    ].join('\n');
    const r = parsePipeline(yaml, (p) => files[p] ?? null);
    expect(r.problems).toEqual([]);
    const stage = r.pipeline!.stages[0]!;
    const deps = new Map<string, HashInfo>(stage.deps.map((d, i) => [d, { hash: h(String(i + 1)), size: 5 }]));
    const outs = new Map<string, HashInfo>(stage.outs.map((o, i) => [o.path, { hash: h(String.fromCharCode(97 + i)), size: 7 }]));
    const lock = toStageLock(stage, deps, outs);
    expect(serializeStageKey(lockKeyRecord(lock))).toBe(serializeStageKey(stageKeyRecord(stage, deps)));
  });

  it('gives a uses: stage its settings, as repro does', () => {
    const yaml =
      'stages:\n  split:\n    uses: gitml/data/split\n    with:\n      input: a.parquet\n      outputs: {train: t.parquet, test: s.parquet}\n      fractions: {train: 0.8, test: 0.2}\n      seed: 3\n';
    const r = parsePipeline(yaml, () => null);
    expect(r.problems).toEqual([]);
    const stage = r.pipeline!.stages[0]!;
    const deps = new Map<string, HashInfo>(stage.deps.map((d) => [d, { hash: h('d'), size: 1 }]));
    const outs = new Map<string, HashInfo>(stage.outs.map((o) => [o.path, { hash: h('e'), size: 1 }]));
    const record = lockKeyRecord(toStageLock(stage, deps, outs));
    expect(record.with).toMatchObject({ seed: 3 });
    expect(serializeStageKey(record)).toBe(serializeStageKey(stageKeyRecord(stage, deps)));
  });
});

/** A lock entry writing `out` with content `content` (its hash), reading `dep` (path and content), at `lr`. */
const entry = (out: string, opts: { content?: string; dep?: [string, string]; lr?: number } = {}): StageLock => ({
  cmd: ['run'],
  deps: opts.dep ? { [opts.dep[0]]: { hash: h(opts.dep[1][0]!), size: 3 } } : {},
  ...(opts.lr !== undefined ? { params: { 'params.yaml': { 'train.lr': opts.lr } } } : {}),
  outs: { [out]: { hash: h((opts.content ?? out)[0]!), size: 3 } },
});
const lockOf = (stages: Record<string, StageLock>): Lockfile => ({ schema: '1', stages });

/** prepare unchanged, train and eval changed, old removed at head, fresh declared but never run. */
function input(more: Partial<StageRowsInput> = {}): StageRowsInput {
  return {
    base: lockOf({ prepare: entry('a'), train: entry('b', { lr: 0.1 }), eval: entry('c', { dep: ['b', 'b'] }), old: entry('d') }),
    head: lockOf({ prepare: entry('a'), train: entry('b', { content: 'e', lr: 0.2 }), eval: entry('c', { content: 'f', dep: ['b', 'e'] }) }),
    order: ['prepare', 'train', 'eval', 'fresh'],
    keyOf: (lock) => `key:${Object.values(lock.outs)[0]!.hash.slice(7, 8)}`,
    record: (key): RunRecord | undefined => ({ 'key:a': { outs: {}, duration_ms: 40 }, 'key:e': { outs: {}, duration_ms: 1500 } })[key],
    ...more,
  };
}

const state = (stages: ReproState['stages']): ReproState => ({ schema: 1, stages });

const LR = 'param `train.lr` changed `0.1 -> 0.2`';

describe('stageRows', () => {
  it('without a plan or a repro record: unchanged stages are up to date, changed ones only changed', () => {
    expect(stageRows(input())).toEqual([
      { name: 'prepare', status: 'up-to-date', changed: false, reasons: [], source: 'lockfile', durationMs: 40 },
      { name: 'train', status: 'changed', changed: true, reasons: [LR], source: 'lockfile', durationMs: 1500 },
      { name: 'eval', status: 'changed', changed: true, reasons: ['dep `b` modified'], source: 'lockfile' },
      { name: 'fresh', status: 'not-run', changed: false, reasons: [], source: 'lockfile' },
      { name: 'old', status: 'removed', changed: true, reasons: [], source: 'lockfile' },
    ]);
  });

  it('takes ran and restored from the last repro while its stage key still matches the head', () => {
    const rows = stageRows(
      input({
        state: state({
          train: { result: 'ran', key: 'key:e', duration_ms: 1700 },
          // Made by a repro whose result is no longer what the head records.
          eval: { result: 'restored', key: 'key:z', duration_ms: 5 },
          prepare: { result: 'ran', key: 'key:a', duration_ms: 41 },
        }),
      }),
    );
    expect(rows.map((r) => [r.name, r.status, r.source, r.durationMs])).toEqual([
      ['prepare', 'up-to-date', 'lockfile', 40],
      ['train', 'ran', 'repro', 1500],
      ['eval', 'changed', 'lockfile', undefined],
      ['fresh', 'not-run', 'lockfile', undefined],
      ['old', 'removed', 'lockfile', undefined],
    ]);
  });

  it('falls back to the repro duration when the run-cache has no record of the run', () => {
    const rows = stageRows(input({ record: () => undefined, state: state({ train: { result: 'ran', key: 'key:e', duration_ms: 1700 } }) }));
    expect(rows.find((r) => r.name === 'train')).toMatchObject({ status: 'ran', durationMs: 1700 });
  });

  it('with a plan: its actions, except for stages the base already had as they are; reasons against the base', () => {
    const rows = stageRows(
      input({
        plan: [
          { name: 'prepare', action: 'run', reasons: ['forced'] },
          { name: 'train', action: 'run', reasons: ['param `train.lr` changed'] },
          { name: 'eval', action: 'restore', reasons: [] },
        ],
        // Ignored once a plan is given.
        state: state({ eval: { result: 'ran', key: 'key:f', duration_ms: 9 } }),
      }),
    );
    expect(rows.slice(0, 3)).toEqual([
      { name: 'prepare', status: 'up-to-date', changed: false, reasons: [], source: 'lockfile', durationMs: 40 },
      { name: 'train', status: 'ran', changed: true, reasons: [LR], source: 'plan', durationMs: 1500 },
      { name: 'eval', status: 'restored', changed: true, reasons: ['dep `b` modified'], source: 'plan' },
    ]);
  });
});
