import type { HashInfo } from '../hash/hash-path.js';
import type { LockEntry, StageLock } from '../lockfile/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import { jsonEqual } from '../util/canonical.js';
import { formatValue, typeChanged } from '../util/format.js';

export interface StageStatus {
  changed: boolean;
  /** Every reason, cheapest first: definition, then params, then dependencies, then outputs. */
  reasons: string[];
  /** Outputs (its own, or other stages' it depends on) that are not in the workspace, and what brings each back. */
  missing?: MissingOutput[];
}

/**
 * An output not in the workspace (in a fresh clone, every cached one). `restore` is the command that brings it back:
 * `checkout` when the cache holds it (or git, for uncached outputs), `pull` when a default remote is set, else `repro`.
 */
export interface MissingOutput {
  path: string;
  restore: 'checkout' | 'pull' | 'repro';
}

/** Current content hash of a workspace path, or `null` when missing. Injected so that this module stays pure. */
export type HashOf = (path: string) => HashInfo | null;

/**
 * What is known about where a missing output can come from, so that status can say how to bring it back rather than
 * call it deleted (in a fresh clone every cached output is missing). Injected: this module reads no disk.
 */
export interface Restorable {
  /** Whether the local cache holds every object of this lock entry. */
  cached(entry: LockEntry): boolean;
  /** Whether a default remote is configured, so that `gitml pull` has somewhere to fetch from. */
  remote: boolean;
  /** Whether a path is (inside) an output of some stage: such a dependency comes back the same way as an output. */
  isOutput(path: string): boolean;
}

/** The command that brings a missing output back. */
function restoreBy(entry: LockEntry, restorable: Restorable): MissingOutput['restore'] {
  // Uncached outputs live in git; checkout restores them from there.
  if (entry.cache === false || restorable.cached(entry)) return 'checkout';
  return restorable.remote ? 'pull' : 'repro';
}

/**
 * Compares a stage as declared (and its files as they are now) with what the lockfile recorded when it last ran.
 * A frozen stage is never changed.
 */
export function stageStatus(stage: Stage, lock: StageLock | undefined, hashOf: HashOf, restorable?: Restorable): StageStatus {
  if (stage.frozen) return { changed: false, reasons: [] };
  if (!lock) return { changed: true, reasons: ['never run'] };
  const reasons: string[] = [];
  const missing: MissingOutput[] = [];
  // The reason stays short (repro prints it per stage); how to bring the file back is in `missing`, said once.
  const notInWorkspace = (kind: 'dep' | 'out', path: string, entry: LockEntry) => {
    reasons.push(`${kind} \`${path}\` not in the workspace`);
    if (restorable) missing.push({ path, restore: restoreBy(entry, restorable) });
  };
  if (stage.alwaysChanged) reasons.push('always changed');
  if (!jsonEqual(stage.cmd, lock.cmd)) reasons.push('command changed');
  if (stage.wdir !== (lock.wdir ?? '.')) reasons.push(`working directory changed \`${lock.wdir ?? '.'} -> ${stage.wdir}\``);
  reasons.push(...diffRecords('env', lock.env ?? {}, stage.env));
  if (stage.with || lock.with) reasons.push(...withReasons(lock.with ?? {}, stage.with ?? {}));
  reasons.push(...paramReasons(stage.params, lock.params ?? {}));

  for (const dep of stage.deps) {
    const locked = lock.deps[dep];
    const now = hashOf(dep);
    if (!locked) reasons.push(`dep \`${dep}\` added`);
    else if (!now) {
      if (restorable?.isOutput(dep)) notInWorkspace('dep', dep, locked);
      else reasons.push(`dep \`${dep}\` deleted`);
    }
    else if (now.hash !== locked.hash) reasons.push(`dep \`${dep}\` modified`);
  }
  for (const dep of Object.keys(lock.deps)) if (!stage.deps.includes(dep)) reasons.push(`dep \`${dep}\` removed`);

  for (const out of stage.outs) {
    const locked = lock.outs[out.path];
    const now = hashOf(out.path);
    if (!locked) reasons.push(`out \`${out.path}\` added`);
    else if (!now) notInWorkspace('out', out.path, locked);
    else if (now.hash !== locked.hash) reasons.push(`out \`${out.path}\` modified`);
  }
  for (const path of Object.keys(lock.outs)) if (!stage.outs.some((o) => o.path === path)) reasons.push(`out \`${path}\` removed`);

  return { changed: reasons.length > 0, reasons, ...(missing.length ? { missing } : {}) };
}

