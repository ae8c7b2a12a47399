import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, test } from 'vitest';
import { COMMENT_BODY_MAX, startGitHubServer, type GitHubServer, type GitHubServerOptions } from './server.js';

const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const FORK_HEAD = 'c'.repeat(40);

const OPTIONS: GitHubServerOptions = {
  tokens: {
    'ghs-write': { login: 'github-actions[bot]', type: 'Bot', write: true, installation: true },
    'ghs-fork': { login: 'github-actions[bot]', type: 'Bot', write: false, installation: true },
    'ghp-user': { login: 'octocat', write: true },
  },
  repos: [
    {
      owner: 'octo-org',
      repo: 'models',
      pulls: [
        { number: 7, head_sha: HEAD, base_sha: BASE, head_ref: 'feature', base_ref: 'main' },
        { number: 8, head_sha: FORK_HEAD, base_sha: BASE, head_ref: 'patch-1', base_ref: 'main', fork: true },
      ],
    },
  ],
};

let server: GitHubServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<GitHubServer> {
  server = await startGitHubServer(OPTIONS);
  return server;
}

function client(s: GitHubServer, token: string) {
  return getOctokit(token, { baseUrl: s.url });
}

/** The status and message of a failed octokit call. */
async function failure(call: Promise<unknown>): Promise<{ status: number; message: string; errors?: unknown }> {
  try {
    await call;
  } catch (err) {
    const e = err as { status: number; response?: { data?: { message?: string; errors?: unknown } } };
    return { status: e.status, message: e.response?.data?.message ?? '', errors: e.response?.data?.errors };
  }
  throw new Error('the call succeeded');
}

