/**
 * `gitml serve`: loads the models (ONNX files named on the command line, or a serve config), wires the traffic
 * router, Prometheus metrics, the prediction log and feedback into the server, and runs it until SIGTERM or SIGINT
 * (graceful: stop accepting, finish what is in flight, flush the logs). SIGHUP reloads the models from their files.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { packageVersion } from '../cli/version.js';
import { UsageError } from '../errors.js';
import { parseServeConfig, settingsForFiles, type ServeSettings } from '../serve/config.js';
import { parseFeedback } from '../serve/feedback.js';
import { agreement, ServeMetrics } from '../serve/metrics.js';
import { ModelSet } from '../serve/models.js';
import { NdjsonLog } from '../serve/ndjson-log.js';
import { InferenceServer } from '../serve/server.js';
import { TrafficRouter } from '../serve/traffic.js';

export interface ServeOptions {
  cwd?: string;
  /** ONNX files; each is a model, or a further version of one when its name repeats. */
  models?: string[];
  /** A serve config (schemas/serve.schema.json) instead of `models`. */
  config?: string;
  host?: string;
  port?: number;
  /** Told once the server listens, and of every reload. */
  print?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  server: InferenceServer;
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function serve(o: ServeOptions): Promise<RunningServer> {
  const cwd = o.cwd ?? process.cwd();
  const settings = settingsOf(o, cwd);
  const models = new ModelSet(settings.models, (policy) => new TrafficRouter(policy));
  await models.load();
  const metrics = new ServeMetrics();
  const log = settings.log
    ? new NdjsonLog({
        path: settings.log.path,
        sample: settings.log.sample,
        ...(settings.log.maxBytes !== undefined ? { maxBytes: settings.log.maxBytes } : {}),
        ...(settings.log.maxAgeMs !== undefined ? { maxAgeMs: settings.log.maxAgeMs } : {}),
        onError: (err: Error) => o.print?.(`prediction log: ${err.message}`),
      })
    : undefined;
  const feedback = settings.feedback ? { log: new NdjsonLog({ path: settings.feedback }), parse: parseFeedback } : undefined;
  const adminToken = settings.adminTokenEnv ? process.env[settings.adminTokenEnv] : undefined;
  if (settings.adminTokenEnv && !adminToken) o.print?.(`admin endpoint off: ${settings.adminTokenEnv} is not set`);
  const reload = async (): Promise<void> => {
    await models.load();
    o.print?.(`reloaded: ${describe(models)}`);
  };
  const server = new InferenceServer({
    models,
    bodyLimit: settings.bodyLimit,
    requestTimeoutMs: settings.requestTimeoutMs,
    version: packageVersion(),
    metrics,
    ...(log ? { log } : {}),
    ...(feedback ? { feedback } : {}),
    agreement,
    ...(adminToken ? { adminToken } : {}),
    reload,
  });
  const at = await server.listen(settings.port, settings.host);
  const url = `http://${at.family === 'IPv6' ? `[${at.address}]` : at.address}:${at.port}`;
  o.print?.(`serving ${describe(models)} on ${url}`);
  return { url, server, reload, close: () => server.close() };
}

/** `serve`, then runs until a signal: SIGTERM/SIGINT close gracefully, SIGHUP reloads (a failed reload keeps the old models). */
export async function serveUntilSignal(o: ServeOptions): Promise<void> {
  const running = await serve(o);
  const print = o.print ?? (() => {});
  await new Promise<void>((resolveDone) => {
    const stop = (signal: string) => {
      print(`${signal}: finishing requests in flight, then stopping`);
      process.off('SIGHUP', hup);
      void running.close().then(resolveDone);
    };
    const hup = () => {
      running.reload().catch((err: Error) => print(`reload failed, still serving the models loaded before: ${err.message}`));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', hup);
  });
}

function settingsOf(o: ServeOptions, cwd: string): ServeSettings {
  if (o.config && o.models?.length) throw new UsageError('give ONNX files or --config, not both');
  if (o.config) {
    const abs = resolve(cwd, o.config);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the serve config ${o.config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const s = parseServeConfig(text, o.config, abs);
    return { ...s, ...(o.host !== undefined ? { host: o.host } : {}), ...(o.port !== undefined ? { port: o.port } : {}) };
  }
  if (!o.models?.length) throw new UsageError('name the ONNX files to serve (gitml/model/package writes them), or --config FILE');
  return settingsForFiles(
    o.models.map((m) => resolve(cwd, m)),
    o,
  );
}

function describe(models: ModelSet): string {
  return models
    .names()
    .map((n) => `${n} (${[...models.get(n)!.versions.keys()].join(', ')})`)
    .join(', ');
}
