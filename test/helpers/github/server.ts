// A GitHub REST API server on loopback for tests: the few operations the actions call, with in-memory state, checked
// against GitHub's official OpenAPI description (openapi-subset.json). Every request is checked against its
// operation, and every response against the operation's schema for its status, before it is sent; anything that
// does not conform lands in `violations`.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { coerce, compiledApi, describeErrors, type CompiledApi, type Operation, type RequestProblem } from './openapi.js';
import {
  checkRun,
  integration,
  issueComment,
  privateUser,
  pullRequest,
  type Account,
  type CheckRunRecord,
  type CommentRecord,
  type Links,
  type RepoRecord,
} from './objects.js';
import { paginate } from './paging.js';

export interface TokenInfo {
  login: string;
  /** @default 'Bot' when the login ends in `[bot]`, else 'User' */
  type?: 'User' | 'Bot';
  write: boolean;
  /** installation tokens (GITHUB_TOKEN) get 403 on GET /user */
  installation?: boolean;
}

export interface GitHubServerOptions {
  /** Accepted tokens, as sent in `Authorization: token X` or `Bearer X`. */
  tokens: Record<string, TokenInfo>;
  /** The repositories that exist. @default any repository exists, with no pull requests */
  repos?: {
    owner: string;
    repo: string;
    pulls?: { number: number; head_sha: string; base_sha: string; head_ref: string; base_ref: string; fork?: boolean }[];
  }[];
}

export interface GitHubServer {
  /** base URL to use as GITHUB_API_URL */
  url: string;
  close(): Promise<void>;
  addComment(owner: string, repo: string, issue: number, c: { login: string; type?: 'User' | 'Bot'; body: string }): { id: number };
  comments(owner: string, repo: string, issue: number): { id: number; login: string; body: string; created_at: string; updated_at: string }[];
  checkRuns(owner: string, repo: string): {
    id: number;
    name: string;
    head_sha: string;
    status: string;
    conclusion: string | null;
    output?: { title?: string; summary?: string; text?: string };
  }[];
  requests: { method: string; path: string; status: number; operationId?: string }[];
  /** Every schema violation found in a request or a response; tests assert it is empty. */
  violations: string[];
}

/** GitHub's limit on an issue comment body, which its OpenAPI description does not state. */
export const COMMENT_BODY_MAX = 65536;

// Timestamps advance one second per change from a fixed start, so that runs are reproducible.
const BASE_TIME = Date.UTC(2024, 0, 1);
// Ids in GitHub's current ranges: issue comment and check run ids no longer fit in 32 bits.
const FIRST_COMMENT_ID = 2_200_000_001;
const FIRST_CHECK_RUN_ID = 30_000_000_001;
const FIRST_CHECK_SUITE_ID = 25_000_000_001;
const FIRST_ACCOUNT_ID = 10_001;
const FIRST_REPO_ID = 700_000_001;
const FIRST_PULL_ID = 1_900_000_001;
/** The account that opens a fork's pull request, from its fork of the same name. */
export const FORK_AUTHOR = 'contributor';
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const GENERIC_DOCS = 'https://docs.github.com/rest';

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Request {
  url: URL;
  account: Account;
  token: TokenInfo;
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  docs: string;
}

function errorReply(status: number, message: string, docs: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { message, ...extra, documentation_url: docs, status: String(status) } };
}

function invalidRequest(problems: RequestProblem[], docs: string): Reply {
  return errorReply(422, `Invalid request.\n\n${problems.map((p) => p.message).join('\n')}`, docs);
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m?.[1];
}

function key(owner: string, repo: string): string {
  return `${owner}/${repo}`.toLowerCase();
}

class FakeGitHub {
  readonly requests: GitHubServer['requests'] = [];
  readonly violations: string[] = [];
  private readonly accounts = new Map<string, Account>();
  private readonly repos = new Map<string, RepoRecord>();
  private readonly comments: CommentRecord[] = [];
  private readonly runs: CheckRunRecord[] = [];
  private readonly suites = new Map<string, number>();
  private tick = 0;
  private nextComment = FIRST_COMMENT_ID;
  private nextRun = FIRST_CHECK_RUN_ID;
  links: Links = { api: '', web: 'https://github.com' };

