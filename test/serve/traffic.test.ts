import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/steps/split.js';
import { stablePoint, TrafficPolicyError, TrafficRouter, trafficProblems, type TrafficPolicy } from '../../core/serve/traffic.js';

/** Share of each value among `picks`. */
function shares(picks: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of picks) counts[p] = (counts[p] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, n / picks.length]));
}

function expectShares(got: Record<string, number>, want: Record<string, number>, within: number): void {
  for (const [v, w] of Object.entries(want)) expect(Math.abs((got[v] ?? 0) - w), `${v}: ${got[v]} vs ${w}`).toBeLessThanOrEqual(within);
  for (const v of Object.keys(got)) expect(want, `${v} was chosen`).toHaveProperty(v);
}

const policyError = (policy: TrafficPolicy): TrafficPolicyError => {
  try {
    new TrafficRouter(policy);
  } catch (err) {
    return err as TrafficPolicyError;
  }
  throw new Error('no error');
};

describe('TrafficRouter.choose', () => {
  it('without weights, the last declared version answers every request', () => {
    const r = new TrafficRouter({ versions: ['v1', 'v2', 'v3'] }, seededRandom(1));
    expect(new Set(Array.from({ length: 1000 }, () => r.choose()))).toEqual(new Set(['v3']));
    expect(new Set(Array.from({ length: 1000 }, (_, i) => r.choose(`user-${i}`)))).toEqual(new Set(['v3']));
    expect(r.shares).toEqual({ v1: 0, v2: 0, v3: 1 });
  });

  it('100,000 random requests split by the weights within 1%, whatever their scale', () => {
    const r = new TrafficRouter({ versions: ['a', 'b', 'c'], weights: { a: 7, b: 2, c: 1 } }, seededRandom(42));
    expect(r.shares).toEqual({ a: 0.7, b: 0.2, c: 0.1 });
    const got = shares(Array.from({ length: 100_000 }, () => r.choose()));
    expectShares(got, { a: 0.7, b: 0.2, c: 0.1 }, 0.01);
  });

  it('never picks a version weighed 0 or left out of the weights', () => {
    const r = new TrafficRouter({ versions: ['old', 'a', 'zero', 'b'], weights: { a: 0.5, zero: 0, b: 0.5 } }, seededRandom(3));
    const got = shares([...Array.from({ length: 20_000 }, () => r.choose()), ...Array.from({ length: 20_000 }, (_, i) => r.choose(`k${i}`))]);
    expect(Object.keys(got).sort()).toEqual(['a', 'b']);
  });

  it('10,000 distinct keys spread by the weights within 2%', () => {
    const r = new TrafficRouter({ versions: ['control', 'treatment'], weights: { control: 0.8, treatment: 0.2 } });
    const got = shares(Array.from({ length: 10_000 }, (_, i) => r.choose(`customer-${i}`)));
    expectShares(got, { control: 0.8, treatment: 0.2 }, 0.02);
  });

  it('the same key gets the same version every time, without consuming chance, on any router with the same weights', () => {
    let calls = 0;
    const counting = () => (calls++, 0.5);
    const r = new TrafficRouter({ versions: ['a', 'b', 'c'], weights: { a: 1, b: 1, c: 1 } }, counting);
    const other = new TrafficRouter({ versions: ['a', 'b', 'c'], weights: { a: 1, b: 1, c: 1 } });
    for (const key of ['alice', 'bob', 'carol', '', 'ünïcode ✓']) {
      const picks = new Set(Array.from({ length: 100 }, () => r.choose(key)));
      expect(picks.size, key).toBe(1);
      expect(other.choose(key)).toBe([...picks][0]);
    }
    expect(calls).toBe(0);
  });

  it('ramping the last version up keeps every key that already had it', () => {
    const before = new TrafficRouter({ versions: ['v1', 'v2'], weights: { v1: 90, v2: 10 } });
    const after = new TrafficRouter({ versions: ['v1', 'v2'], weights: { v1: 80, v2: 20 } });
    const keys = Array.from({ length: 5000 }, (_, i) => `u${i}`);
    const had = keys.filter((k) => before.choose(k) === 'v2');
    expect(had.length).toBeGreaterThan(400);
    expect(had.filter((k) => after.choose(k) !== 'v2')).toEqual([]);
    expect(keys.filter((k) => after.choose(k) === 'v2').length).toBeGreaterThan(had.length + 300);
  });

  it('maps keys to stable points in [0, 1)', () => {
    expect(stablePoint('route\0alice')).toBe(stablePoint('route\0alice'));
    const points = Array.from({ length: 1000 }, (_, i) => stablePoint(String(i)));
    expect(Math.min(...points)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...points)).toBeLessThan(1);
    // Pinned: a change of hash would move every user to another version.
    expect(stablePoint('')).toBe(0xe3b0c44298fc / 2 ** 48);
  });
});

