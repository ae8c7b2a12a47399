// The JSON objects GitHub answers with (users, apps, repositories, issue comments, check runs, pull requests), built
// from the server's in-memory records with every field the REST API description requires, so that the responses
// pass its schemas the way GitHub's own do.

export interface Account {
  login: string;
  type: 'User' | 'Bot';
  id: number;
}

export interface RepoRecord {
  owner: string;
  name: string;
  id: number;
  pulls: PullRecord[];
}

export interface PullRecord {
  number: number;
  id: number;
  head_sha: string;
  base_sha: string;
  head_ref: string;
  base_ref: string;
  fork: boolean;
}

export interface CommentRecord {
  id: number;
  owner: string;
  repo: string;
  issue: number;
  author: Account;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface CheckRunRecord {
  id: number;
  owner: string;
  repo: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  details_url: string | null;
  external_id: string | null;
  output: { title?: string; summary?: string; text?: string };
  annotations_count: number;
  check_suite_id: number;
  app: Account;
}

/** Where the objects point: the server's own base URL for API links, github.com for web links. */
export interface Links {
  api: string;
  web: string;
}

// Version-1 global node ids: base64 of "0<length of the type name>:<type name><database id>", as GitHub still issues.
function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
}

const CREATED = '2020-01-01T00:00:00Z';

