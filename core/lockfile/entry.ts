import type { HashInfo } from '../hash/hash-path.js';
import type { Stage } from '../pipeline/types.js';
import type { LockEntry, StageLock } from './lockfile.js';

/** The lock record of one hashed path. */
export function lockEntry(info: HashInfo, cache = true): LockEntry {
  return { hash: info.hash, size: info.size, ...(info.nfiles !== undefined ? { nfiles: info.nfiles } : {}), ...(cache ? {} : { cache: false as const }) };
}

/** The lock record of a stage that just ran with these dependency and output hashes. */
export function toStageLock(stage: Stage, deps: Map<string, HashInfo>, outs: Map<string, HashInfo>): StageLock {
  const lock: StageLock = {
    cmd: stage.cmd,
    deps: Object.fromEntries(stage.deps.map((d) => [d, lockEntry(deps.get(d)!)])),
    outs: Object.fromEntries(stage.outs.map((o) => [o.path, lockEntry(outs.get(o.path)!, o.cache)])),
  };
  if (stage.wdir !== '.') lock.wdir = stage.wdir;
  if (Object.keys(stage.env).length) lock.env = stage.env;
  if (stage.with) lock.with = stage.with;
  if (Object.keys(stage.params).length) lock.params = stage.params;
  return lock;
}
