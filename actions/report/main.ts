import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { context, getOctokit } from '@actions/github';
import { COMMENT_LIMIT, markedBody } from '../../core/ci/comment.js';
import { CliError } from '../shared/cli.js';
import { pullRequestOf } from '../shared/event.js';
import { ACTIONS_BOT, createCheckRun, isPermissionError, statusOf, tokenLogin, upsertComment } from '../shared/github.js';
import { baseInput, commonInputs, markerFor, remoteArgs, runAction } from '../shared/inputs.js';
import { parsePlan } from '../shared/plan.js';

/** The job summary takes at most 1 MiB. */
const SUMMARY_BYTES = 1024 * 1024;

interface GateJson {
  verdict: 'pass' | 'fail';
  failed: number;
  gates: { metric: string; verdict: 'pass' | 'fail' }[];
}

/**
 * `report`: restores every stage's results from the remote's run-cache (the run jobs pushed them), then posts the
 * report as one sticky pull-request comment, writes the job summary, and creates a check run whose conclusion follows
 * the metric gates.
 */
runAction(async () => {
  const { workingDirectory, gitml } = commonInputs();
  const base = baseInput();
  const baseArgs = base ? ['--base', base] : [];
  const repo = context.repo;
  const pr = pullRequestOf(context.payload, `${repo.owner}/${repo.repo}`);

  if (core.getBooleanInput('restore')) {
    await core.group('gitml pull --run-cache', async () => {
      const pulled = await gitml(['pull', '--run-cache', ...remoteArgs()], { echo: true, allowFailure: true });
      if (pulled.code !== 0) core.warning(`gitml pull exited with ${pulled.code}`);
    });
    // Every stage is a run-cache hit by now unless a run job failed; never train here on the wrong runner.
    const plan = parsePlan((await gitml(['plan', '--json', '--no-remote'])).stdout, 'gitml plan --json');
    const missing = plan.stages.filter((s) => s.action === 'run').map((s) => s.name);
    if (missing.length)
      throw new Error(
        `no result in the run-cache for ${missing.map((s) => `\`${s}\``).join(', ')}: its run job failed or could not push to the remote`,
      );
    await core.group('gitml repro (restoring from the run-cache)', () => gitml(['repro'], { echo: true }));
  }

  const gateRun = await gitml(['gate', '--json', ...baseArgs], { allowFailure: true });
  if (gateRun.code !== 0 && gateRun.code !== 1) throw new CliError(`gitml gate --json ${baseArgs.join(' ')}`, gateRun);
  const gates = JSON.parse(gateRun.stdout) as GateJson;

  const planText = core.getInput('plan');
  const planArgs: string[] = [];
  if (planText) {
    const file = join(mkdtempSync(join(process.env.RUNNER_TEMP ?? tmpdir(), 'gitml-')), 'plan.json');
    writeFileSync(file, planText);
    planArgs.push('--plan', file);
  }
  const report = async (maxChars: number) => (await gitml(['report', '--md', ...baseArgs, ...planArgs, '--max-chars', String(maxChars)])).stdout;
  const marker = markerFor(workingDirectory);

  let note: string | undefined;
  if (!pr) note = 'This run is not for a pull request, so the report is only here.';
  else if (pr.fromFork)
    note =
      `This pull request comes from a fork (${pr.headRepo ?? 'a deleted repository'}). Its token is read-only, so the report ` +
      'is here instead of in a comment, and no check run was created. To comment on fork pull requests, report from a ' +
      'separate `workflow_run` workflow (see the gitml README).';
  else {
    const octokit = getOctokit(core.getInput('token', { required: true }));
    try {
      const self = await tokenLogin(octokit, core.getInput('comment-author') || ACTIONS_BOT);
      const body = markedBody(marker, await report(COMMENT_LIMIT - marker.length - 1));
      const comment = await upsertComment(octokit, repo, pr.number, { marker, body, self });
      core.info(`${comment.decision.action === 'update' ? 'updated' : 'created'} the report comment: ${comment.url}`);
      for (const id of comment.foreign) core.warning(`comment ${id} carries the gitml marker but was written by another account; left alone`);
      core.setOutput('comment-url', comment.url);
      const check = await createCheckRun(octokit, repo, {
        name: core.getInput('check-name') || 'gitml / gates',
        headSha: pr.headSha,
        conclusion: gates.verdict === 'fail' ? 'failure' : 'success',
        title: verdictLine(gates),
        summary: (await gitml(['gate', '--md', ...baseArgs], { allowFailure: true })).stdout,
      });
      core.setOutput('check-run-id', String(check.id));
    } catch (err) {
      if (!isPermissionError(err)) throw err;
      note =
        `The token may not write to this repository (HTTP ${statusOf(err)}: ${(err as Error).message}), so the report is ` +
        'here instead of in a comment. Give the workflow `permissions: {pull-requests: write, checks: write}`.';
    }
  }
  if (note) core.warning(note);

  const summary = await fitBytes(report, SUMMARY_BYTES - Buffer.byteLength(note ?? '') - 16);
  await core.summary.addRaw(note ? `> ${note}\n\n` : '').addRaw(summary).write();

  core.setOutput('verdict', gates.verdict);
  if (gates.verdict === 'fail') {
    if (core.getBooleanInput('fail-on-gate')) core.setFailed(verdictLine(gates));
    else core.warning(verdictLine(gates));
  }
});

function verdictLine(g: GateJson): string {
  if (!g.gates.length) return 'No metric gates declared';
  if (g.verdict === 'pass') return `All ${g.gates.length} metric gate${g.gates.length === 1 ? '' : 's'} passed`;
  const failed = g.gates.filter((x) => x.verdict === 'fail').map((x) => x.metric);
  return `${g.failed} of ${g.gates.length} metric gates failed: ${failed.join(', ')}`;
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