  constructor(
    private readonly api: CompiledApi,
    private readonly opts: GitHubServerOptions,
  ) {
    for (const t of Object.values(opts.tokens)) this.account(t.login, t.type);
    let pullId = FIRST_PULL_ID;
    for (const r of opts.repos ?? []) {
      const pulls = (r.pulls ?? []).map((p) => ({ ...p, id: pullId++, fork: p.fork === true }));
      this.repos.set(key(r.owner, r.repo), { owner: r.owner, name: r.repo, id: FIRST_REPO_ID + this.repos.size, pulls });
    }
  }

  private now(): string {
    return new Date(BASE_TIME + 1000 * this.tick++).toISOString().replace('.000Z', 'Z');
  }

  account(login: string, type?: 'User' | 'Bot'): Account {
    let a = this.accounts.get(login.toLowerCase());
    if (!a) {
      a = { login, type: type ?? (login.endsWith('[bot]') ? 'Bot' : 'User'), id: FIRST_ACCOUNT_ID + this.accounts.size };
      this.accounts.set(login.toLowerCase(), a);
    }
    return a;
  }

  repo(owner: string, name: string): RepoRecord | undefined {
    const found = this.repos.get(key(owner, name));
    if (found || this.opts.repos) return found;
    const created = { owner, name, id: FIRST_REPO_ID + this.repos.size, pulls: [] };
    this.repos.set(key(owner, name), created);
    return created;
  }

  private checkSuite(repo: RepoRecord, sha: string): number {
    const k = `${repo.id}:${sha}`;
    if (!this.suites.has(k)) this.suites.set(k, FIRST_CHECK_SUITE_ID + this.suites.size);
    return this.suites.get(k)!;
  }

  addComment(owner: string, repo: string, issue: number, c: { login: string; type?: 'User' | 'Bot'; body: string }): { id: number } {
    const r = this.repo(owner, repo);
    if (!r) throw new Error(`addComment: ${owner}/${repo} is not among the server's repos`);
    return this.createComment(r, issue, this.account(c.login, c.type), c.body);
  }

  private createComment(r: RepoRecord, issue: number, author: Account, body: string): CommentRecord {
    const at = this.now();
    const c = { id: this.nextComment++, owner: r.owner, repo: r.name, issue, author, body, created_at: at, updated_at: at };
    this.comments.push(c);
    return c;
  }

  listComments(owner: string, repo: string, issue: number): CommentRecord[] {
    const k = key(owner, repo);
    return this.comments.filter((c) => key(c.owner, c.repo) === k && c.issue === issue);
  }

  listRuns(owner: string, repo: string): CheckRunRecord[] {
    const k = key(owner, repo);
    return this.runs.filter((r) => key(r.owner, r.repo) === k);
  }

  private app(bot: Account): Record<string, unknown> {
    return integration(bot, this.account('github', 'User'), this.links);
  }

  private commentJson(c: CommentRecord): Record<string, unknown> {
    const r = this.repo(c.owner, c.repo)!;
    const writer = Object.values(this.opts.tokens).some((t) => t.write && t.login.toLowerCase() === c.author.login.toLowerCase());
    const association =
      c.author.login.toLowerCase() === r.owner.toLowerCase() ? 'OWNER' : c.author.type === 'User' && writer ? 'COLLABORATOR' : 'NONE';
    return issueComment(
      c,
      { association, app: c.author.type === 'Bot' ? this.app(c.author) : null, isPull: r.pulls.some((p) => p.number === c.issue) },
      this.links,
    );
  }

  private runJson(run: CheckRunRecord): Record<string, unknown> {
    return checkRun(run, this.repo(run.owner, run.repo)!, this.app(run.app), this.links);
  }