export function simpleUser(a: Account, links: Links): Record<string, unknown> {
  const api = `${links.api}/users/${encodeURIComponent(a.login)}`;
  const html = a.type === 'Bot' ? `${links.web}/apps/${a.login.replace(/\[bot\]$/, '')}` : `${links.web}/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type, a.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${a.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: html,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: a.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** GET /user for the token's own account: the private view, with the counts only the owner sees. */
export function privateUser(a: Account, links: Links): Record<string, unknown> {
  return {
    ...simpleUser(a, links),
    user_view_type: 'private',
    name: null,
    company: null,
    blog: '',
    location: null,
    email: null,
    notification_email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: CREATED,
    updated_at: CREATED,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: 'free', space: 976562499, collaborators: 0, private_repos: 10000 },
  };
}

/** The GitHub App an installation token (the bot account `<slug>[bot]`) acts for. */
export function integration(bot: Account, owner: Account, links: Links): Record<string, unknown> {
  const slug = bot.login.replace(/\[bot\]$/, '');
  return {
    id: bot.id,
    slug,
    node_id: nodeId('App', bot.id),
    owner: simpleUser(owner, links),
    name: slug === 'github-actions' ? 'GitHub Actions' : slug,
    description: slug === 'github-actions' ? 'Automate your workflow from idea to production' : '',
    external_url: `${links.web}/apps/${slug}`,
    html_url: `${links.web}/apps/${slug}`,
    created_at: CREATED,
    updated_at: CREATED,
    permissions: { checks: 'write', contents: 'read', issues: 'write', metadata: 'read', pull_requests: 'write' },
    events: ['check_run', 'check_suite', 'issue_comment', 'pull_request'],
  };
}

export function repository(r: { owner: Account; name: string; id: number; fork: boolean }, links: Links): Record<string, unknown> {
  const full = `${r.owner.login}/${r.name}`;
  const api = `${links.api}/repos/${full}`;
  const html = `${links.web}/${full}`;
  return {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: full,
    owner: simpleUser(r.owner, links),
    private: false,
    html_url: html,
    description: null,
    fork: r.fork,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://github.com/${full}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@github.com:${full}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: 'main',
    open_issues_count: 0,
    open_issues: 0,
    is_template: false,
    topics: [],
    has_issues: !r.fork,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'public',
    pushed_at: CREATED,
    created_at: CREATED,
    updated_at: CREATED,
    license: null,
    allow_forking: true,
    web_commit_signoff_required: false,
  };
}

export function issueComment(
  c: CommentRecord,
  extra: { association: string; app: Record<string, unknown> | null; isPull: boolean },
  links: Links,
): Record<string, unknown> {
  const repoApi = `${links.api}/repos/${c.owner}/${c.repo}`;
  const url = `${repoApi}/issues/comments/${c.id}`;
  return {
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url,
    html_url: `${links.web}/${c.owner}/${c.repo}/${extra.isPull ? 'pull' : 'issues'}/${c.issue}#issuecomment-${c.id}`,
    body: c.body,
    user: simpleUser(c.author, links),
    created_at: c.created_at,
    updated_at: c.updated_at,
    issue_url: `${repoApi}/issues/${c.issue}`,
    author_association: extra.association,
    performed_via_github_app: extra.app,
    reactions: {
      url: `${url}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      hooray: 0,
      confused: 0,
      heart: 0,
      rocket: 0,
      eyes: 0,
    },
  };
}

function pullRequestMinimal(p: PullRecord, repo: RepoRecord, links: Links): Record<string, unknown> {
  const ref = { id: repo.id, url: `${links.api}/repos/${repo.owner}/${repo.name}`, name: repo.name };
  return {
    id: p.id,
    number: p.number,
    url: `${ref.url}/pulls/${p.number}`,
    head: { ref: p.head_ref, sha: p.head_sha, repo: ref },
    base: { ref: p.base_ref, sha: p.base_sha, repo: ref },
  };
}

export function checkRun(
  r: CheckRunRecord,
  repo: RepoRecord,
  app: Record<string, unknown>,
  links: Links,
): Record<string, unknown> {
  const url = `${links.api}/repos/${r.owner}/${r.repo}/check-runs/${r.id}`;
  return {
    id: r.id,
    node_id: nodeId('CheckRun', r.id),
    head_sha: r.head_sha,
    external_id: r.external_id ?? '',
    url,
    html_url: `${links.web}/${r.owner}/${r.repo}/runs/${r.id}`,
    details_url: r.details_url ?? app.html_url,
    status: r.status,
    conclusion: r.conclusion,
    started_at: r.started_at,
    completed_at: r.completed_at,
    output: {
      title: r.output.title ?? null,
      summary: r.output.summary ?? null,
      text: r.output.text ?? null,
      annotations_count: r.annotations_count,
      annotations_url: `${url}/annotations`,
    },
    name: r.name,
    check_suite: { id: r.check_suite_id },
    app,
    // GitHub lists only pull requests whose head is in this repository; a fork's pull request is left out.
    pull_requests: repo.pulls.filter((p) => p.head_sha === r.head_sha && !p.fork).map((p) => pullRequestMinimal(p, repo, links)),
  };
}

export function pullRequest(
  p: PullRecord,
  repo: RepoRecord,
  accounts: { owner: Account; author: Account },
  forkRepoId: number,
  created: string,
  links: Links,
): Record<string, unknown> {
  const repoApi = `${links.api}/repos/${repo.owner}/${repo.name}`;
  const url = `${repoApi}/pulls/${p.number}`;
  const html = `${links.web}/${repo.owner}/${repo.name}/pull/${p.number}`;
  const baseRepo = repository({ owner: accounts.owner, name: repo.name, id: repo.id, fork: false }, links);
  const headRepo = p.fork ? repository({ owner: accounts.author, name: repo.name, id: forkRepoId, fork: true }, links) : baseRepo;
  const headOwner = p.fork ? accounts.author : accounts.owner;
  const link = (href: string) => ({ href });
  return {
    url,
    id: p.id,
    node_id: nodeId('PullRequest', p.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${repoApi}/issues/${p.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoApi}/pulls/comments{/number}`,
    comments_url: `${repoApi}/issues/${p.number}/comments`,
    statuses_url: `${repoApi}/statuses/${p.head_sha}`,
    number: p.number,
    state: 'open',
    locked: false,
    title: `Pull request #${p.number}`,
    user: simpleUser(accounts.author, links),
    body: null,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: created,
    updated_at: created,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: {
      label: `${headOwner.login}:${p.head_ref}`,
      ref: p.head_ref,
      sha: p.head_sha,
      user: simpleUser(headOwner, links),
      repo: headRepo,
    },
    base: {
      label: `${accounts.owner.login}:${p.base_ref}`,
      ref: p.base_ref,
      sha: p.base_sha,
      user: simpleUser(accounts.owner, links),
      repo: baseRepo,
    },
    _links: {
      self: link(url),
      html: link(html),
      issue: link(`${repoApi}/issues/${p.number}`),
      comments: link(`${repoApi}/issues/${p.number}/comments`),
      review_comments: link(`${url}/comments`),
      review_comment: link(`${repoApi}/pulls/comments{/number}`),
      commits: link(`${url}/commits`),
      statuses: link(`${repoApi}/statuses/${p.head_sha}`),
    },
    author_association: p.fork ? 'CONTRIBUTOR' : 'OWNER',
    auto_merge: null,
    draft: false,
    merged: false,
    mergeable: true,
    rebaseable: true,
    mergeable_state: 'clean',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: p.fork,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}
