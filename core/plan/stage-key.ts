import type { HashInfo } from '../hash/hash-path.js';
import type { StageLock } from '../lockfile/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import { canonicalJson, compareStrings } from '../util/canonical.js';

/**
 * Everything that determines what a stage produces, as one explicit record. Dependencies enter by content hash, so
 * the keys of upstream stages are not needed: an upstream rerun that yields identical bytes leaves the key as it was.
 */
export interface StageKeyRecord {
  cmd: string[];
  wdir: string;
  env: Record<string, string>;
  /** Dependency path -> content hash. */
  deps: Record<string, string>;
  /** Params file -> dotted key -> value. */
  params: Record<string, Record<string, unknown>>;
  /** Declared outputs, sorted by path. */
  outs: { path: string; cache: boolean }[];
  /** A built-in step's settings; absent for `cmd` stages, so their keys are as before steps existed. */
  with?: Record<string, unknown>;
}

export function stageKeyRecord(stage: Stage, deps: Map<string, HashInfo>): StageKeyRecord {
  return {
    cmd: stage.cmd,
    wdir: stage.wdir,
    env: stage.env,
    deps: Object.fromEntries(stage.deps.map((d) => [d, deps.get(d)!.hash])),
    params: stage.params,
    outs: stage.outs.map((o) => ({ path: o.path, cache: o.cache })).sort((a, b) => compareStrings(a.path, b.path)),
    ...(stage.with ? { with: stage.with } : {}),
  };
}

/** The canonical bytes a stage key is the hash of: sorted keys, POSIX paths, no whitespace. */
export function serializeStageKey(record: StageKeyRecord): string {
  return canonicalJson(record);
}

/** The stage key record a lock entry describes: what `repro` hashed when it ran the stage that wrote the entry. */
export function lockKeyRecord(lock: StageLock): StageKeyRecord {
  return {
    cmd: lock.cmd,
    wdir: lock.wdir ?? '.',
    env: lock.env ?? {},
    deps: Object.fromEntries(Object.entries(lock.deps).map(([path, e]) => [path, e.hash])),
    params: lock.params ?? {},
    outs: Object.entries(lock.outs)
      .map(([path, e]) => ({ path, cache: e.cache !== false }))
      .sort((a, b) => compareStrings(a.path, b.path)),
    ...(lock.with ? { with: lock.with } : {}),
  };
}