  /** Answers one request (the caller checks the reply against the operation before sending it). */
  handle(method: string, rawUrl: string, headers: IncomingHttpHeaders, bodyText: string): { reply: Reply; operation?: Operation } {
    const url = new URL(rawUrl, this.links.api);
    const match = this.api.match(method, url.pathname);
    const matched = match.found?.operation;
    // GitHub checks credentials before it looks the path up.
    const token = bearer(headers);
    if (token === undefined) return { reply: errorReply(401, 'Requires authentication', GENERIC_DOCS), operation: matched };
    const info = this.opts.tokens[token];
    if (!info) return { reply: errorReply(401, 'Bad credentials', GENERIC_DOCS), operation: matched };
    if (!match.found) {
      const why = match.pathExists ? 'the operation is not served for this method' : 'no operation has this path';
      this.violations.push(`${method} ${url.pathname}: ${why}`);
      return { reply: errorReply(404, 'Not Found', GENERIC_DOCS) };
    }
    const { operation, pathValues } = match.found;
    const parsed = this.parse(operation, pathValues, url, bodyText, info);
    if ('status' in parsed) return { reply: parsed, operation };
    return { reply: this.dispatch(operation.operationId, parsed, parsed.repo), operation };
  }

  /** The request's parameters and body, checked against the operation; or the error reply GitHub would send. */
  private parse(
    operation: Operation,
    pathValues: Record<string, string>,
    url: URL,
    bodyText: string,
    info: TokenInfo,
  ): Reply | (Request & { repo: RepoRecord | undefined }) {
    const docs = operation.documentationUrl;
    const where = `${operation.method} ${url.pathname} (${operation.operationId})`;
    const rejected = (problems: string[], r: Reply) => {
      this.violations.push(`${where}: request: ${problems.join(' ')}`);
      return r;
    };
    const path: Record<string, unknown> = {};
    const query: Record<string, unknown> = {};
    const problems: RequestProblem[] = [];
    let badPath = false;
    for (const p of operation.parameters) {
      const raw = p.in === 'path' ? pathValues[p.name] : (url.searchParams.get(p.name) ?? undefined);
      if (raw === undefined) {
        if (p.required) problems.push({ message: `"${p.name}" wasn't supplied.` });
        continue;
      }
      const value = coerce(raw, p.type);
      if (!p.validate(value)) {
        problems.push(...describeErrors(p.validate.errors, p.name, value));
        badPath ||= p.in === 'path';
      }
      (p.in === 'path' ? path : query)[p.name] = value;
    }
    // A path that does not fit the operation's parameter types (`/issues/abc/comments`) matches no route on GitHub.
    if (badPath) return rejected(problems.map((p) => p.message), errorReply(404, 'Not Found', docs));

    const repo = typeof path.owner === 'string' && typeof path.repo === 'string' ? this.repo(path.owner, path.repo) : undefined;
    if ('owner' in path && !repo) return errorReply(404, 'Not Found', docs);
    if (WRITE_METHODS.has(operation.method) && !info.write) return errorReply(403, 'Resource not accessible by integration', docs);

    let body: Record<string, unknown> = {};
    if (operation.body) {
      let value: unknown = {};
      if (bodyText.trim() !== '') {
        try {
          value = JSON.parse(bodyText);
        } catch {
          return rejected(['the body is not JSON'], errorReply(400, 'Problems parsing JSON', docs));
        }
      }
      if (operation.body.validate(value)) body = value as Record<string, unknown>;
      else problems.push(...describeErrors(operation.body.validate.errors, 'body', value));
    }
    if (problems.length > 0) return rejected(problems.map((p) => p.message), invalidRequest(problems, docs));
    return { url, account: this.account(info.login, info.type), token: info, path, query, body, docs, repo };
  }

  private dispatch(operationId: string, req: Request, repo: RepoRecord | undefined): Reply {
    switch (operationId) {
      case 'users/get-authenticated':
        if (req.token.installation) return errorReply(403, 'Resource not accessible by integration', req.docs);
        return { status: 200, body: privateUser(req.account, this.links) };
      case 'issues/list-comments':
        return this.listCommentsReply(req, repo!);
      case 'issues/create-comment':
        return this.createCommentReply(req, repo!);
      case 'issues/get-comment':
      case 'issues/update-comment':
        return this.commentReply(operationId, req, repo!);
      case 'checks/create':
      case 'checks/update':
        return this.checkRunReply(operationId, req, repo!);
      case 'pulls/get':
        return this.pullReply(req, repo!);
      default:
        throw new Error(`${operationId} is in openapi-subset.json but has no handler`);
    }
  }

