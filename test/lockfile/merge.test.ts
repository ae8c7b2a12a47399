import { describe, expect, it } from 'vitest';
import type { Lockfile, StageLock } from '../../core/lockfile/lockfile.js';
import { mergeLockfiles } from '../../core/lockfile/merge.js';

const stage = (hash: string): StageLock => ({ cmd: ['run'], deps: {}, outs: { out: { hash: `blake3:${hash}`, size: 1 } } });
const lock = (stages: Record<string, StageLock>): Lockfile => ({ schema: '1', stages });

describe('mergeLockfiles', () => {
  const base = lock({ a: stage('a0'), b: stage('b0'), c: stage('c0') });

  it('takes each side where only it changed a stage, including additions and removals', () => {
    const ours = lock({ a: stage('a1'), b: stage('b0'), c: stage('c0'), d: stage('d1') });
    const theirs = lock({ a: stage('a0'), b: stage('b2') });
    expect(mergeLockfiles(base, ours, theirs)).toEqual({ merged: lock({ a: stage('a1'), b: stage('b2'), d: stage('d1') }), conflicts: [] });
  });

  it('accepts the same change made on both sides', () => {
    const both = lock({ a: stage('a1'), b: stage('b0'), c: stage('c0') });
    expect(mergeLockfiles(base, both, both).conflicts).toEqual([]);
  });

  it('names a stage changed differently on both sides and keeps ours for it', () => {
    const ours = lock({ a: stage('a1'), b: stage('b1'), c: stage('c0') });
    const theirs = lock({ a: stage('a2'), b: stage('b0') });
    const r = mergeLockfiles(base, ours, theirs);
    expect(r.conflicts).toEqual(['a']);
    expect(r.merged.stages).toEqual({ a: stage('a1'), b: stage('b1') });
  });

  it('treats a stage removed on one side and changed on the other as a conflict', () => {
    const r = mergeLockfiles(base, lock({ a: stage('a1'), b: stage('b0'), c: stage('c0') }), lock({ b: stage('b0'), c: stage('c0') }));
    expect(r.conflicts).toEqual(['a']);
  });
});
