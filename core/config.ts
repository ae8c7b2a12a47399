import validateConfig from './generated/validate-config.js';
import { InvalidConfigError, type Problem } from './errors.js';
import type { LinkMode, MlConfig, RemoteConfig, Runner } from './generated/config.js';
import { formatKeyPath, makeLocator, type Locator } from './pipeline/locate.js';
import { schemaChecker } from './pipeline/schema.js';
import { readYaml } from './pipeline/yaml.js';
import type { ReadText } from './pipeline/types.js';
import { parseRemoteUrl, type RemoteLocation } from './remote/url.js';

export type { LinkMode, MlConfig, RemoteConfig, RemoteLocation, Runner };

export const CONFIG_FILE = '.ml/config.yaml';
export const LOCAL_CONFIG_FILE = '.ml/config.local.yaml';
export const DEFAULT_LINK_MODES: LinkMode[] = ['reflink', 'copy'];

const checkConfig = schemaChecker(validateConfig);

/** A remote with both config files merged and its URL parsed. Settings left out here come from the environment. */
export interface ResolvedRemote {
  name: string;
  url: string;
  location: RemoteLocation;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  forcePathStyle?: boolean;
}

/** Settings with defaults applied. */
export interface ResolvedConfig {
  linkModes: LinkMode[];
  jobs?: number;
  /** Remotes by name. */
  remotes: Record<string, ResolvedRemote>;
  /** The remote used when none is named (it may name a remote that does not exist; the user of it says so). */
  defaultRemote?: string;
  /** `ci.runners`: CI runner labels by name (`gpu`, `default`, or a label stages ask for); absent when not set. */
  ciRunners?: Record<string, Runner>;
}

/**
 * Reads `.ml/config.yaml` and then `.ml/config.local.yaml` (which wins, key by key; for a remote, setting by setting,
 * so the local file can hold just the credentials). Both are optional. Every problem in either file is reported with
 * its line and column.
 */
export function loadConfig(readText: ReadText): ResolvedConfig {
  const problems: Problem[] = [];
  const merged: MlConfig = {};
  /** Where each remote setting came from, to point at the file and line that set it. */
  const origins = new Map<string, { file: string; locate: Locator }>();
  for (const file of [CONFIG_FILE, LOCAL_CONFIG_FILE]) {
    const text = readText(file);
    if (text === null) continue;
    const read = readYaml(text, file);
    if (!read.ok) {
      problems.push(...read.problems);
      continue;
    }
    const value = (read.value ?? {}) as MlConfig;
    const locate = makeLocator(read.doc, read.lines);
    const issues = checkConfig(value);
    for (const issue of issues) problems.push({ file, ...locate(issue.path, { key: issue.key }), path: formatKeyPath(issue.path), message: issue.message });
    if (!issues.length) {
      if (value.cache) merged.cache = { ...merged.cache, ...value.cache };
      if (value.jobs !== undefined) merged.jobs = value.jobs;
      if (value.default_remote !== undefined) merged.default_remote = value.default_remote;
      // Runner by runner, like remotes: the local file can point one group at this machine's own runner.
      if (value.ci?.runners) merged.ci = { runners: { ...merged.ci?.runners, ...value.ci.runners } };
      for (const [name, remote] of Object.entries(value.remotes ?? {})) {
        (merged.remotes ??= {})[name] = { ...merged.remotes?.[name], ...remote };
        origins.set(name, { file, locate });
        if (remote.url !== undefined) origins.set(`${name}\0url`, { file, locate });
      }
    }
  }
  const remotes: Record<string, ResolvedRemote> = {};
  for (const [name, remote] of Object.entries(merged.remotes ?? {})) {
    const resolved = resolveRemote(name, remote);
    if ('error' in resolved) {
      const at = origins.get(remote.url === undefined ? name : `${name}\0url`)!;
      const path = remote.url === undefined ? ['remotes', name] : ['remotes', name, 'url'];
      problems.push({ file: at.file, ...at.locate(path), path: formatKeyPath(path), message: resolved.error });
    } else remotes[name] = resolved;
  }
  if (problems.length) throw new InvalidConfigError(problems);
  const link = merged.cache?.link;
  return {
    linkModes: link === undefined ? DEFAULT_LINK_MODES : typeof link === 'string' ? [link] : [...link],
    ...(merged.jobs !== undefined ? { jobs: merged.jobs } : {}),
    remotes,
    ...(merged.default_remote !== undefined ? { defaultRemote: merged.default_remote } : {}),
    ...(merged.ci?.runners !== undefined ? { ciRunners: merged.ci.runners } : {}),
  };
}

function resolveRemote(name: string, r: RemoteConfig): ResolvedRemote | { error: string } {
  if (r.url === undefined) return { error: 'missing `url` (a directory path or s3://bucket/prefix)' };
  const parsed = parseRemoteUrl(r.url);
  if ('error' in parsed) return parsed;
  const settings: Omit<ResolvedRemote, 'name' | 'url' | 'location'> = {
    endpoint: r.endpoint,
    region: r.region,
    accessKeyId: r.access_key_id,
    secretAccessKey: r.secret_access_key,
    sessionToken: r.session_token,
    forcePathStyle: r.force_path_style,
  };
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  return { name, url: r.url, location: parsed.location, ...defined };
}