describe('TrafficRouter.mirror', () => {
  const policy: TrafficPolicy = { versions: ['v1', 'v2', 'next'], weights: { v1: 0.5, v2: 0.5 }, shadow: { version: 'next', share: 0.25 } };

  it('mirrors the shadow share of 100,000 random requests within 1%', () => {
    const r = new TrafficRouter(policy, seededRandom(7));
    let mirrored = 0;
    for (let i = 0; i < 100_000; i++) if (r.mirror(r.choose())) mirrored++;
    expect(Math.abs(mirrored / 100_000 - 0.25)).toBeLessThanOrEqual(0.01);
  });

  it('with a key: stable per key, the share of 10,000 keys within 2%, independent of the version the key answers with', () => {
    const r = new TrafficRouter(policy, () => {
      throw new Error('a keyed request must not draw');
    });
    const keys = Array.from({ length: 10_000 }, (_, i) => `session-${i}`);
    const mirrored = keys.filter((k) => r.mirror(r.choose(k), k));
    expect(Math.abs(mirrored.length / keys.length - 0.25)).toBeLessThanOrEqual(0.02);
    for (const k of keys.slice(0, 100)) expect(new Set(Array.from({ length: 100 }, () => r.mirror('v1', k))).size).toBe(1);
    // Each answering version sees about the shadow share mirrored, not all of one and none of the other.
    for (const v of ['v1', 'v2']) {
      const answered = keys.filter((k) => r.choose(k) === v);
      const share = answered.filter((k) => r.mirror(v, k)).length / answered.length;
      expect(Math.abs(share - 0.25), v).toBeLessThanOrEqual(0.03);
    }
  });

  it('never mirrors a request the shadow version answers itself, nor without a shadow', () => {
    const r = new TrafficRouter({ versions: ['v1', 'v2'], weights: { v1: 1, v2: 1 }, shadow: { version: 'v2', share: 1 } }, seededRandom(9));
    for (let i = 0; i < 1000; i++) {
      const chosen = r.choose();
      expect(r.mirror(chosen)).toBe(chosen !== 'v2');
      expect(r.mirror(chosen, `k${i}`)).toBe(chosen !== 'v2');
    }
    const plain = new TrafficRouter({ versions: ['v1', 'v2'] }, seededRandom(9));
    expect(Array.from({ length: 100 }, () => plain.mirror('v2')).some(Boolean)).toBe(false);
  });

  it('share 0 mirrors nothing and share 1 everything', () => {
    const none = new TrafficRouter({ ...policy, shadow: { version: 'next', share: 0 } }, seededRandom(1));
    const all = new TrafficRouter({ ...policy, shadow: { version: 'next', share: 1 } }, seededRandom(1));
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    expect(keys.some((k) => none.mirror('v1', k) || none.mirror('v1'))).toBe(false);
    expect(keys.every((k) => all.mirror('v1', k) && all.mirror('v1'))).toBe(true);
  });
});

describe('traffic policy errors', () => {
  it('names an unknown version in the weights and lists the declared ones', () => {
    const err = policyError({ model: 'churn', versions: ['v1', 'v2'], weights: { v1: 1, v3: 1 } });
    expect(err).toBeInstanceOf(TrafficPolicyError);
    expect(err.code).toBe('E_SERVE_CONFIG');
    expect(err.message).toBe('model churn: weights.v3: `v3` is not one of the versions (v1, v2); weigh only declared versions');
  });

  it('rejects negative, non-finite and zero-sum weights', () => {
    expect(policyError({ versions: ['a', 'b'], weights: { a: -1, b: 2 } }).message).toBe('weights.a: a weight must be a number >= 0, got -1');
    expect(policyError({ versions: ['a', 'b'], weights: { a: Number.NaN, b: 2 } }).message).toContain('weights.a: a weight must be a number >= 0');
    expect(policyError({ versions: ['a', 'b'], weights: { a: 0, b: 0 } }).message).toBe(
      'weights: the weights add up to 0, so no version would answer; give at least one version a positive weight',
    );
    expect(policyError({ versions: ['a', 'b'], weights: {} }).message).toContain('add up to 0');
  });

  it('rejects a shadow that is the only version answering, unknown, or with a share outside [0, 1]', () => {
    expect(policyError({ versions: ['v1'], shadow: { version: 'v1', share: 0.5 } }).message).toBe(
      'shadow.version: `v1` is the only version that answers, so there is nothing to compare it with; shadow a version that gets no traffic, or weigh another one',
    );
    expect(policyError({ versions: ['v1', 'v2'], shadow: { version: 'v2', share: 0.5 } }).message).toContain('`v2` is the only version that answers');
    expect(policyError({ versions: ['v1', 'v2'], weights: { v2: 1 }, shadow: { version: 'v2', share: 0.5 } }).message).toContain('only version');
    expect(policyError({ versions: ['v1', 'v2'], shadow: { version: 'v9', share: 0.5 } }).message).toBe('shadow.version: `v9` is not one of the versions (v1, v2)');
    for (const share of [-0.1, 1.5, Number.NaN])
      expect(policyError({ versions: ['v1', 'v2'], shadow: { version: 'v1', share } }).message).toMatch(/^shadow\.share: the share of requests mirrored must be between 0 and 1, got /);
  });

  it('rejects no versions and duplicates, and reports every problem at once', () => {
    expect(policyError({ versions: [] }).message).toBe('versions: a model needs at least one version to serve');
    const problems = trafficProblems({ versions: ['a', 'a', 'b'], weights: { c: 1, b: -2 }, shadow: { version: 'a', share: 2 } });
    expect(problems.map((p) => p.path)).toEqual(['versions[1]', 'weights.c', 'weights.b', 'shadow.share']);
    expect(policyError({ versions: ['a', 'a'] }).data).toEqual({ problems: [{ path: 'versions[1]', message: 'version `a` is listed twice' }] });
  });

  it('a version named like an Object property is weighed as declared', () => {
    const r = new TrafficRouter({ versions: ['constructor', 'toString'], weights: { toString: 1 } });
    expect(r.shares).toEqual({ constructor: 0, toString: 1 });
    expect(r.choose('x')).toBe('toString');
  });
});