/**
 * What differs between two lock entries of one stage, in `stageStatus`'s words: why the newer entry's run happened
 * (the report says this for a stage that ran between two revisions). Output hashes are left out: they differ because
 * the stage ran.
 */
export function lockChanges(before: StageLock | undefined, after: StageLock): string[] {
  if (!before) return ['never run'];
  const reasons: string[] = [];
  if (!jsonEqual(before.cmd, after.cmd)) reasons.push('command changed');
  if ((before.wdir ?? '.') !== (after.wdir ?? '.')) reasons.push(`working directory changed \`${before.wdir ?? '.'} -> ${after.wdir ?? '.'}\``);
  reasons.push(...diffRecords('env', before.env ?? {}, after.env ?? {}));
  if (before.with || after.with) reasons.push(...withReasons(before.with ?? {}, after.with ?? {}));
  reasons.push(...paramReasons(after.params ?? {}, before.params ?? {}));
  for (const [dep, entry] of Object.entries(after.deps)) {
    const old = before.deps[dep];
    if (!old) reasons.push(`dep \`${dep}\` added`);
    else if (old.hash !== entry.hash) reasons.push(`dep \`${dep}\` modified`);
  }
  for (const dep of Object.keys(before.deps)) if (!after.deps[dep]) reasons.push(`dep \`${dep}\` removed`);
  for (const path of Object.keys(after.outs)) if (!before.outs[path]) reasons.push(`out \`${path}\` added`);
  for (const path of Object.keys(before.outs)) if (!after.outs[path]) reasons.push(`out \`${path}\` removed`);
  return reasons;
}

function paramReasons(now: Record<string, Record<string, unknown>>, locked: Record<string, Record<string, unknown>>): string[] {
  const reasons: string[] = [];
  const files = new Set([...Object.keys(now), ...Object.keys(locked)]);
  for (const file of files) {
    // Keys of the default file read best bare; others carry their file.
    const label = (key: string) => (file === 'params.yaml' ? key : `${file}:${key}`);
    const a = locked[file] ?? {};
    const b = now[file] ?? {};
    for (const key of Object.keys(b)) {
      if (!Object.hasOwn(a, key)) reasons.push(`param \`${label(key)}\` added`);
      else if (!jsonEqual(a[key], b[key])) reasons.push(`param \`${label(key)}\` changed \`${showChange(a[key], b[key])}\``);
    }
    for (const key of Object.keys(a)) if (!Object.hasOwn(b, key)) reasons.push(`param \`${label(key)}\` removed`);
  }
  return reasons;
}

/** Changed settings of a built-in step, by top-level `with:` key. */
function withReasons(locked: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(locked), ...Object.keys(now)])].sort();
  return keys
    .filter((k) => !jsonEqual(locked[k] ?? null, now[k] ?? null))
    .map((k) => `with \`${k}\` changed \`${showChange(locked[k] ?? null, now[k] ?? null)}\``);
}

function diffRecords(what: string, a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((k) => a[k] !== b[k])
    .map((k) => `${what} \`${k}\` ${a[k] === undefined ? 'added' : b[k] === undefined ? 'removed' : 'changed'}`);
}

function showChange(a: unknown, b: unknown): string {
  const quote = typeChanged(a, b);
  return `${formatValue(a, quote)} -> ${formatValue(b, quote)}`;
}
