import { describe, expect, it } from 'vitest';
import { mergeReproState, parseReproState } from '../../core/run/repro-state.js';

describe('the repro state', () => {
  it('keeps the entries of stages a later repro found up to date, and replaces those it made again', () => {
    const first = mergeReproState(undefined, new Map([
      ['prepare', { result: 'ran' as const, key: 'blake3:a', duration_ms: 40 }],
      ['train', { result: 'ran' as const, key: 'blake3:b', duration_ms: 900 }],
    ]));
    const second = mergeReproState(first, new Map([['train', { result: 'restored' as const, key: 'blake3:c', duration_ms: 3 }]]));
    expect(second).toEqual({
      schema: 1,
      stages: { prepare: { result: 'ran', key: 'blake3:a', duration_ms: 40 }, train: { result: 'restored', key: 'blake3:c', duration_ms: 3 } },
    });
  });

  it('reads what it can of a damaged file and nothing of a foreign one', () => {
    expect(parseReproState({ schema: 2, stages: {} })).toBeUndefined();
    expect(parseReproState([])).toBeUndefined();
    expect(
      parseReproState({
        schema: 1,
        stages: { a: { result: 'ran', key: 'k', duration_ms: 1 }, b: { result: 'skipped', key: 'k', duration_ms: 1 }, c: { result: 'ran', key: 'k', duration_ms: -1 } },
      }),
    ).toEqual({ schema: 1, stages: { a: { result: 'ran', key: 'k', duration_ms: 1 } } });
  });
});
