/**
 * The inference server on `node:http`: the Open Inference Protocol (v2) REST endpoints, MLflow's `/invocations`,
 * health, Prometheus `/metrics`, feedback and an admin reload. A bare `node:http` handler, since the figures decide
 * (bench/serve.mjs): a framework's routing and hooks cost more than these dozen routes need.
 *
 * Hostile input never reaches a model: bodies over the limit get 413 (checked from Content-Length before reading, and
 * while reading), requests that do not arrive whole in time are cut off by Node's request timeout, and malformed JSON,
 * unknown inputs, wrong shapes, datatypes and non-finite numbers are 400s in each protocol's error shape. Shadow
 * requests run after the answer is sent, and their failures are counted, never returned.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitmlError } from '../errors.js';
import { RequestError, badRequest, notFound } from './errors.js';
import { invocationResponse, parseInvocation } from './mlflow.js';
import { ModelInputError, type BatchPrediction, type Signature } from './model.js';
import type { ModelSet, Served, ServedModel } from './models.js';
import { inferResponse, modelMetadata, parseInfer, type InferRequest } from './oip.js';

/** Metrics the server reports (metrics.ts). */
export interface MetricsSink {
  readonly contentType: string;
  request(model: string, version: string, protocol: string, status: number, seconds: number): void;
  predictions(model: string, version: string, p: { labels?: readonly string[]; values?: ArrayLike<number> }): void;
  /** Gives the metrics the server's count of requests in flight, read when scraped. */
  countInFlight(read: () => number): void;
  shadow(model: string, primary: string, shadow: string, result: { compared: number; agreed: number } | 'error'): void;
  text(): Promise<string>;
}

/** The prediction log (prediction-log.ts): takes a request's record and returns at once. */
export interface PredictionSink {
  record(id: string, model: string, version: string, columns: Record<string, Float64Array | readonly string[]>, p: BatchPrediction, latencyMs: number): void;
  close(): Promise<void>;
}

/** An append-only log that never blocks (ndjson-log.ts). */
export interface LogSink {
  /** One record, or one line of JSON already serialised (without its newline). */
  write(record: object | string): void;
  /** Lines of JSON already serialised, each ending in a newline. */
  writeLines(lines: readonly string[]): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface ServerOptions {
  models: ModelSet;
  bodyLimit: number;
  requestTimeoutMs: number;
  /** gitml's version, for `GET /v2` and `GET /version`. */
  version: string;
  metrics?: MetricsSink;
  log?: PredictionSink;
  feedback?: { log: LogSink; parse(body: unknown, model: string): object[] };
  /** Shadow answers agreeing with the primary's: same label, or values within the tolerance. */
  agreement?: (a: PredictionParts, b: PredictionParts, tolerance: number) => { compared: number; agreed: number };
  /** The token `POST /admin/reload` needs (Bearer); the endpoint is off without one. */
  adminToken?: string;
  /** Reloads the models (SIGHUP and the admin endpoint). */
  reload?: () => Promise<void>;
  /** The `/metrics` body, when it is not this process's alone (`--workers`: every worker's, added up). */
  scrape?: () => Promise<string>;
}

export interface PredictionParts {
  labels?: readonly string[];
  values?: ArrayLike<number>;
}

type Protocol = 'v2' | 'mlflow' | 'other';

const JSON_TYPE = 'application/json';
const HEADER_SAFE = /^[\x20-\x7e]{1,256}$/;

export class InferenceServer {
  private readonly server: Server;
  private inFlight = 0;
  private drained: (() => void) | null = null;
  private closing = false;

