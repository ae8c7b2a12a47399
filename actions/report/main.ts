import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { context, getOctokit } from '@actions/github';
import { COMMENT_LIMIT, markedBody } from '../../core/ci/comment.js';
import { CliError, type Gitml } from '../shared/cli.js';
import { pullRequestOf } from '../shared/event.js';
import { ACTIONS_BOT, createCheckRun, isPermissionError, statusOf, tokenLogin, upsertComment, type Octokit, type RepoRef } from '../shared/github.js';
import { baseInput, commonInputs, markerFor, remoteArgs, runAction } from '../shared/inputs.js';
import { parsePlan } from '../shared/plan.js';
import { readRendered, verdictLine, writeRendered, type Rendered } from '../shared/rendered.js';

/** The job summary takes at most 1 MiB. */
const SUMMARY_BYTES = 1024 * 1024;

/**
 * `report`: restores every stage's results from the remote's run-cache (the run jobs pushed them), then posts the
 * report as one sticky pull-request comment, writes the job summary, and creates a check run whose conclusion follows
 * the metric gates. With `from`, it only publishes a report rendered by an earlier run (the `workflow_run` pattern for
 * pull requests from forks), and runs no gitml at all.
 */
runAction(async () => {
  const { workingDirectory, gitml } = commonInputs();
  const marker = markerFor(workingDirectory);
  const repo = context.repo;
  const from = core.getInput('from');
  if (from) return publishArtifact(from, marker, repo);

  const pr = pullRequestOf(context.payload, `${repo.owner}/${repo.repo}`);
  if (core.getBooleanInput('restore')) await restore(gitml);
  const rendered = await render(gitml, marker.length + 1);

  const dir = join(process.env.RUNNER_TEMP ?? tmpdir(), 'gitml-report');
  writeRendered(dir, rendered, pr ? { number: pr.number, head_sha: pr.headSha } : undefined);
  core.setOutput('report-dir', dir);

  let note: string | undefined;
  if (!pr) note = 'This run is not for a pull request, so the report is only here.';
  else if (pr.fromFork)
    note =
      `This pull request comes from a fork (${pr.headRepo ?? 'a deleted repository'}). Its token is read-only, so the report ` +
      'is here instead of in a comment, and no check run was created. To comment on pull requests from forks, publish ' +
      'this report from a `workflow_run` workflow (see the gitml README).';
  else note = await publishOrExplain(getOctokit(core.getInput('token', { required: true })), repo, { number: pr.number, headSha: pr.headSha }, rendered, marker);
  await finish(rendered, note);
});

/** Pulls the run-cache and restores every stage from it; a stage without a result means a run job failed. */
async function restore(gitml: Gitml): Promise<void> {
  await core.group('gitml pull --run-cache', async () => {
    const pulled = await gitml(['pull', '--run-cache', ...remoteArgs()], { echo: true, allowFailure: true });
    if (pulled.code !== 0) core.warning(`gitml pull exited with ${pulled.code}`);
  });
  // Never train here, on what may be the wrong runner.
  const plan = parsePlan((await gitml(['plan', '--json', '--no-remote'])).stdout, 'gitml plan --json');
  const missing = plan.stages.filter((s) => s.action === 'run').map((s) => `\`${s.name}\``);
  if (missing.length) throw new Error(`no result in the run-cache for ${missing.join(', ')}: its run job failed or could not push to the remote`);
  await core.group('gitml repro (restoring from the run-cache)', () => gitml(['repro'], { echo: true }));
}

/** The gates, the comment-sized report (leaving room for the marker) and the full one for the job summary. */
async function render(gitml: Gitml, reserve: number): Promise<Rendered> {
  const base = baseInput();
  const baseArgs = base ? ['--base', base] : [];
  const gateRun = await gitml(['gate', '--json', ...baseArgs], { allowFailure: true });
  if (gateRun.code !== 0 && gateRun.code !== 1) throw new CliError(`gitml gate --json ${baseArgs.join(' ')}`.trim(), gateRun);
  const gatesMd = (await gitml(['gate', '--md', ...baseArgs], { allowFailure: true })).stdout;

  const planText = core.getInput('plan');
  const planArgs: string[] = [];
  if (planText) {
    const file = join(mkdtempSync(join(process.env.RUNNER_TEMP ?? tmpdir(), 'gitml-plan-')), 'plan.json');
    writeFileSync(file, planText);
    planArgs.push('--plan', file);
  }
  const report = async (maxChars: number) => (await gitml(['report', '--md', ...baseArgs, ...planArgs, '--max-chars', String(maxChars)])).stdout;
  return {
    gates: JSON.parse(gateRun.stdout) as Rendered['gates'],
    gatesMd,
    comment: await report(COMMENT_LIMIT - reserve),
    summary: await fitBytes(report, SUMMARY_BYTES - 4096),
  };
}

