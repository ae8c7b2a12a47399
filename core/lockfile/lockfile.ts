import { LineCounter, parseDocument } from 'yaml';
import validateLockfile from '../generated/validate-lockfile.js';
import { LockfileCorruptError, UnsafePathError, type LockfileLocation } from '../errors.js';
import type { Lockfile, LockEntry, StageLock } from '../generated/lockfile.js';
import { makeLocator } from '../pipeline/locate.js';
import type { CompiledValidator } from '../pipeline/schema.js';
import { canonicalJson, decodeSpecial } from '../util/canonical.js';
import { findJsonError, lineCol } from '../util/json-position.js';
import { unsafePathReason } from '../util/paths.js';

export type { Lockfile, LockEntry, StageLock };

export const LOCKFILE = 'ml.lock.json';
export const LOCKFILE_SCHEMA = '1';

/** Deepest nesting a lockfile may hold (a parameter value is the only deep part); deeper is damage, not data. */
const MAX_DEPTH = 100;

export function emptyLockfile(): Lockfile {
  return { schema: LOCKFILE_SCHEMA, stages: {} };
}

const validate = validateLockfile as unknown as CompiledValidator;

/**
 * Parses and validates lockfile text; a damaged file is an `E_LOCKFILE_CORRUPT` error naming the problem and where
 * it is (line, column and key). Parameter values come back decoded: NaN, infinities and integers beyond 2^53 as
 * numbers and bigints (see `encodeSpecial`).
 */
export function parseLockfile(text: string, file = LOCKFILE, source?: string): Lockfile {
  /** `file:line:col (source)`: where a problem is, and which version of the file (`at HEAD`, `ours`) when not the workspace's. */
  const where = (at?: LockfileLocation) => `${file}${at ? `:${at.line}:${at.col}` : ''}${source ? ` (${source})` : ''}`;
  const corrupt = (reason: string, at?: LockfileLocation, cause?: unknown) => new LockfileCorruptError(where(at), reason, { cause, at, file, source });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const found = findJsonError(text);
    throw corrupt(`not valid JSON (${found.message})`, lineCol(text, found.offset), err);
  }
  const path = (parts: readonly (string | number)[]) => parts.join('.') || 'top level';
  // Only for an error: JSON is YAML, and the YAML parser knows where each node is.
  const locate = (parts: readonly (string | number)[], key = false): LockfileLocation => {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, logLevel: 'silent', uniqueKeys: false });
    return makeLocator(doc, lines)(parts, { key });
  };

  if (value !== null && typeof value === 'object' && 'schema' in value && value.schema !== LOCKFILE_SCHEMA) {
    throw corrupt(`schema version ${JSON.stringify(value.schema)} is not supported (expected "${LOCKFILE_SCHEMA}")`, locate(['schema']));
  }
  if (!validate(value)) {
    const first = validate.errors![0]!;
    const parts = first.instancePath
      ? first.instancePath
          .slice(1)
          .split('/')
          .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      : [];
    const key = first.keyword === 'additionalProperties' ? String(first.params.additionalProperty) : undefined;
    const at = parts.reduce<unknown>((v, part) => (v as Record<string, unknown> | undefined)?.[part], value);
    // JSON.parse reads `1e400` as Infinity, which no schema bound describes well.
    const detail =
      key !== undefined ? `unknown key \`${key}\`` : typeof at === 'number' && !Number.isFinite(at) ? 'number out of range' : first.message;
    throw corrupt(`${path(parts)}: ${detail}`, key !== undefined ? locate([...parts, key], true) : locate(parts));
  }
  const lock = value as Lockfile;
  // The schema fixes the shape of everything but param values and step settings; those are checked and decoded here.
  for (const [name, stage] of Object.entries(lock.stages)) {
    for (const field of ['params', 'with'] as const) {
      const bad = badValue(stage[field], ['stages', name, field]);
      if (!bad) continue;
      if (bad.reason === 'nested too deeply') {
        // The path is as deep as the nesting: its start says where.
        throw corrupt(`${path(bad.path.slice(0, 6))}...: ${bad.reason}`, lineCol(text, deepOffset(text)));
      }
      throw corrupt(`${path(bad.path)}: ${bad.reason}`, locate(bad.path));
    }
    if (stage.params) stage.params = decodeSpecial(stage.params) as StageLock['params'];
    if (stage.with) stage.with = decodeSpecial(stage.with) as StageLock['with'];
  }
  // A lockfile may come from another commit, a merge or a fresh clone: its output paths are checked before anything
  // is written to them, since `checkout` and `pull` write there.
  for (const [stage, s] of Object.entries(lock.stages)) {
    for (const out of Object.keys(s.outs)) {
      const reason = unsafePathReason(out);
      if (!reason) continue;
      const at = locate(['stages', stage, 'outs', out], true);
      throw new UnsafePathError(`${where(at)}: stages.${stage}.outs`, out, reason);
    }
  }
  return lock;
}

/**
 * The first value no lockfile holds: a number JSON.parse turned into Infinity (`1e400`; gitml writes infinities as
 * `{"$float": "inf"}`), or nesting past `MAX_DEPTH`. Iterative, so hostile depth costs no stack.
 */
function badValue(root: unknown, at: (string | number)[]): { path: (string | number)[]; reason: string } | undefined {
  const todo: { value: object; path: (string | number)[] }[] = root !== null && typeof root === 'object' ? [{ value: root, path: at }] : [];
  while (todo.length) {
    const { value, path } = todo.pop()!;
    if (path.length - at.length >= MAX_DEPTH) return { path, reason: 'nested too deeply' };
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, child] of entries) {
      if (typeof child === 'number' && !Number.isFinite(child)) return { path: [...path, key], reason: 'number out of range' };
      if (child !== null && typeof child === 'object') todo.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}

/** Offset of the `[` or `{` that opens level `MAX_DEPTH + 1`, for the text of a lockfile that parsed. */
function deepOffset(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === ']' || c === '}') depth--;
  }
  return 0;
}

/**
 * The one serializer: sorted keys, two-space indent, trailing newline. Each stage is its own block that starts with
 * its stable `cmd`, so branches that change different stages merge without conflict.
 */
export function serializeLockfile(lock: Lockfile): string {
  return `${canonicalJson(lock, 2)}\n`;
}
