import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/action.js';
import { makeFixture, type Fixture } from '../helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from '../helpers/github/server.js';
import { pullRequestEvent } from '../helpers/pull-request-event.js';

// Two independent branches of a pipeline, each a param-driven metric with a stage downstream of it.
const PIPELINE = `stages:
  prep-a:
    cmd: printf '%s' \${a.scale} > a.txt
    outs: [a.txt]
  score-a:
    cmd: >-
      mkdir -p metrics && printf '{"accuracy": %s}' "$(cat a.txt)" > metrics/a.json
    deps: [a.txt]
    metrics:
      - path: metrics/a.json
        better: {accuracy: higher}
  prep-b:
    cmd: printf '%s' \${b.scale} > b.txt
    outs: [b.txt]
  score-b:
    cmd: >-
      mkdir -p metrics && printf '{"loss": %s}' "$(cat b.txt)" > metrics/b.json
    deps: [b.txt]
    metrics:
      - path: metrics/b.json
        better: {loss: lower}
gates:
  - metric: metrics/a.json:accuracy
    min: 0.8
`;
const params = (a: number, b: number) => `a:\n  scale: ${a}\nb:\n  scale: ${b}\n`;

let gh: GitHubServer;
beforeAll(async () => {
  gh = await startGitHubServer({ tokens: { 'bot-token': { login: 'github-actions[bot]', type: 'Bot', write: true, installation: true } } });
});
afterAll(() => gh.close());

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A job's workspace: a fresh clone of the pull request's head, with no cache and no outputs. */
function checkout(origin: Fixture, sha: string): Fixture {
  const job = makeFixture({}, { git: false });
  job.git('clone', '-q', origin.dir, '.');
  job.git('checkout', '-q', sha);
  return job;
}

describe('a pull request, end to end', () => {
  it('plans two groups, runs them in separate jobs that share only a directory remote, and reports', async () => {
    const remote = makeFixture({}, { git: false }).dir;
    const origin = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': params(0.85, 0.3) });
    ok(origin, 'init', '-q');
    ok(origin, 'remote', 'add', 'storage', remote, '--default');
    ok(origin, 'repro', '-q');
    ok(origin, 'push', '--run-cache');
    origin.git('add', '-A');
    origin.git('commit', '-qm', 'base');
    const base = origin.git('rev-parse', 'HEAD').trim();
    // The pull request changes both params and commits without reproducing: CI runs the experiment.
    origin.git('checkout', '-qb', 'tune');
    origin.write('params.yaml', params(0.9, 0.2));
    origin.git('commit', '-qam', 'tune both');
    const head = origin.git('rev-parse', 'HEAD').trim();
    const event = pullRequestEvent({ headSha: head, baseSha: base, number: 11 });
    const env = (fx: Fixture) => ({ workspace: fx.dir, event, sha: head, apiUrl: gh.url });

    const planJob = checkout(origin, head);
    const plan = await runAction('plan', env(planJob));
    expect(plan.errors).toEqual([]);
    expect(plan.outputs.has_work).toBe('true');
    const matrix = JSON.parse(plan.outputs.matrix!) as { include: { name: string; stages: string[]; runs_on: unknown }[] };
    expect(matrix.include).toEqual([
      { name: 'prep-a', stages: ['prep-a', 'score-a'], runs_on: 'ubuntu-latest' },
      { name: 'prep-b', stages: ['prep-b', 'score-b'], runs_on: 'ubuntu-latest' },
    ]);

    for (const entry of matrix.include) {
      const job = checkout(origin, head);
      const run = await runAction('run', { ...env(job), inputs: { stages: JSON.stringify(entry.stages) } });
      expect(run.errors, run.stdout + run.stderr).toEqual([]);
      // Each job ran only its own group: the other group's output is still the base's, as pulled.
      const [mine, other, baseValue] = entry.name === 'prep-a' ? ['a.txt', 'b.txt', '0.3'] : ['b.txt', 'a.txt', '0.85'];
      expect(job.read(mine)).toBe(entry.name === 'prep-a' ? '0.9' : '0.2');
      expect(job.read(other)).toBe(baseValue);
      expect(run.stdout).not.toContain(`Running stage \`${other === 'a.txt' ? 'prep-a' : 'prep-b'}\``);
    }

    const reportJob = checkout(origin, head);
    const report = await runAction('report', { ...env(reportJob), inputs: { token: 'bot-token', plan: plan.outputs.plan! } });
    expect(report.errors, report.stdout + report.stderr).toEqual([]);
    expect(report.outputs.verdict).toBe('pass');
    expect(reportJob.read('metrics/a.json')).toBe('{"accuracy": 0.9}');
    const [comment] = gh.comments('acme', 'churn', 11);
    expect(comment!.body).toContain('<!-- gitml report: . -->');
    expect(comment!.body).toMatch(/accuracy[^\n]*0\.85[^\n]*0\.9/);
    expect(comment!.body).toMatch(/loss[^\n]*0\.3[^\n]*0\.2/);
    expect(comment!.body).toMatch(/a\.scale[^\n]*0\.85[^\n]*0\.9/);
    expect(comment!.body).toMatch(/score-a[^\n]*ran/);
    expect(gh.checkRuns('acme', 'churn').map((c) => [c.name, c.head_sha, c.conclusion])).toEqual([['gitml / gates', head, 'success']]);
    expect(report.summary).toContain('accuracy');
    expect(gh.violations).toEqual([]);

    // Nothing left to run once the results are on the remote: a second plan is empty.
    const again = await runAction('plan', env(checkout(origin, head)));
    expect(again.outputs.has_work).toBe('false');
    expect(JSON.parse(again.outputs.matrix!)).toEqual({ include: [] });
  });
});
