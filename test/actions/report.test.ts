import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/action.js';
import { makeFixture, type Fixture } from '../helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from '../helpers/github/server.js';
import { pullRequestEvent } from '../helpers/pull-request-event.js';

const BOT = 'github-actions[bot]';
const TOKENS = {
  'bot-token': { login: BOT, type: 'Bot' as const, write: true, installation: true },
  'read-only': { login: BOT, type: 'Bot' as const, write: false, installation: true },
};
const MARKER = '<!-- gitml report: . -->';

// metrics.mjs writes `accuracy` from params.yaml, plus `extra` other keys (to make a report too long for a comment).
const METRICS_SCRIPT = `import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
const [acc, extra] = process.argv.slice(2).map(Number);
const m = { accuracy: acc };
for (let i = 0; i < extra; i++) m['detail_' + String(i).padStart(5, '0')] = acc * (i + 1);
mkdirSync('metrics', { recursive: true });
writeFileSync('metrics/eval.json', JSON.stringify(m));
`;
const pipeline = (gate: string) => `stages:
  train:
    cmd: node metrics.mjs \${train.acc} \${train.extra}
    deps: [metrics.mjs]
    metrics:
      - path: metrics/eval.json
        better: {accuracy: higher}
gates:
  - metric: metrics/eval.json:accuracy
${gate}
`;

/** A repository whose main branch has accuracy 0.90 and whose pull-request branch has `acc`, reproduced. */
function repository(acc: number, opts: { extra?: number; gate?: string } = {}): { fx: Fixture; base: string; head: string } {
  const fx = makeFixture({
    'metrics.mjs': METRICS_SCRIPT,
    'ml.yaml': pipeline(opts.gate ?? '    min: 0.8\n    max_drop: 0.01'),
    'params.yaml': `train:\n  acc: 0.9\n  extra: ${opts.extra ?? 0}\n`,
  });
  expect(fx.gitml('init', '-q').code).toBe(0);
  expect(fx.gitml('repro', '-q').code).toBe(0);
  fx.git('add', '-A');
  fx.git('commit', '-qm', 'base');
  const base = fx.git('rev-parse', 'HEAD').trim();
  fx.git('checkout', '-qb', 'tune-lr');
  fx.write('params.yaml', `train:\n  acc: ${acc}\n  extra: ${opts.extra ?? 0}\n`);
  expect(fx.gitml('repro', '-q').code).toBe(0);
  fx.git('commit', '-qam', 'tune');
  return { fx, base, head: fx.git('rev-parse', 'HEAD').trim() };
}

let gh: GitHubServer;
beforeAll(async () => {
  gh = await startGitHubServer({ tokens: TOKENS, repos: [{ owner: 'acme', repo: 'churn' }] });
});
afterAll(() => gh.close());

function report(r: { fx: Fixture; base: string; head: string }, opts: { token?: string; inputs?: Record<string, string>; fork?: string; number?: number } = {}) {
  return runAction('report', {
    workspace: r.fx.dir,
    event: pullRequestEvent({ headSha: r.head, baseSha: r.base, number: opts.number ?? 7, ...(opts.fork ? { fork: opts.fork } : {}) }),
    sha: r.head,
    apiUrl: gh.url,
    inputs: { token: opts.token ?? 'bot-token', restore: 'false', 'fail-on-gate': 'true', ...opts.inputs },
  });
}

