/** What the actions need from the event that started the workflow (the JSON at GITHUB_EVENT_PATH). Pure. */

export interface PullRequestInfo {
  number: number;
  /** The commit the workflow checks out and the check run is attached to. */
  headSha: string;
  /** The base branch's commit the pull request is compared against. */
  baseSha: string;
  /** `owner/name` of the repository the pull request comes from; null when that fork was deleted. */
  headRepo: string | null;
  /** True when the head lives in another repository: the token is then read-only and there are no secrets. */
  fromFork: boolean;
}

/** The pull request of a `pull_request` (or `pull_request_target`) event; undefined for other events. */
export function pullRequestOf(payload: unknown, repository: string): PullRequestInfo | undefined {
  const pr = (payload as { pull_request?: Record<string, unknown> } | null)?.pull_request;
  if (!pr || typeof pr.number !== 'number') return undefined;
  const head = pr.head as { sha?: string; repo?: { full_name?: string } | null } | undefined;
  const base = pr.base as { sha?: string; repo?: { full_name?: string } } | undefined;
  if (typeof head?.sha !== 'string' || typeof base?.sha !== 'string') return undefined;
  const headRepo = head.repo?.full_name ?? null;
  const baseRepo = base.repo?.full_name ?? repository;
  return { number: pr.number, headSha: head.sha, baseSha: base.sha, headRepo, fromFork: headRepo === null || !sameRepo(headRepo, baseRepo) };
}

/**
 * The revision a run is compared against: the pull request's base commit, or for a push the commit before it (absent
 * for a new branch, whose `before` is all zeros).
 */
export function baseRevisionOf(payload: unknown, repository: string): string | undefined {
  const pr = pullRequestOf(payload, repository);
  if (pr) return pr.baseSha;
  const before = (payload as { before?: unknown } | null)?.before;
  return typeof before === 'string' && !/^0+$/.test(before) ? before : undefined;
}

function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
