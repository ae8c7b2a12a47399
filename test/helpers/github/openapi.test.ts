import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { compiledApi, loadSubset, type Operation } from './openapi.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(`${ROOT}/${path}`, 'utf8')) as Record<string, unknown>;

function operation(id: string): Operation {
  const found = compiledApi().operations.find((o) => o.operationId === id);
  if (!found) throw new Error(`no ${id}`);
  return found;
}

describe('openapi-subset.json', () => {
  test('is what scripts/gen-github-openapi.mjs makes from the pinned @octokit/openapi', () => {
    const pinned = (readJson('package.json').devDependencies as Record<string, string>)['@octokit/openapi'];
    const installed = readJson('node_modules/@octokit/openapi/package.json').version;
    expect(installed, `@octokit/openapi ${String(installed)} is installed but package.json pins ${pinned}; run npm ci`).toBe(pinned);
    expect(loadSubset()['x-source']).toMatchObject({ package: '@octokit/openapi', version: pinned });
    const r = spawnSync(process.execPath, ['scripts/gen-github-openapi.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr, 'regenerate with `node scripts/gen-github-openapi.mjs`').toBe('');
    expect(r.status).toBe(0);
  });

  test('holds exactly the served operations', () => {
    expect(compiledApi().operations.map((o) => `${o.method} ${o.path} ${o.operationId}`).sort()).toEqual([
      'GET /repos/{owner}/{repo}/issues/comments/{comment_id} issues/get-comment',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments issues/list-comments',
      'GET /repos/{owner}/{repo}/pulls/{pull_number} pulls/get',
      'GET /user users/get-authenticated',
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id} checks/update',
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} issues/update-comment',
      'POST /repos/{owner}/{repo}/check-runs checks/create',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments issues/create-comment',
    ]);
  });
});

describe('response checks', () => {
  const user = {
    login: 'octocat',
    id: 1,
    node_id: 'MDQ6VXNlcjE=',
    avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
    gravatar_id: '',
    url: 'https://api.github.com/users/octocat',
    html_url: 'https://github.com/octocat',
    followers_url: 'https://api.github.com/users/octocat/followers',
    following_url: 'https://api.github.com/users/octocat/following{/other_user}',
    gists_url: 'https://api.github.com/users/octocat/gists{/gist_id}',
    starred_url: 'https://api.github.com/users/octocat/starred{/owner}{/repo}',
    subscriptions_url: 'https://api.github.com/users/octocat/subscriptions',
    organizations_url: 'https://api.github.com/users/octocat/orgs',
    repos_url: 'https://api.github.com/users/octocat/repos',
    events_url: 'https://api.github.com/users/octocat/events{/privacy}',
    received_events_url: 'https://api.github.com/users/octocat/received_events',
    type: 'User',
    site_admin: false,
  };
  const comment = {
    id: 1,
    node_id: 'MDEyOklzc3VlQ29tbWVudDE=',
    url: 'https://api.github.com/repos/o/r/issues/comments/1',
    html_url: 'https://github.com/o/r/issues/1#issuecomment-1',
    issue_url: 'https://api.github.com/repos/o/r/issues/1',
    body: 'hi',
    user,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
  };

  test('accept a well-formed issue comment and a null user (a deleted account)', () => {
    const api = compiledApi();
    expect(api.responseProblems(operation('issues/create-comment'), 201, comment)).toEqual([]);
    expect(api.responseProblems(operation('issues/create-comment'), 201, { ...comment, user: null })).toEqual([]);
  });

  test('report missing fields, wrong types, relative URLs and bad timestamps', () => {
    const api = compiledApi();
    const { user: _, ...noUser } = comment;
    expect(api.responseProblems(operation('issues/create-comment'), 201, noUser)).toEqual(["201: / must have required property 'user'"]);
    expect(api.responseProblems(operation('issues/get-comment'), 200, { ...comment, id: '1' })).toEqual(['200: /id must be integer']);
    expect(api.responseProblems(operation('issues/get-comment'), 200, { ...comment, html_url: '/o/r/issues/1' })).toEqual([
      '200: /html_url must match format "uri"',
    ]);
    expect(api.responseProblems(operation('issues/get-comment'), 200, { ...comment, created_at: '2024-01-01 00:00' })).toEqual([
      '200: /created_at must match format "date-time"',
    ]);
  });

  test('hold undeclared statuses to GitHub error shapes, and undeclared successes are mistakes', () => {
    const api = compiledApi();
    const update = operation('issues/update-comment');
    expect(api.responseProblems(update, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' })).toEqual([]);
    expect(api.responseProblems(update, 404, { message: 404 })).toEqual(['404: /message must be string']);
    expect(api.responseProblems(update, 201, comment)).toEqual(['201 is not a status the operation declares']);
    expect(api.responseProblems(undefined, 401, { message: 'Bad credentials' })).toEqual([]);
  });

  test('allow null in a nullable enum (an unfinished check run has no conclusion)', () => {
    const create = operation('checks/create');
    const problems = compiledApi().responseProblems(create, 201, { conclusion: null });
    expect(problems.some((p) => p.includes('/conclusion'))).toBe(false);
    expect(compiledApi().responseProblems(create, 201, { conclusion: 'stale' })).toContain(
      '201: /conclusion must be equal to one of the allowed values',
    );
  });
});
