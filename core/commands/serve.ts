/**
 * `gitml serve`: loads the models (ONNX files named on the command line, or a serve config), wires the traffic
 * router, Prometheus metrics, the prediction log and feedback into the server, and runs it until SIGTERM or SIGINT
 * (graceful: stop accepting, finish what is in flight, flush the logs). SIGHUP reloads the models from their files.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { packageVersion } from '../cli/version.js';
import { UsageError } from '../errors.js';
import { PrimaryLink, ServeCluster, type ClusterOptions } from '../serve/cluster.js';
import { parseServeConfig, settingsForFiles, type ServeSettings } from '../serve/config.js';
import { parseFeedback } from '../serve/feedback.js';
import { agreement, ServeMetrics } from '../serve/metrics.js';
import { ModelSet, type PreparedModels } from '../serve/models.js';
import { NdjsonLog } from '../serve/ndjson-log.js';
import { PredictionLog, type LogFileOptions } from '../serve/prediction-log.js';
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
  /** Server processes sharing the port (`serveUntilSignal` only); `auto`: one per core. @default 1 */
  workers?: number | 'auto';
  /** Told once the server listens, and of every reload. */
  print?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  server: InferenceServer;
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the server in this process; resolves once it listens. */
export function serve(o: ServeOptions): Promise<RunningServer> {
  return start(o, settingsOf(o, o.cwd ?? process.cwd()));
}

/** `serve` on settings already read; in a `--workers` process, `link` joins it to the primary. */
async function start(o: ServeOptions, settings: ServeSettings, link?: PrimaryLink): Promise<RunningServer> {
  // A process keeps its HTTP thread busy; the models get threads of their own where there is a core for each. On a
  // machine without one they would only take turns with the HTTP thread, and pay for the messages between them.
  const processes = workerCount(o.workers ?? settings.workers ?? 1);
  const models = new ModelSet(settings.models, (policy) => new TrafficRouter(policy), processes * 2 <= availableParallelism());
  await models.load();
  const metrics = new ServeMetrics();
  const log = settings.log
    ? new PredictionLog({
        to: link ? { sink: link.log('predictions') } : { file: logFile(settings.log) },
        sample: settings.log.sample,
        onError: (message) => o.print?.(`prediction log: ${message}`),
      })
    : undefined;
  const feedbackLog = settings.feedback ? (link ? link.log('feedback') : feedbackFile(settings.feedback, o.print)) : undefined;
  const adminToken = settings.adminTokenEnv ? process.env[settings.adminTokenEnv] : undefined;
  if (settings.adminTokenEnv && !adminToken && !link) o.print?.(`admin endpoint off: ${settings.adminTokenEnv} is not set`);
  const reload = link
    ? async (): Promise<void> => {
        await link.ask('reload');
      }
    : async (): Promise<void> => {
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
    ...(feedbackLog ? { feedback: { log: feedbackLog, parse: parseFeedback } } : {}),
    agreement,
    ...(adminToken ? { adminToken } : {}),
    reload,
    ...(link ? { scrape: async () => String(await link.ask('metrics')) } : {}),
  });
  const at = await server.listen(settings.port, settings.host);
  const url = `http://${at.family === 'IPv6' ? `[${at.address}]` : at.address}:${at.port}`;
  if (link) {
    let prepared: PreparedModels | undefined;
    link.serve({
      metrics: () => metrics.json(),
      prepare: async () => {
        prepared?.abort();
        const next = await models.prepare();
        prepared = next;
        return describe(models, next);
      },
      commit: () => {
        prepared?.commit();
        prepared = undefined;
      },
      abort: () => {
        prepared?.abort();
        prepared = undefined;
      },
      shutdown: () => server.close(),
    });
    link.listening(url, describe(models));
  } else o.print?.(`serving ${describe(models)} on ${url}`);
  return { url, server, reload, close: () => server.close() };
}

/**
 * `gitml serve`: serves until a signal. SIGTERM/SIGINT close gracefully, SIGHUP reloads (a failed reload keeps the
 * old models). With more than one worker this process becomes the primary of a cluster of server processes
 * (serve/cluster.ts), and each of them runs this same command as a worker.
 */
export async function serveUntilSignal(o: ServeOptions): Promise<void> {
  if (PrimaryLink.isWorker) return serveAsWorker(o);
  const settings = settingsOf(o, o.cwd ?? process.cwd());
  const print = o.print ?? (() => {});
  const workers = workerCount(o.workers ?? settings.workers ?? 1);
  let close: () => Promise<void>;
  let reload: () => Promise<void>;
  if (workers > 1) {
    // The primary writes the logs: workers send it their lines.
    const logs: ClusterOptions['logs'] = {};
    // Appended as each worker's batch arrives: lines kept waiting would cost the collector more than the writes.
    if (settings.log) logs.predictions = new NdjsonLog({ ...logFile(settings.log), flushMs: 0, onError: (err) => print(`prediction log: ${err.message}`) });
    if (settings.feedback) logs.feedback = feedbackFile(settings.feedback, print);
    const cluster = new ServeCluster({ workers, logs, print });
    const started = await cluster.start();
    if (settings.adminTokenEnv && !process.env[settings.adminTokenEnv]) print(`admin endpoint off: ${settings.adminTokenEnv} is not set`);
    print(`serving ${started.models} on ${started.url} (${workers} server processes)`);
    close = () => cluster.close();
    reload = async () => {
      await cluster.reload();
    };
  } else {
    const running = await start(o, settings);
    close = running.close;
    reload = running.reload;
  }
  await new Promise<void>((resolveDone) => {
    const stop = (signal: string) => {
      print(`${signal}: finishing requests in flight, then stopping`);
      process.off('SIGHUP', hup);
      void close().then(resolveDone);
    };
    const hup = () => {
      reload().catch((err: Error) => print(`reload failed, still serving the models loaded before: ${err.message}`));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', hup);
  });
}

/** A worker of `serveUntilSignal`'s cluster: serves until the primary says stop; a failure to start goes to the primary. */
async function serveAsWorker(o: ServeOptions): Promise<void> {
  const link = new PrimaryLink();
  try {
    await start({ ...o, print: () => {} }, settingsOf(o, o.cwd ?? process.cwd()), link);
  } catch (err) {
    await link.failed(err);
    process.exit(1);
  }
  await link.done;
}

/** The prediction log's file settings. */
function logFile(log: NonNullable<ServeSettings['log']>): LogFileOptions {
  return { path: log.path, ...(log.maxBytes !== undefined ? { maxBytes: log.maxBytes } : {}), ...(log.maxAgeMs !== undefined ? { maxAgeMs: log.maxAgeMs } : {}) };
}

function feedbackFile(path: string, print?: (line: string) => void): NdjsonLog {
  return new NdjsonLog({ path, onError: (err: Error) => print?.(`feedback log: ${err.message}`) });
}

function workerCount(w: number | 'auto'): number {
  if (w === 'auto') return availableParallelism();
  if (!Number.isInteger(w) || w < 1) throw new UsageError(`workers must be a whole number >= 1 or auto, got ${w}`);
  return w;
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

function describe(models: ModelSet, next?: PreparedModels): string {
  const served = next ? next.models : new Map(models.names().map((n) => [n, models.get(n)!]));
  return [...served.values()].map((m) => `${m.name} (${[...m.versions.keys()].join(', ')})`).join(', ');
}