  private listCommentsReply(req: Request, repo: RepoRecord): Reply {
    const since = typeof req.query.since === 'string' ? Date.parse(req.query.since) : undefined;
    const all = this.listComments(repo.owner, repo.name, req.path.issue_number as number).filter(
      (c) => since === undefined || Date.parse(c.updated_at) >= since,
    );
    const page = paginate(all, req.url, (req.query.page as number | undefined) ?? 1, (req.query.per_page as number | undefined) ?? 30);
    return {
      status: 200,
      body: page.items.map((c) => this.commentJson(c)),
      headers: page.link ? { link: page.link } : {},
    };
  }

  private tooLong(body: string, docs: string): Reply | undefined {
    // GitHub counts characters (code points), not UTF-16 units.
    let length = 0;
    for (const _ of body) length++;
    if (length <= COMMENT_BODY_MAX) return undefined;
    return errorReply(422, 'Validation Failed', docs, {
      errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${COMMENT_BODY_MAX} characters)` }],
    });
  }

  private createCommentReply(req: Request, repo: RepoRecord): Reply {
    const text = req.body.body as string;
    const tooLong = this.tooLong(text, req.docs);
    if (tooLong) return tooLong;
    const c = this.createComment(repo, req.path.issue_number as number, req.account, text);
    const json = this.commentJson(c);
    return { status: 201, body: json, headers: { location: json.url as string } };
  }

  private commentReply(operationId: string, req: Request, repo: RepoRecord): Reply {
    const c = this.comments.find((x) => x.id === req.path.comment_id && key(x.owner, x.repo) === key(repo.owner, repo.name));
    if (!c) return errorReply(404, 'Not Found', req.docs);
    if (operationId === 'issues/update-comment') {
      const text = req.body.body as string;
      const tooLong = this.tooLong(text, req.docs);
      if (tooLong) return tooLong;
      c.body = text;
      c.updated_at = this.now();
    }
    return { status: 200, body: this.commentJson(c) };
  }

  private checkRunReply(operationId: string, req: Request, repo: RepoRecord): Reply {
    // The Checks API takes writes from GitHub Apps only; a user's token is turned away.
    if (!req.token.installation && req.account.type !== 'Bot') return errorReply(403, 'You must authenticate via a GitHub App.', req.docs);
    const b = req.body as {
      name?: string;
      head_sha?: string;
      status?: string;
      conclusion?: string;
      started_at?: string;
      completed_at?: string;
      details_url?: string;
      external_id?: string;
      output?: { title?: string; summary?: string; text?: string; annotations?: unknown[] };
    };
    let run: CheckRunRecord | undefined;
    if (operationId === 'checks/create') {
      if (!/^[0-9a-f]{40}$/.test(b.head_sha!)) return errorReply(422, `No commit found for SHA: ${b.head_sha}`, req.docs);
    } else {
      run = this.runs.find((r) => r.id === req.path.check_run_id && key(r.owner, r.repo) === key(repo.owner, repo.name));
      if (!run) return errorReply(404, 'Not Found', req.docs);
    }
    // GitHub sets the conclusion, never a client; and a completed run needs one.
    if (b.conclusion === 'stale') return invalidRequest([{ message: `For 'properties/conclusion', "stale" is not a conclusion a client may set.` }], req.docs);
    const status = b.conclusion !== undefined ? 'completed' : (b.status ?? run?.status ?? 'queued');
    const conclusion = b.conclusion ?? run?.conclusion ?? null;
    if (status === 'completed' && conclusion === null) return invalidRequest([{ message: '"conclusion" wasn\'t supplied.' }], req.docs);
    const now = this.now();
    const fields = {
      status,
      conclusion,
      started_at: b.started_at ?? run?.started_at ?? now,
      completed_at: b.completed_at ?? run?.completed_at ?? (status === 'completed' ? now : null),
      details_url: b.details_url ?? run?.details_url ?? null,
      external_id: b.external_id ?? run?.external_id ?? null,
    };
    const output = b.output
      ? Object.fromEntries(Object.entries({ title: b.output.title, summary: b.output.summary, text: b.output.text }).filter(([, v]) => v !== undefined))
      : undefined;
    const annotations = b.output?.annotations?.length ?? 0;
    if (run) {
      Object.assign(run, fields);
      if (b.name !== undefined) run.name = b.name;
      if (output) run.output = { ...run.output, ...output };
      // Annotations add up over updates, as on GitHub.
      run.annotations_count += annotations;
      return { status: 200, body: this.runJson(run) };
    }
    const created: CheckRunRecord = {
      id: this.nextRun++,
      owner: repo.owner,
      repo: repo.name,
      name: b.name!,
      head_sha: b.head_sha!,
      ...fields,
      output: output ?? {},
      annotations_count: annotations,
      check_suite_id: this.checkSuite(repo, b.head_sha!),
      app: req.account,
    };
    this.runs.push(created);
    return { status: 201, body: this.runJson(created) };
  }

  private pullReply(req: Request, repo: RepoRecord): Reply {
    const p = repo.pulls.find((x) => x.number === req.path.pull_number);
    if (!p) return errorReply(404, 'Not Found', req.docs);
    const owner = this.account(repo.owner, 'User');
    const author = p.fork ? this.account(FORK_AUTHOR, 'User') : owner;
    const json = pullRequest(p, repo, { owner, author }, repo.id + 1_000_000, new Date(BASE_TIME).toISOString().replace('.000Z', 'Z'), this.links);
    return { status: 200, body: { ...json, comments: this.listComments(repo.owner, repo.name, p.number).length } };
  }

  /** Checks a reply against the operation's response schema for its status; records what does not fit. */
  checkReply(method: string, path: string, reply: Reply, operation: Operation | undefined): void {
    const problems = this.api.responseProblems(operation, reply.status, reply.body);
    const where = operation ? `${method} ${path} (${operation.operationId})` : `${method} ${path}`;
    for (const p of problems) this.violations.push(`${where}: response ${p}`);
  }
}

/** Starts the server on 127.0.0.1 on a free port. */
export async function startGitHubServer(opts: GitHubServerOptions): Promise<GitHubServer> {
  const fake = new FakeGitHub(compiledApi(), opts);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const rawUrl = req.url ?? '/';
      let reply: Reply;
      let operation: Operation | undefined;
      try {
        ({ reply, operation } = fake.handle(method, rawUrl, req.headers, Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        fake.violations.push(`${method} ${rawUrl}: the server failed: ${err instanceof Error ? err.message : String(err)}`);
        reply = errorReply(500, 'Server Error', GENERIC_DOCS);
      }
      const pathname = new URL(rawUrl, fake.links.api).pathname;
      fake.checkReply(method, pathname, reply, operation);
      fake.requests.push({ method, path: rawUrl, status: reply.status, ...(operation ? { operationId: operation.operationId } : {}) });
      const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        'x-github-media-type': 'github.v3; format=json',
        ...reply.headers,
      });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  fake.links = { api: `http://127.0.0.1:${port}`, web: 'https://github.com' };
  return {
    url: fake.links.api,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Clients keep connections alive; close them so that close() does not wait for their idle timeout.
        server.closeAllConnections();
      }),
    addComment: (owner, repo, issue, c) => ({ id: fake.addComment(owner, repo, issue, c).id }),
    comments: (owner, repo, issue) =>
      fake.listComments(owner, repo, issue).map((c) => ({
        id: c.id,
        login: c.author.login,
        body: c.body,
        created_at: c.created_at,
        updated_at: c.updated_at,
      })),
    checkRuns: (owner, repo) =>
      fake.listRuns(owner, repo).map((r) => ({
        id: r.id,
        name: r.name,
        head_sha: r.head_sha,
        status: r.status,
        conclusion: r.conclusion,
        ...(Object.keys(r.output).length > 0 ? { output: { ...r.output } } : {}),
      })),
    requests: fake.requests,
    violations: fake.violations,
  };
}
