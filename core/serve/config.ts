/**
 * What `gitml serve` serves: from a config file (`schemas/serve.schema.json`, every problem at its line) or from
 * ONNX files named on the command line. Pure: text in, settings out; the files are loaded by models.ts.
 */
import { dirname, resolve } from 'node:path';
import { InvalidConfigError, type Problem } from '../errors.js';
import type { ServeConfig } from '../generated/serve.js';
import validateServe from '../generated/validate-serve.js';
import { formatKeyPath, makeLocator } from '../pipeline/locate.js';
import { schemaChecker } from '../pipeline/schema.js';
import { readYaml } from '../pipeline/yaml.js';

export type { ServeConfig };

const checkServe = schemaChecker(validateServe);

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_BODY_LIMIT = 1 << 20;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_STICKY_HEADER = 'x-request-key';

export interface ModelSpec {
  /** From the config, or the signature's when absent. */
  name?: string;
  versions: { path: string; version?: string }[];
  weights?: Record<string, number>;
  sticky: string;
  shadow?: { version: string; share: number; tolerance: number };
  /** Files named on the command line: a model name seen before adds versions to that model. */
  merge?: boolean;
}

export interface ServeSettings {
  host: string;
  port: number;
  bodyLimit: number;
  requestTimeoutMs: number;
  models: ModelSpec[];
  log?: { path: string; sample: number; maxBytes?: number; maxAgeMs?: number };
  feedback?: string;
  adminTokenEnv?: string;
  /** Server processes sharing the port; `auto`: one per core. */
  workers?: number | 'auto';
}

/** Reads a serve config; paths become absolute from the file's directory. */
export function parseServeConfig(text: string, file: string, absFile: string): ServeSettings {
  const read = readYaml(text, file);
  if (!read.ok) throw new InvalidConfigError(read.problems);
  const locate = makeLocator(read.doc, read.lines);
  const problems: Problem[] = checkServe(read.value).map((i) => ({ file, ...locate(i.path, { key: i.key }), path: formatKeyPath(i.path), message: i.message }));
  if (problems.length) throw new InvalidConfigError(problems);
  const c = read.value as ServeConfig;
  const base = dirname(absFile);
  const at = (p: string) => resolve(base, p);
  const settings: ServeSettings = {
    host: c.host ?? DEFAULT_HOST,
    port: c.port ?? DEFAULT_PORT,
    bodyLimit: c.body_limit ?? DEFAULT_BODY_LIMIT,
    requestTimeoutMs: c.request_timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS,
    models: c.models.map((m) => ({
      ...(m.name !== undefined ? { name: m.name } : {}),
      versions: m.versions.map((v) => ({ path: at(v.path), ...(v.version !== undefined ? { version: v.version } : {}) })),
      ...(m.weights ? { weights: m.weights } : {}),
      sticky: (m.sticky ?? DEFAULT_STICKY_HEADER).toLowerCase(),
      ...(m.shadow ? { shadow: { version: m.shadow.version, share: m.shadow.share, tolerance: m.shadow.tolerance ?? 1e-6 } } : {}),
    })),
    ...(c.admin_token_env !== undefined ? { adminTokenEnv: c.admin_token_env } : {}),
    // The schema lets a string through only as `auto`.
    ...(c.workers !== undefined ? { workers: c.workers as number | 'auto' } : {}),
  };
  if (c.log)
    settings.log = {
      path: at(c.log.path),
      sample: c.log.sample ?? 1,
      ...(c.log.max_mb !== undefined ? { maxBytes: Math.round(c.log.max_mb * 1024 * 1024) } : {}),
      ...(c.log.max_minutes !== undefined ? { maxAgeMs: Math.round(c.log.max_minutes * 60_000) } : {}),
    };
  const feedback = c.feedback ?? (c.log ? `${dirname(c.log.path)}/feedback.ndjson` : undefined);
  if (feedback !== undefined) settings.feedback = at(feedback);
  return settings;
}

/** Settings for ONNX files named on the command line: each its own model, or versions of one when names repeat. */
export function settingsForFiles(paths: string[], o: { host?: string; port?: number }): ServeSettings {
  return {
    host: o.host ?? DEFAULT_HOST,
    port: o.port ?? DEFAULT_PORT,
    bodyLimit: DEFAULT_BODY_LIMIT,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    models: paths.map((path) => ({ versions: [{ path }], sticky: DEFAULT_STICKY_HEADER, merge: true })),
  };
}
