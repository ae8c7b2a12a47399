import { compareStrings, jsonEqual } from '../util/canonical.js';
import type { Lockfile, StageLock } from './lockfile.js';

export interface LockMerge {
  /** Every stage merged; a conflicting stage keeps our side's entry. */
  merged: Lockfile;
  /** Stages both sides changed differently since the base. */
  conflicts: string[];
}

/**
 * Three-way merge of lockfiles, stage by stage: a stage changed (or added, or removed) on one side only takes that
 * side; changed identically on both takes it; changed differently on both is a conflict. The result stays a valid
 * lockfile either way, so a conflicted stage can simply be reproduced.
 */
export function mergeLockfiles(base: Lockfile, ours: Lockfile, theirs: Lockfile): LockMerge {
  const stages: Record<string, StageLock> = {};
  const conflicts: string[] = [];
  const names = [...new Set([...Object.keys(base.stages), ...Object.keys(ours.stages), ...Object.keys(theirs.stages)])].sort(
    compareStrings,
  );
  for (const name of names) {
    const b = base.stages[name];
    const o = ours.stages[name];
    const t = theirs.stages[name];
    const same = (x: StageLock | undefined, y: StageLock | undefined) => jsonEqual(x ?? null, y ?? null);
    let pick: StageLock | undefined;
    if (same(o, t) || same(t, b)) pick = o;
    else if (same(o, b)) pick = t;
    else {
      conflicts.push(name);
      pick = o ?? t;
    }
    if (pick) stages[name] = pick;
  }
  return { merged: { schema: ours.schema, stages }, conflicts };
}
