import validateLockfile from '../generated/validate-lockfile.js';
import { LockfileCorruptError, UnsafePathError } from '../errors.js';
import type { Lockfile, LockEntry, StageLock } from '../generated/lockfile.js';
import type { CompiledValidator } from '../pipeline/schema.js';
import { canonicalJson } from '../util/canonical.js';
import { unsafePathReason } from '../util/paths.js';

export type { Lockfile, LockEntry, StageLock };

export const LOCKFILE = 'ml.lock.json';
export const LOCKFILE_SCHEMA = '1';

export function emptyLockfile(): Lockfile {
  return { schema: LOCKFILE_SCHEMA, stages: {} };
}

const validate = validateLockfile as unknown as CompiledValidator;

/** Parses and validates lockfile text; a damaged file is an `E_LOCKFILE_CORRUPT` error naming the problem. */
export function parseLockfile(text: string, file = LOCKFILE): Lockfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new LockfileCorruptError(file, `not valid JSON (${(err as Error).message})`, err);
  }
  if (value !== null && typeof value === 'object' && 'schema' in value && value.schema !== LOCKFILE_SCHEMA) {
    throw new LockfileCorruptError(file, `schema version ${JSON.stringify(value.schema)} is not supported (expected "${LOCKFILE_SCHEMA}")`);
  }
  if (!validate(value)) {
    const first = validate.errors![0]!;
    const where = first.instancePath
      ? first.instancePath
          .slice(1)
          .split('/')
          .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
          .join('.')
      : 'top level';
    const detail = first.keyword === 'additionalProperties' ? `unknown key \`${String(first.params.additionalProperty)}\`` : first.message;
    throw new LockfileCorruptError(file, `${where}: ${detail}`);
  }
  const lock = value as Lockfile;
  // A lockfile may come from another commit or a merge: its output paths are checked before anything is written
  // to them, since `checkout` and `pull` write there.
  for (const [stage, s] of Object.entries(lock.stages)) {
    for (const path of Object.keys(s.outs)) {
      const reason = unsafePathReason(path);
      if (reason) throw new UnsafePathError(`${file}: stages.${stage}.outs`, path, reason);
    }
  }
  return lock;
}

/**
 * The one serializer: sorted keys, two-space indent, trailing newline. Each stage is its own block that starts with
 * its stable `cmd`, so branches that change different stages merge without conflict.
 */
export function serializeLockfile(lock: Lockfile): string {
  return `${canonicalJson(lock, 2)}\n`;
}
