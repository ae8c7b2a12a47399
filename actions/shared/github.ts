import type { getOctokit } from '@actions/github';
import { planComment, type CommentDecision, type CommentRef } from '../../core/ci/comment.js';

export type Octokit = ReturnType<typeof getOctokit>;

export interface RepoRef {
  owner: string;
  repo: string;
}

/** The account GITHUB_TOKEN acts as. Its installation token may not read `GET /user`, which answers 403. */
export const ACTIONS_BOT = 'github-actions[bot]';

/** The login the token acts as: `GET /user`, or `fallback` when the token may not ask (an app installation token). */
export async function tokenLogin(octokit: Octokit, fallback = ACTIONS_BOT): Promise<string> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch (err) {
    if (statusOf(err) === 403 || statusOf(err) === 401) return fallback;
    throw err;
  }
}

/** Every comment of an issue or pull request, through all pages (100 a page, GitHub's most). */
export async function listComments(octokit: Octokit, repo: RepoRef, issue: number): Promise<CommentRef[]> {
  const all = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 });
  return all.map((c) => ({ id: c.id, body: c.body ?? null, ...(c.user ? { author: c.user.login } : {}) }));
}

export interface UpsertResult {
  decision: CommentDecision;
  id: number;
  url: string;
  /** Comments with our marker by other accounts, left alone. */
  foreign: number[];
}

/** Creates our marked comment, or updates the one we wrote before. */
export async function upsertComment(
  octokit: Octokit,
  repo: RepoRef,
  issue: number,
  opts: { marker: string; body: string; self: string },
): Promise<UpsertResult> {
  const { decision, foreign } = planComment(await listComments(octokit, repo, issue), opts.marker, opts.self);
  const { data } =
    decision.action === 'update'
      ? await octokit.rest.issues.updateComment({ ...repo, comment_id: decision.id, body: opts.body })
      : await octokit.rest.issues.createComment({ ...repo, issue_number: issue, body: opts.body });
  return { decision, id: data.id, url: data.html_url, foreign };
}

export interface CheckRunInput {
  name: string;
  headSha: string;
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
}

/** GitHub's limit on a check run's `output.summary` and `output.text`. */
export const CHECK_OUTPUT_LIMIT = 65_535;

/** A completed check run on the head commit. */
export async function createCheckRun(octokit: Octokit, repo: RepoRef, input: CheckRunInput): Promise<{ id: number; url: string }> {
  const { data } = await octokit.rest.checks.create({
    ...repo,
    name: input.name,
    head_sha: input.headSha,
    status: 'completed',
    conclusion: input.conclusion,
    output: { title: input.title, summary: clip(input.summary, CHECK_OUTPUT_LIMIT) },
  });
  return { id: data.id, url: data.html_url ?? '' };
}

/** The HTTP status of an Octokit request error. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** A token that may not write (a fork's pull request, or missing `permissions:`) gets 403; a hidden repo 404. */
export function isPermissionError(err: unknown): boolean {
  const s = statusOf(err);
  return s === 403 || s === 404;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = '\n\n_(cut to fit GitHub’s limit; the full report is in the job summary)_';
  return text.slice(0, max - note.length) + note;
}