/** Posts the comment and the check run; when the token may not, returns why (the report then goes to the summary). */
async function publishOrExplain(
  octokit: Octokit,
  repo: RepoRef,
  pr: { number: number; headSha: string },
  rendered: Rendered,
  marker: string,
): Promise<string | undefined> {
  try {
    const self = await tokenLogin(octokit, core.getInput('comment-author') || ACTIONS_BOT);
    const comment = await upsertComment(octokit, repo, pr.number, { marker, body: markedBody(marker, rendered.comment), self });
    core.info(`${comment.decision.action === 'update' ? 'updated' : 'created'} the report comment: ${comment.url}`);
    for (const id of comment.foreign) core.warning(`comment ${id} carries the gitml marker but was written by another account; left alone`);
    core.setOutput('comment-url', comment.url);
    const check = await createCheckRun(octokit, repo, {
      name: core.getInput('check-name') || 'gitml / gates',
      headSha: pr.headSha,
      conclusion: rendered.gates.verdict === 'fail' ? 'failure' : 'success',
      title: verdictLine(rendered.gates),
      summary: rendered.gatesMd,
    });
    core.setOutput('check-run-id', String(check.id));
    return undefined;
  } catch (err) {
    if (!isPermissionError(err)) throw err;
    return (
      `The token may not write to this repository (HTTP ${statusOf(err)}: ${(err as Error).message}), so the report is ` +
      'here instead of in a comment. Give the workflow `permissions: {pull-requests: write, checks: write}`.'
    );
  }
}

/**
 * The `workflow_run` half of the fork pattern: the files come from an artifact the pull request's own (untrusted) run
 * uploaded, so they are only data. The pull request they name must be open with the exact head commit that run built.
 */
async function publishArtifact(dir: string, marker: string, repo: RepoRef): Promise<void> {
  const run = (context.payload as { workflow_run?: { head_sha?: string } }).workflow_run;
  const headSha = core.getInput('head-sha') || run?.head_sha;
  if (!headSha) throw new Error('`from` needs the head commit: run on `workflow_run`, or set the `head-sha` input');
  const { rendered, pr } = readRendered(dir);
  if (!pr) throw new Error(`${dir} holds no pull-request.json: the run that made it was not for a pull request`);
  if (pr.head_sha !== headSha) throw new Error(`the report in ${dir} was made for ${pr.head_sha}, not ${headSha}, the commit the run built; not publishing it`);
  const octokit = getOctokit(core.getInput('token', { required: true }));
  const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: pr.number });
  if (data.head.sha !== headSha) throw new Error(`pull request #${pr.number} is at ${data.head.sha}, not ${headSha}, the commit this report was made for; not publishing it`);
  await finish(rendered, await publishOrExplain(octokit, repo, { number: pr.number, headSha }, rendered, marker));
}

/** Writes the job summary and the outputs, and fails the step on a failed gate unless told not to. */
async function finish(rendered: Rendered, note: string | undefined): Promise<void> {
  if (note) core.warning(note);
  await core.summary.addRaw(note ? `> ${note}\n\n` : '').addRaw(rendered.summary).write();
  core.setOutput('verdict', rendered.gates.verdict);
  if (rendered.gates.verdict === 'fail') {
    if (core.getBooleanInput('fail-on-gate')) core.setFailed(verdictLine(rendered.gates));
    else core.warning(verdictLine(rendered.gates));
  }
}

/** The report cut to at most `bytes` UTF-8 bytes: the character cap is lowered until the bytes fit. */
async function fitBytes(render: (maxChars: number) => Promise<string>, bytes: number): Promise<string> {
  let maxChars = bytes;
  for (;;) {
    const text = await render(maxChars);
    const size = Buffer.byteLength(text);
    if (size <= bytes) return text;
    maxChars = Math.floor((maxChars * bytes) / size) - 1;
  }
}

