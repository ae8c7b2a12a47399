/** A `pull_request` event payload shaped as GitHub sends it (the fields the actions and toolkit read, and more). */
export function pullRequestEvent(opts: {
  repository?: string;
  number?: number;
  headSha: string;
  baseSha: string;
  headRef?: string;
  baseRef?: string;
  /** `owner/name` of the head repository when the pull request comes from a fork. */
  fork?: string;
}): Record<string, unknown> {
  const repository = opts.repository ?? 'acme/churn';
  const number = opts.number ?? 7;
  const repo = (fullName: string, fork: boolean) => {
    const [owner, name] = fullName.split('/') as [string, string];
    return {
      id: fork ? 2002 : 1001,
      node_id: fork ? 'R_kgDOfork' : 'R_kgDObase',
      name,
      full_name: fullName,
      private: false,
      owner: { login: owner, id: fork ? 20 : 10, type: 'User' },
      html_url: `https://github.com/${fullName}`,
      fork,
      default_branch: 'main',
    };
  };
  const base = repo(repository, false);
  const head = opts.fork ? repo(opts.fork, true) : base;
  const author = { login: opts.fork ? opts.fork.split('/')[0] : 'alice', id: 30, type: 'User' };
  return {
    action: 'synchronize',
    number,
    before: 'f'.repeat(40),
    after: opts.headSha,
    pull_request: {
      url: `https://api.github.com/repos/${repository}/pulls/${number}`,
      id: 555000 + number,
      node_id: 'PR_kwDOtest',
      html_url: `https://github.com/${repository}/pull/${number}`,
      number,
      state: 'open',
      locked: false,
      title: 'Lower the learning rate',
      user: author,
      body: null,
      created_at: '2026-11-30T10:00:00Z',
      updated_at: '2026-11-30T10:05:00Z',
      draft: false,
      merged: false,
      head: { label: `${head.owner.login}:${opts.headRef ?? 'tune-lr'}`, ref: opts.headRef ?? 'tune-lr', sha: opts.headSha, user: head.owner, repo: head },
      base: { label: `${base.owner.login}:${opts.baseRef ?? 'main'}`, ref: opts.baseRef ?? 'main', sha: opts.baseSha, user: base.owner, repo: base },
      author_association: opts.fork ? 'CONTRIBUTOR' : 'MEMBER',
    },
    repository: base,
    sender: author,
  };
}