describe('the report action', () => {
  it('creates the comment on the first run and updates it on the second, with a passing check run', async () => {
    const r = repository(0.905);
    const first = await report(r, { number: 1 });
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    let comments = gh.comments('acme', 'churn', 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.login).toBe(BOT);
    expect(comments[0]!.body.split('\n')[0]).toBe(MARKER);
    expect(comments[0]!.body).toContain('accuracy');
    expect(first.outputs.verdict).toBe('pass');
    expect(first.outputs['comment-url']).toMatch(/#issuecomment-\d+$/);
    expect(first.summary).toContain('accuracy');

    r.fx.write('params.yaml', 'train:\n  acc: 0.93\n  extra: 0\n');
    expect(r.fx.gitml('repro', '-q').code).toBe(0);
    const second = await report(r, { number: 1 });
    expect(second.code).toBe(0);
    comments = gh.comments('acme', 'churn', 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('0.93');
    expect(comments[0]!.updated_at).not.toBe(comments[0]!.created_at);

    const checks = gh.checkRuns('acme', 'churn').filter((c) => c.head_sha === r.head);
    expect(checks.map((c) => [c.name, c.status, c.conclusion])).toEqual([
      ['gitml / gates', 'completed', 'success'],
      ['gitml / gates', 'completed', 'success'],
    ]);
    expect(gh.violations).toEqual([]);
  });

  it('finds its comment among 150 comments by others', async () => {
    const r = repository(0.905);
    for (let i = 0; i < 140; i++) gh.addComment('acme', 'churn', 2, { login: 'alice', body: `review note ${i}` });
    const ours = gh.addComment('acme', 'churn', 2, { login: BOT, type: 'Bot', body: `${MARKER}\nold report` });
    for (let i = 0; i < 10; i++) gh.addComment('acme', 'churn', 2, { login: 'bob', body: `later note ${i}` });
    const run = await report(r, { number: 2 });
    expect(run.code).toBe(0);
    const comments = gh.comments('acme', 'churn', 2);
    expect(comments).toHaveLength(151);
    const updated = comments.find((c) => c.id === ours.id)!;
    expect(updated.body).not.toContain('old report');
    expect(updated.body).toContain('accuracy');
    // Every page was read, as GitHub pages them.
    expect(gh.requests.filter((q) => q.operationId === 'issues/list-comments' && q.path.includes('/issues/2/')).length).toBeGreaterThanOrEqual(2);
    expect(gh.violations).toEqual([]);
  });

  it('leaves a comment with our marker by another account alone', async () => {
    const r = repository(0.905);
    const planted = gh.addComment('acme', 'churn', 3, { login: 'mallory', body: `${MARKER}\nplanted` });
    const run = await report(r, { number: 3 });
    expect(run.code).toBe(0);
    const comments = gh.comments('acme', 'churn', 3);
    expect(comments).toHaveLength(2);
    expect(comments.find((c) => c.id === planted.id)!.body).toBe(`${MARKER}\nplanted`);
    expect(comments.find((c) => c.id !== planted.id)!.login).toBe(BOT);
    expect(run.warnings.join('\n')).toContain(`comment ${planted.id} carries the gitml marker but was written by another account`);
  });

  it('fails the check run and the step when a gate fails, unless told not to fail the step', async () => {
    const r = repository(0.85);
    const run = await report(r, { number: 4 });
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe('fail');
    expect(run.errors.join('\n')).toContain('1 of 1 metric gates failed: metrics/eval.json:accuracy');
    const check = gh.checkRuns('acme', 'churn').filter((c) => c.head_sha === r.head);
    expect(check.map((c) => c.conclusion)).toEqual(['failure']);
    expect(check[0]!.output?.title).toContain('metric gates failed');

    const lenient = await report(r, { number: 4, inputs: { 'fail-on-gate': 'false' } });
    expect(lenient.code).toBe(0);
    expect(lenient.warnings.join('\n')).toContain('metric gates failed');
    expect(gh.checkRuns('acme', 'churn').filter((c) => c.head_sha === r.head).map((c) => c.conclusion)).toEqual(['failure', 'failure']);
    expect(gh.violations).toEqual([]);
  });

  it('cuts an oversized report below the comment limit and keeps it whole in the job summary', async () => {
    const r = repository(0.905, { extra: 3000 });
    const run = await report(r, { number: 5 });
    expect(run.code).toBe(0);
    const [comment] = gh.comments('acme', 'churn', 5);
    expect(comment!.body.length).toBeLessThanOrEqual(65_536);
    expect(comment!.body).toMatch(/cut/i);
    expect(run.summary.length).toBeGreaterThan(65_536);
    expect(run.summary).toContain('detail_02999');
    expect(gh.violations).toEqual([]);
  });

  it('degrades to the job summary on a fork pull request, and says why', async () => {
    const r = repository(0.905);
    const before = gh.requests.length;
    const run = await report(r, { number: 6, token: 'read-only', fork: 'mallory/churn' });
    expect(run.code).toBe(0);
    expect(gh.comments('acme', 'churn', 6)).toEqual([]);
    expect(gh.requests.length).toBe(before);
    expect(run.summary).toContain('comes from a fork (mallory/churn)');
    expect(run.summary).toContain('accuracy');
    expect(run.outputs['report-dir']).toBeTruthy();
  });

  it('degrades to the job summary when the token may not write, and says how to fix it', async () => {
    const r = repository(0.905);
    const run = await report(r, { number: 8, token: 'read-only' });
    expect(run.code).toBe(0);
    expect(gh.comments('acme', 'churn', 8)).toEqual([]);
    expect(run.summary).toContain('The token may not write to this repository (HTTP 403');
    expect(run.summary).toContain('pull-requests: write');
    expect(gh.violations).toEqual([]);
  });
});

describe('the report action with `from` (the workflow_run pattern for forks)', () => {
  it('publishes the report a fork run left behind, once the pull request head matches', async () => {
    const r = repository(0.905);
    const temp = mkdtempSync(join(tmpdir(), 'gitml-artifact-'));
    try {
      const forkRun = await runAction('report', {
        workspace: r.fx.dir,
        event: pullRequestEvent({ headSha: r.head, baseSha: r.base, number: 9, fork: 'contributor/churn' }),
        apiUrl: gh.url,
        inputs: { token: 'read-only', restore: 'false' },
        env: { RUNNER_TEMP: temp },
      });
      expect(forkRun.code).toBe(0);
      const dir = forkRun.outputs['report-dir']!;
      expect(JSON.parse(readFileSync(join(dir, 'pull-request.json'), 'utf8'))).toEqual({ number: 9, head_sha: r.head });

      const base = await startGitHubServer({
        tokens: TOKENS,
        repos: [{ owner: 'acme', repo: 'churn', pulls: [{ number: 9, head_sha: r.head, base_sha: r.base, head_ref: 'tune-lr', base_ref: 'main', fork: true }] }],
      });
      try {
        // The publishing workflow has no checkout of the fork and runs no gitml.
        const empty = mkdtempSync(join(temp, 'checkout-'));
        const publish = (headSha: string) =>
          runAction('report', {
            workspace: empty,
            event: { action: 'completed', workflow_run: { id: 1234, event: 'pull_request', head_sha: headSha, conclusion: 'success' } },
            eventName: 'workflow_run',
            apiUrl: base.url,
            inputs: { token: 'bot-token', from: dir, cli: 'false' },
          });
        // The artifact and the run agree, but the pull request has moved on since.
        writeFileSync(join(dir, 'pull-request.json'), JSON.stringify({ number: 9, head_sha: 'e'.repeat(40) }));
        const stale = await publish('e'.repeat(40));
        expect(stale.code).toBe(1);
        expect(stale.errors.join('\n')).toContain(`pull request #9 is at ${r.head}, not ${'e'.repeat(40)}`);
        writeFileSync(join(dir, 'pull-request.json'), JSON.stringify({ number: 9, head_sha: r.head }));
        expect(base.comments('acme', 'churn', 9)).toEqual([]);

        const ok = await publish(r.head);
        expect(ok.errors).toEqual([]);
        const [comment] = base.comments('acme', 'churn', 9);
        expect(comment!.body.split('\n')[0]).toBe(MARKER);
        expect(comment!.body).toContain('accuracy');
        expect(base.checkRuns('acme', 'churn').map((c) => [c.head_sha, c.conclusion])).toEqual([[r.head, 'success']]);

        // A tampered artifact naming another pull request's commit is refused.
        writeFileSync(join(dir, 'pull-request.json'), JSON.stringify({ number: 9, head_sha: 'a'.repeat(40) }));
        const tampered = await publish(r.head);
        expect(tampered.code).toBe(1);
        expect(tampered.errors.join('\n')).toContain(`was made for ${'a'.repeat(40)}, not ${r.head}`);
        expect(base.comments('acme', 'churn', 9)).toHaveLength(1);
        expect(base.violations).toEqual([]);
      } finally {
        await base.close();
      }
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });
});
