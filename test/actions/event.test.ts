import { describe, expect, it } from 'vitest';
import { baseRevisionOf, pullRequestOf } from '../../actions/shared/event.js';
import { parsePlan, parseStages, toMatrix } from '../../actions/shared/plan.js';

const event = (headRepo: string | null, baseRepo = 'acme/churn') => ({
  action: 'synchronize',
  number: 7,
  pull_request: {
    number: 7,
    head: { sha: 'h'.repeat(40), ref: 'tune-lr', repo: headRepo === null ? null : { full_name: headRepo, fork: headRepo !== baseRepo } },
    base: { sha: 'b'.repeat(40), ref: 'main', repo: { full_name: baseRepo, fork: false } },
  },
});

describe('pullRequestOf', () => {
  it('reads a same-repository pull request', () => {
    expect(pullRequestOf(event('acme/churn'), 'acme/churn')).toEqual({
      number: 7,
      headSha: 'h'.repeat(40),
      baseSha: 'b'.repeat(40),
      headRepo: 'acme/churn',
      fromFork: false,
    });
  });

  it('knows a fork, including a deleted one, by the head repository', () => {
    expect(pullRequestOf(event('mallory/churn'), 'acme/churn')?.fromFork).toBe(true);
    expect(pullRequestOf(event(null), 'acme/churn')?.fromFork).toBe(true);
    // A branch of a repository that is itself a fork is not a fork pull request.
    const inFork = event('acme/churn');
    inFork.pull_request.head.repo!.fork = true;
    expect(pullRequestOf(inFork, 'acme/churn')?.fromFork).toBe(false);
  });

  it('is undefined for other events', () => {
    expect(pullRequestOf({ ref: 'refs/heads/main' }, 'acme/churn')).toBeUndefined();
    expect(pullRequestOf(null, 'acme/churn')).toBeUndefined();
  });
});

describe('baseRevisionOf', () => {
  it('is the base commit of a pull request, or the commit before a push', () => {
    expect(baseRevisionOf(event('acme/churn'), 'acme/churn')).toBe('b'.repeat(40));
    expect(baseRevisionOf({ before: 'c'.repeat(40) }, 'acme/churn')).toBe('c'.repeat(40));
    expect(baseRevisionOf({ before: '0'.repeat(40) }, 'acme/churn')).toBeUndefined();
  });
});

describe('plan JSON', () => {
  const plan = {
    has_work: true,
    stages: [{ name: 'train', action: 'run', reasons: ['params changed: train.lr'] }],
    groups: [{ name: 'train', stages: ['train', 'evaluate'], runs_on: ['self-hosted', 'gpu'], resources: { gpu: 1, labels: [] } }],
  };

  it('becomes a matrix with one entry per group', () => {
    expect(toMatrix(parsePlan(JSON.stringify(plan), 'plan'))).toEqual({
      include: [{ name: 'train', stages: ['train', 'evaluate'], runs_on: ['self-hosted', 'gpu'] }],
    });
  });

  it('says what is wrong with output that is not a plan', () => {
    expect(() => parsePlan('gitml: unknown command', 'gitml plan --json')).toThrow(/gitml plan --json did not print JSON/);
    expect(() => parsePlan('{"stages": []}', 'gitml plan --json')).toThrow(/without has_work/);
  });
});

describe('parseStages', () => {
  it('reads a JSON array or a list of names', () => {
    expect(parseStages('["train","evaluate"]')).toEqual(['train', 'evaluate']);
    expect(parseStages(' train, evaluate ')).toEqual(['train', 'evaluate']);
  });

  it('rejects an empty or malformed list', () => {
    expect(() => parseStages('')).toThrow(/names no stages/);
    expect(() => parseStages('[1]')).toThrow(/names no stages/);
    expect(() => parseStages('["a"')).toThrow(/not a JSON array/);
  });
});