  constructor(private readonly o: ServerOptions) {
    // Node checks the timeouts every `connectionsCheckingInterval` (30 s by default): often enough to keep to them.
    const timeouts = {
      requestTimeout: o.requestTimeoutMs,
      headersTimeout: Math.min(o.requestTimeoutMs, 10_000),
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(o.requestTimeoutMs / 4))),
    };
    this.server = createServer(timeouts, (req, res) => {
      void this.handle(req, res);
    });
    o.metrics?.countInFlight(() => this.inFlight);
  }

  /** Requests being answered now. */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, lets the requests in flight finish, flushes the logs and closes the models. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // Requests in flight finish; none can outlive the request timeout by much, which bounds the wait.
    if (this.inFlight > 0)
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        setTimeout(resolve, this.o.requestTimeoutMs + 5_000).unref();
      });
    this.server.closeAllConnections();
    await closed;
    await this.o.log?.close();
    await this.o.feedback?.log.close();
    this.o.models.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.inFlight++;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const protocol: Protocol = path.startsWith('/v2') ? 'v2' : path === '/invocations' ? 'mlflow' : 'other';
    let model = '';
    let version = '';
    let status = 500;
    try {
      const r = await this.route(req, path, q < 0 ? '' : url.slice(q + 1), res, (m, v) => {
        model = m;
        version = v;
      });
      status = r.status;
      if (!res.headersSent) send(res, r.status, r.body, r.type);
    } catch (err) {
      // Problems with what the client sent are 400s; anything else is the server's fault.
      const e = err instanceof RequestError ? err : err instanceof ModelInputError || (err instanceof GitmlError && err.code === 'E_FEEDBACK') ? badRequest(err.message) : null;
      status = e?.status ?? 500;
      const message = e ? e.message : `internal error: ${(err as Error).message}`;
      if (!res.headersSent) {
        if (e?.status === 413) res.setHeader('Connection', 'close');
        send(res, status, protocol === 'mlflow' ? { error_code: mlflowCode(status), message } : { error: message });
      }
    } finally {
      this.o.metrics?.request(model, version, protocol, status, (performance.now() - started) / 1000);
      if (--this.inFlight === 0 && this.drained) this.drained();
    }
  }

  private async route(
    req: IncomingMessage,
    path: string,
    query: string,
    res: ServerResponse,
    which: (model: string, version: string) => void,
  ): Promise<{ status: number; body: unknown; type?: string }> {
    const method = req.method ?? 'GET';
    const { models } = this.o;
    if (path === '/v2/health/live') return only(method, 'GET', { status: 200, body: { live: true } });
    if (path === '/v2/health/ready') return only(method, 'GET', this.closing ? { status: 503, body: { ready: false } } : { status: 200, body: { ready: true } });
    if (path === '/v2') return only(method, 'GET', { status: 200, body: { name: 'gitml', version: this.o.version, extensions: [] } });
    if (path === '/ping' || path === '/health') return only(method, 'GET', { status: 200, body: '', type: 'text/plain' });
    if (path === '/version') return only(method, 'GET', { status: 200, body: this.o.version, type: 'text/plain' });
    if (path === '/metrics') {
      if (!this.o.metrics) throw notFound('metrics are off');
      return only(method, 'GET', { status: 200, body: await (this.o.scrape ?? (() => this.o.metrics!.text()))(), type: this.o.metrics.contentType });
    }
    if (path === '/admin/reload') return this.adminReload(req, method);
    if (path === '/invocations') {
      if (method !== 'POST') throw new RequestError(405, '/invocations takes POST');
      const name = new URLSearchParams(query).get('model');
      const lookup = (): ServedModel => {
        const m = name === null ? models.first() : models.get(name);
        if (!m) throw notFound(name === null ? 'no model is served' : `no model \`${name}\` (served: ${models.names().join(', ')})`);
        return m;
      };
      lookup();
      const body = await readJson(req, this.o.bodyLimit);
      const rows = parseInvocation(body);
      // Looked up again after the body arrived: a reload meanwhile may have replaced the model.
      return this.predict(lookup(), undefined, req, (served) => served.model.columnsOf(rows), (p, s) => invocationResponse(p, s), which, res);
    }

    const parts = path.split('/');
    // /v2/models/{name}[/versions/{v}][/ready|/infer|/feedback]
    if (parts[1] === 'v2' && parts[2] === 'models' && parts[3]) {
      const name = decodePart(parts[3]);
      const m = models.get(name);
      if (!m) throw notFound(`no model \`${name}\` (served: ${models.names().join(', ')})`);
      let rest = parts.slice(4);
      let explicit: string | undefined;
      if (rest[0] === 'versions') {
        if (!rest[1]) throw notFound('a version is missing after /versions');
        explicit = decodePart(rest[1]);
        if (!m.versions.has(explicit)) throw notFound(`model \`${name}\` has no version \`${explicit}\` (versions: ${[...m.versions.keys()].join(', ')})`);
        rest = rest.slice(2);
      }
      const action = rest.join('/');
      if (action === '') {
        const served = explicit ? m.versions.get(explicit)! : m.versions.get(m.router.choose())!;
        return only(method, 'GET', { status: 200, body: modelMetadata(name, explicit ? [explicit] : [...m.versions.keys()], served.model.signature) });
      }
      if (action === 'ready') return only(method, 'GET', { status: 200, body: { name, ...(explicit ? { version: explicit } : {}), ready: !this.closing } });
      if (action === 'infer') {
        if (method !== 'POST') throw new RequestError(405, 'infer takes POST');
        const body = await readJson(req, this.o.bodyLimit);
        // Looked up again after the body arrived: a reload meanwhile may have replaced the model.
        const current = models.get(name);
        if (!current || (explicit !== undefined && !current.versions.has(explicit))) throw notFound(`model \`${name}\`${explicit ? ` version \`${explicit}\`` : ''} is no longer served`);
        let parsed: InferRequest | undefined;
        return this.predict(
          current,
          explicit,
          req,
          (served) => (parsed = parseInfer(body, served.model.signature)).columns,
          (p, s, served) => inferResponse(name, served.version, parsed!, p, s),
          which,
          res,
          () => parsed?.id,
        );
      }
      if (action === 'feedback' && !explicit) {
        if (method !== 'POST') throw new RequestError(405, 'feedback takes POST');
        if (!this.o.feedback) throw notFound('feedback is off: set `feedback` (or `log`) in the serve config');
        const records = this.o.feedback.parse(await readJson(req, this.o.bodyLimit), name);
        for (const r of records) this.o.feedback.log.write(r);
        return { status: 200, body: { accepted: records.length } };
      }
    }
    throw notFound(`no endpoint ${method} ${path}`);
  }

  /**
   * Answers with the explicit version or the one the router picks (sticky on the model's header), logs the request,
   * and afterwards mirrors it to the shadow version when the router says so.
   */
  private async predict(
    m: ServedModel,
    explicit: string | undefined,
    req: IncomingMessage,
    columnsFor: (served: Served) => Record<string, Float64Array | readonly string[]>,
    answer: (p: BatchPrediction, s: Signature, served: Served) => unknown,
    which: (model: string, version: string) => void,
    res: ServerResponse,
    bodyId?: () => string | undefined,
  ): Promise<{ status: number; body: unknown }> {
    const key = header(req, m.sticky);
    const version = explicit ?? m.router.choose(key);
    const served = m.versions.get(version)!;
    which(m.name, version);
    served.acquire();
    let columns: Record<string, Float64Array | readonly string[]>;
    let p: BatchPrediction;
    const started = performance.now();
    try {
      columns = columnsFor(served);
      p = await served.predict(columns);
    } finally {
      served.release();
    }
    const latency = performance.now() - started;
    this.o.metrics?.predictions(m.name, version, p.label ? { labels: p.label } : { values: p.value ?? p.score ?? [] });
    const out = answer(p, served.model.signature, served);
    const id = bodyId?.() ?? header(req, 'x-request-id') ?? randomUUID();
    // An id that cannot be a header value (non-ASCII, line breaks) is still echoed in the body and logged.
    send(res, 200, out, JSON_TYPE, HEADER_SAFE.test(id) ? id : undefined);
    this.o.log?.record(id, m.name, version, columns, p, latency);
    if (m.shadow && !explicit && m.router.mirror(version, key)) void this.shadow(m, version, columns, p);
    return { status: 200, body: out };
  }

  private async shadow(m: ServedModel, primary: string, columns: Record<string, Float64Array | readonly string[]>, p: BatchPrediction): Promise<void> {
    const shadow = m.shadow!;
    // The current shadow version: a reload since the answer may have replaced the one `m` names.
    const served = this.o.models.get(m.name)?.versions.get(shadow.version);
    if (!served || served.closed) return;
    served.acquire();
    try {
      const q = await served.predict(columns);
      const parts = (b: BatchPrediction): PredictionParts => (b.label ? { labels: b.label } : { values: b.value ?? b.score ?? [] });
      const result = this.o.agreement ? this.o.agreement(parts(p), parts(q), shadow.tolerance) : { compared: 0, agreed: 0 };
      this.o.metrics?.shadow(m.name, primary, shadow.version, result);
    } catch {
      this.o.metrics?.shadow(m.name, primary, shadow.version, 'error');
    } finally {
      served.release();
    }
  }

  private async adminReload(req: IncomingMessage, method: string): Promise<{ status: number; body: unknown }> {
    if (!this.o.adminToken || !this.o.reload) throw notFound('the admin endpoint is off: set `admin_token_env` in the serve config');
    if (method !== 'POST') throw new RequestError(405, '/admin/reload takes POST');
    if (req.headers.authorization !== `Bearer ${this.o.adminToken}`) {
      req.resume();
      return { status: 401, body: { error: 'a valid `Authorization: Bearer <token>` is needed' } };
    }
    req.resume();
    await this.o.reload();
    return { status: 200, body: { reloaded: true, models: this.o.models.names() } };
  }
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badRequest(`the path has a bad %-escape: ${part}`);
  }
}

function only(method: string, allowed: string, r: { status: number; body: unknown; type?: string }): { status: number; body: unknown; type?: string } {
  if (method !== allowed) throw new RequestError(405, `this endpoint takes ${allowed}`);
  return r;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Answers with `body` (JSON unless `type` says otherwise); headers as a flat list, which Node takes fastest. */
function send(res: ServerResponse, status: number, body: unknown, type = JSON_TYPE, requestId?: string): void {
  const text = type === JSON_TYPE ? JSON.stringify(body) : String(body);
  const headers = ['content-type', type, 'content-length', String(Buffer.byteLength(text))];
  if (requestId !== undefined) headers.push('x-request-id', requestId);
  res.writeHead(status, headers);
  res.end(text);
}

function mlflowCode(status: number): string {
  return status === 404 ? 'RESOURCE_DOES_NOT_EXIST' : status === 413 ? 'REQUEST_LIMIT_EXCEEDED' : status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
}

/** The body as JSON, at most `limit` bytes: 413 past it (from Content-Length when given, before reading), 400 for bad JSON. */
function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new RequestError(413, `the body is ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        reject(new RequestError(413, `the body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (over) return;
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(badRequest(`the body is not valid JSON: ${(err as Error).message}`));
      }
    });
    req.on('error', (err) => reject(badRequest(`the request broke off: ${err.message}`)));
  });
}
