import { resolve } from 'node:path';
import * as core from '@actions/core';
import { context } from '@actions/github';
import { reportMarker } from '../../core/ci/comment.js';
import { gitmlRunner, type Gitml } from './cli.js';
import { baseRevisionOf } from './event.js';

/** The inputs every action shares: where the pipeline is and how to run gitml there. */
export interface Common {
  /** Absolute path of the working directory. */
  cwd: string;
  /** As given (`.` by default), for messages and the comment marker. */
  workingDirectory: string;
  gitml: Gitml;
}

export function commonInputs(): Common {
  const workingDirectory = core.getInput('working-directory') || '.';
  const cwd = resolve(process.env.GITHUB_WORKSPACE ?? process.cwd(), workingDirectory);
  return { cwd, workingDirectory, gitml: gitmlRunner(core.getInput('cli') || 'npx --no-install gitml', cwd) };
}

/** The `base` input, else the event's base (a pull request's base commit, or the commit before a push). */
export function baseInput(): string | undefined {
  return core.getInput('base') || baseRevisionOf(context.payload, `${context.repo.owner}/${context.repo.repo}`);
}

/** `--remote NAME` when the `remote` input is set. */
export function remoteArgs(): string[] {
  const remote = core.getInput('remote');
  return remote ? ['--remote', remote] : [];
}

export function markerFor(workingDirectory: string): string {
  return reportMarker(core.getInput('comment-key') || workingDirectory);
}

/** Runs an action's body and turns any error into a failed step with its message. */
export function runAction(body: () => Promise<void>): void {
  body().catch((err: unknown) => core.setFailed(err instanceof Error ? err.message : String(err)));
}