async function raw(s: GitHubServer, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${s.url}${path}`, { ...init, headers: { authorization: 'token ghs-write', ...init.headers } });
}

const repo = { owner: 'octo-org', repo: 'models' };

describe('the test GitHub server', () => {
  test('pages 150 comments by another account with GitHub Link headers, 100 per page', async () => {
    const s = await start();
    for (let i = 1; i <= 150; i++) s.addComment('octo-org', 'models', 7, { login: 'someone-else', body: `comment ${i}` });

    const first = await raw(s, '/repos/octo-org/models/issues/7/comments?per_page=100');
    const base = `${s.url}/repos/octo-org/models/issues/7/comments`;
    expect(first.headers.get('link')).toBe(`<${base}?per_page=100&page=2>; rel="next", <${base}?per_page=100&page=2>; rel="last"`);
    expect(((await first.json()) as unknown[]).length).toBe(100);
    const second = await raw(s, '/repos/octo-org/models/issues/7/comments?per_page=100&page=2');
    expect(second.headers.get('link')).toBe(`<${base}?per_page=100&page=1>; rel="prev", <${base}?per_page=100&page=1>; rel="first"`);

    const all = await client(s, 'ghs-write').paginate(client(s, 'ghs-write').rest.issues.listComments, {
      ...repo,
      issue_number: 7,
      per_page: 100,
    });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 150 }, (_, i) => `comment ${i + 1}`));
    expect(new Set(all.map((c) => c.user?.login))).toEqual(new Set(['someone-else']));
    expect(all.map((c) => c.id)).toEqual([...all.map((c) => c.id)].sort((a, b) => a - b));
    expect(s.violations).toEqual([]);
  });

  test('pages 30 at a time by default, with prev, next, last and first in the middle', async () => {
    const s = await start();
    for (let i = 1; i <= 150; i++) s.addComment('octo-org', 'models', 7, { login: 'someone-else', body: `comment ${i}` });
    const res = await raw(s, '/repos/octo-org/models/issues/7/comments?page=3');
    const base = `${s.url}/repos/octo-org/models/issues/7/comments`;
    expect(res.headers.get('link')).toBe(
      `<${base}?page=2>; rel="prev", <${base}?page=4>; rel="next", <${base}?page=5>; rel="last", <${base}?page=1>; rel="first"`,
    );
    const body = (await res.json()) as { body: string }[];
    expect(body.map((c) => c.body)).toEqual(Array.from({ length: 30 }, (_, i) => `comment ${61 + i}`));
    expect(s.violations).toEqual([]);
  });

  test('creates and updates a comment through @actions/github, as the token account', async () => {
    const s = await start();
    const octokit = client(s, 'ghs-write');
    const created = await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'first report' });
    expect(created.status).toBe(201);
    expect(created.data.user?.login).toBe('github-actions[bot]');
    expect(created.data.user?.type).toBe('Bot');
    expect(created.data.html_url).toBe(`https://github.com/octo-org/models/pull/7#issuecomment-${created.data.id}`);
    expect(created.headers.location).toBe(created.data.url);

    const updated = await octokit.rest.issues.updateComment({ ...repo, comment_id: created.data.id, body: 'second report' });
    expect(updated.data.body).toBe('second report');
    expect(updated.data.created_at).toBe(created.data.created_at);
    expect(Date.parse(updated.data.updated_at)).toBeGreaterThan(Date.parse(created.data.updated_at));

    const fetched = await octokit.rest.issues.getComment({ ...repo, comment_id: created.data.id });
    expect(fetched.data.body).toBe('second report');
    expect(s.comments('octo-org', 'models', 7)).toEqual([
      { id: created.data.id, login: 'github-actions[bot]', body: 'second report', created_at: created.data.created_at, updated_at: updated.data.updated_at },
    ]);
    expect(s.requests.map((r) => `${r.method} ${r.status} ${r.operationId}`)).toEqual([
      'POST 201 issues/create-comment',
      'PATCH 200 issues/update-comment',
      'GET 200 issues/get-comment',
    ]);
    expect(s.violations).toEqual([]);
  });

  test('comment ids increase across seeded and created comments', async () => {
    const s = await start();
    const seeded = s.addComment('octo-org', 'models', 7, { login: 'someone-else', body: 'hi' });
    const { data } = await client(s, 'ghp-user').rest.issues.createComment({ ...repo, issue_number: 7, body: 'hello' });
    expect(data.id).toBeGreaterThan(seeded.id);
    expect(data.author_association).toBe('COLLABORATOR');
  });

  test('answers 401 for a missing or unknown token, with GitHub error bodies', async () => {
    const s = await start();
    expect(await failure(client(s, 'nope').rest.issues.listComments({ ...repo, issue_number: 7 }))).toMatchObject({
      status: 401,
      message: 'Bad credentials',
    });
    const anonymous = await fetch(`${s.url}/user`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ message: 'Requires authentication', documentation_url: expect.any(String) });
    expect(s.requests.map((r) => `${r.status} ${r.operationId}`)).toEqual(['401 issues/list-comments', '401 users/get-authenticated']);
    expect(s.violations).toEqual([]);
  });

  test('answers 403 to writes with a read-only token, as a fork pull request gets', async () => {
    const s = await start();
    const forkToken = client(s, 'ghs-fork');
    expect(await failure(forkToken.rest.issues.createComment({ ...repo, issue_number: 8, body: 'x' }))).toEqual({
      status: 403,
      message: 'Resource not accessible by integration',
      errors: undefined,
    });
    expect(
      await failure(forkToken.rest.checks.create({ ...repo, name: 'gitml', head_sha: FORK_HEAD, status: 'in_progress' })),
    ).toMatchObject({ status: 403, message: 'Resource not accessible by integration' });
    // Reads still work.
    expect((await forkToken.rest.pulls.get({ ...repo, pull_number: 8 })).data.head.repo.fork).toBe(true);
    expect(s.comments('octo-org', 'models', 8)).toEqual([]);
    expect(s.violations).toEqual([]);
  });

  test('GET /user: 403 for an installation token, the private profile for a user token', async () => {
    const s = await start();
    expect(await failure(client(s, 'ghs-write').rest.users.getAuthenticated())).toMatchObject({
      status: 403,
      message: 'Resource not accessible by integration',
    });
    const { data } = await client(s, 'ghp-user').rest.users.getAuthenticated();
    expect(data).toMatchObject({ login: 'octocat', type: 'User', user_view_type: 'private' });
    expect(s.violations).toEqual([]);
  });

  test('rejects a comment body over 65536 characters with GitHub validation error', async () => {
    const s = await start();
    const octokit = client(s, 'ghs-write');
    const result = await failure(octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'x'.repeat(COMMENT_BODY_MAX + 1) }));
    expect(result).toEqual({
      status: 422,
      message: 'Validation Failed',
      errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }],
    });
    const atLimit = await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'x'.repeat(COMMENT_BODY_MAX) });
    const update = octokit.rest.issues.updateComment({ ...repo, comment_id: atLimit.data.id, body: 'y'.repeat(COMMENT_BODY_MAX + 1) });
    expect((await failure(update)).status).toBe(422);
    // The limit counts characters: an emoji is one, though two UTF-16 units.
    await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: '😀'.repeat(COMMENT_BODY_MAX) });
    expect(s.comments('octo-org', 'models', 7).map((c) => [...c.body].length)).toEqual([COMMENT_BODY_MAX, COMMENT_BODY_MAX]);
    // GitHub's rule, not a schema violation: a client that handles it has done nothing wrong.
    expect(s.violations).toEqual([]);
  });

  test('rejects and records a request that breaks the schema', async () => {
    const s = await start();
    s.addComment('octo-org', 'models', 7, { login: 'someone-else', body: 'hi' });
    const res = await raw(s, '/repos/octo-org/models/issues/7/comments?per_page=1000');
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ message: "Invalid request.\n\nFor 'per_page', 1000 must be <= 100." });

    const missing = await raw(s, '/repos/octo-org/models/issues/7/comments', { method: 'POST', body: JSON.stringify({ text: 'hi' }) });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { message: string }).message).toBe('Invalid request.\n\n"body" wasn\'t supplied.');

    const garbled = await raw(s, '/repos/octo-org/models/issues/7/comments', { method: 'POST', body: '{"body": ' });
    expect(garbled.status).toBe(400);
    expect(((await garbled.json()) as { message: string }).message).toBe('Problems parsing JSON');

    const unknown = await raw(s, '/repos/octo-org/models/releases');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ message: 'Not Found' });

    expect(s.violations).toEqual([
      "GET /repos/octo-org/models/issues/7/comments (issues/list-comments): request: For 'per_page', 1000 must be <= 100.",
      'POST /repos/octo-org/models/issues/7/comments (issues/create-comment): request: "body" wasn\'t supplied.',
      'POST /repos/octo-org/models/issues/7/comments (issues/create-comment): request: the body is not JSON',
      'GET /repos/octo-org/models/releases: no operation has this path',
    ]);
    expect(s.comments('octo-org', 'models', 7)).toHaveLength(1);
  });

  test('creates and completes a check run; the same-repository pull request is linked', async () => {
    const s = await start();
    const octokit = client(s, 'ghs-write');
    const created = await octokit.rest.checks.create({ ...repo, name: 'gitml', head_sha: HEAD, status: 'in_progress' });
    expect(created.data).toMatchObject({ status: 'in_progress', conclusion: null, app: { slug: 'github-actions' } });
    expect(created.data.pull_requests.map((p) => p.number)).toEqual([7]);
    const done = await octokit.rest.checks.update({
      ...repo,
      check_run_id: created.data.id,
      conclusion: 'failure',
      output: { title: '1 gate failed', summary: 'accuracy 0.81 < 0.85' },
    });
    expect(done.data).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: '1 gate failed', text: null } });
    expect(done.data.completed_at).not.toBeNull();
    expect(s.checkRuns('octo-org', 'models')).toEqual([
      {
        id: created.data.id,
        name: 'gitml',
        head_sha: HEAD,
        status: 'completed',
        conclusion: 'failure',
        output: { title: '1 gate failed', summary: 'accuracy 0.81 < 0.85' },
      },
    ]);
    const fork = await octokit.rest.checks.create({ ...repo, name: 'gitml', head_sha: FORK_HEAD, conclusion: 'success' });
    expect(fork.data.pull_requests).toEqual([]);
    expect(fork.data.status).toBe('completed');
    expect(s.violations).toEqual([]);
  });

  test('rejects a check run summary over 65535 characters, a completed run without conclusion, and a user token', async () => {
    const s = await start();
    const octokit = client(s, 'ghs-write');
    const long = octokit.rest.checks.create({
      ...repo,
      name: 'gitml',
      head_sha: HEAD,
      output: { title: 't', summary: 's'.repeat(65536) },
    });
    expect(await failure(long)).toMatchObject({ status: 422, message: 'Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied.' });
    expect(s.violations).toEqual([
      'POST /repos/octo-org/models/check-runs (checks/create): request: Only 65535 characters are allowed; 65536 were supplied.',
    ]);
    expect(await failure(octokit.rest.checks.create({ ...repo, name: 'gitml', head_sha: HEAD, status: 'completed' }))).toMatchObject({
      status: 422,
      message: 'Invalid request.\n\n"conclusion" wasn\'t supplied.',
    });
    expect(await failure(octokit.rest.checks.create({ ...repo, name: 'gitml', head_sha: 'main' }))).toMatchObject({
      status: 422,
      message: 'No commit found for SHA: main',
    });
    expect(await failure(client(s, 'ghp-user').rest.checks.create({ ...repo, name: 'gitml', head_sha: HEAD }))).toMatchObject({
      status: 403,
      message: 'You must authenticate via a GitHub App.',
    });
    expect(s.checkRuns('octo-org', 'models')).toEqual([]);
  });

  test('serves pull requests, from the repository and from a fork; 404 for unknown ones and unknown repositories', async () => {
    const s = await start();
    const octokit = client(s, 'ghs-write');
    s.addComment('octo-org', 'models', 7, { login: 'someone-else', body: 'hi' });
    const same = await octokit.rest.pulls.get({ ...repo, pull_number: 7 });
    expect(same.data).toMatchObject({
      number: 7,
      comments: 1,
      head: { sha: HEAD, ref: 'feature', repo: { full_name: 'octo-org/models', fork: false } },
      base: { sha: BASE, ref: 'main', repo: { full_name: 'octo-org/models' } },
    });
    const fork = await octokit.rest.pulls.get({ ...repo, pull_number: 8 });
    expect(fork.data.head).toMatchObject({ sha: FORK_HEAD, label: 'contributor:patch-1', repo: { full_name: 'contributor/models', fork: true } });
    expect((await failure(octokit.rest.pulls.get({ ...repo, pull_number: 9 }))).status).toBe(404);
    expect((await failure(octokit.rest.pulls.get({ owner: 'octo-org', repo: 'other', pull_number: 7 }))).status).toBe(404);
    expect(s.violations).toEqual([]);
  });
});
