import { LineCounter, parseDocument } from 'yaml';
import validateConfig from './generated/validate-config.js';
import { InvalidConfigError, type Problem } from './errors.js';
import type { LinkMode, MlConfig } from './generated/config.js';
import { formatKeyPath, makeLocator } from './pipeline/locate.js';
import { schemaChecker } from './pipeline/schema.js';
import type { ReadText } from './pipeline/types.js';

export type { LinkMode, MlConfig };

export const CONFIG_FILE = '.ml/config.yaml';
export const LOCAL_CONFIG_FILE = '.ml/config.local.yaml';
export const DEFAULT_LINK_MODES: LinkMode[] = ['reflink', 'copy'];

const checkConfig = schemaChecker(validateConfig);

/** Settings with defaults applied. */
export interface ResolvedConfig {
  linkModes: LinkMode[];
  jobs?: number;
}

/**
 * Reads `.ml/config.yaml` and then `.ml/config.local.yaml` (which wins, key by key). Both are optional. Every problem
 * in either file is reported with its line and column.
 */
export function loadConfig(readText: ReadText): ResolvedConfig {
  const problems: Problem[] = [];
  const merged: MlConfig = {};
  for (const file of [CONFIG_FILE, LOCAL_CONFIG_FILE]) {
    const text = readText(file);
    if (text === null) continue;
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length) {
      for (const err of doc.errors) {
        const { line, col } = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
        problems.push({ file, line, col, path: '', message: `invalid YAML: ${err.message.split('\n')[0]}` });
      }
      continue;
    }
    const value = (doc.toJS() ?? {}) as MlConfig;
    const locate = makeLocator(doc, lines);
    const issues = checkConfig(value);
    for (const issue of issues) problems.push({ file, ...locate(issue.path, { key: issue.key }), path: formatKeyPath(issue.path), message: issue.message });
    if (!issues.length) {
      if (value.cache) merged.cache = { ...merged.cache, ...value.cache };
      if (value.jobs !== undefined) merged.jobs = value.jobs;
    }
  }
  if (problems.length) throw new InvalidConfigError(problems);
  const link = merged.cache?.link;
  return {
    linkModes: link === undefined ? DEFAULT_LINK_MODES : typeof link === 'string' ? [link] : [...link],
    ...(merged.jobs !== undefined ? { jobs: merged.jobs } : {}),
  };
}
