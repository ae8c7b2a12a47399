import type { Problem } from '../errors.js';
import { compareStrings } from '../util/canonical.js';
import type { ReadText } from './types.js';
import { readYaml } from './yaml.js';

/** The params file `${...}` and bare `params:` keys read. */
export const DEFAULT_PARAMS_FILE = 'params.yaml';

/** Reads a YAML or JSON params file (JSON is YAML) into a map, or says what is wrong with it. */
export function readParamsFile(path: string, readText: ReadText): { value: Record<string, unknown> } | { problem: Problem } {
  const text = readText(path);
  if (text === null) return { problem: { file: path, path: '', message: `params file \`${path}\` does not exist` } };
  const read = readYaml(text, path);
  // The first problem is the one to fix; a params file is small and the rest usually follow from it.
  if (!read.ok) return { problem: read.problems[0]! };
  const value = read.value;
  if (value === null || value === undefined) return { value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { problem: { file: path, line: 1, col: 1, path: '', message: 'a params file must hold a map of keys' } };
  }
  return { value: value as Record<string, unknown> };
}

/** Looks up a dotted key (`train.optimizer.lr`). */
export function getKey(data: Record<string, unknown>, key: string): { found: boolean; value: unknown } {
  let v: unknown = data;
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, part)) return { found: false, value: undefined };
    v = (v as Record<string, unknown>)[part];
  }
  return { found: true, value: v };
}

/** Sets a dotted key, creating the maps on the way (`a.b` = 1 -> `{a: {b: 1}}`). */
export function setKey(data: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = data;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node = (node[part] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {}) as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** Flattens nested maps to dotted keys; lists and scalars are leaves. */
export function flattenKeys(data: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const keys = Object.keys(data).sort(compareStrings);
    if (keys.length === 0 && prefix) out[prefix] = {};
    for (const k of keys) flattenKeys((data as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = data;
  }
  return out;
}

/**
 * Every parameter a pipeline can read: params.yaml (when it exists) and each params file a stage names, as file ->
 * dotted key -> value, files sorted. A file that cannot be read is `onProblem`'s to report.
 */
export function pipelineParams(
  stages: { params: Record<string, unknown> }[],
  readText: ReadText,
  onProblem: (problem: Problem) => never,
): Record<string, Record<string, unknown>> {
  const files = new Set<string>();
  if (readText(DEFAULT_PARAMS_FILE) !== null) files.add(DEFAULT_PARAMS_FILE);
  for (const stage of stages) for (const file of Object.keys(stage.params)) files.add(file);
  const out: Record<string, Record<string, unknown>> = {};
  for (const file of [...files].sort(compareStrings)) {
    const parsed = readParamsFile(file, readText);
    if ('problem' in parsed) onProblem(parsed.problem);
    else out[file] = flattenKeys(parsed.value);
  }
  return out;
}
