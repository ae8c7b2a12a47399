import type { RunRecord } from '../cache/run-cache.js';
import type { Lockfile, StageLock } from '../lockfile/lockfile.js';
import { lockChanges } from '../plan/stage-status.js';
import type { ReproState } from '../run/repro-state.js';
import { compareStrings, jsonEqual } from '../util/canonical.js';
import type { PlanStage } from './plan-file.js';

/**
 * What happened to a stage between base and head:
 * - `ran`, `restored` (from the run-cache), `frozen`: as the plan (`--plan`) or the last local `gitml repro` says;
 * - `up-to-date`: its lock entry is the same at base and head (whatever the plan says), or the plan found nothing
 *   to do (the head commit already held its results);
 * - `changed`: its lock entry differs from the base, and neither the plan nor the last repro says how it was made;
 * - `not-run`: declared at head but never run (no lock entry);
 * - `removed`: in the base's lockfile, gone at head.
 */
export type StageStatus = 'ran' | 'restored' | 'up-to-date' | 'frozen' | 'changed' | 'not-run' | 'removed';

export interface StageRow {
  name: string;
  status: StageStatus;
  /** Whether the stage's lock entry differs between base and head (added, modified or removed). */
  changed: boolean;
  /** For a changed stage: what differs from the base's lock entry (params, deps, command...); empty otherwise. */
  reasons: string[];
  /**
   * Milliseconds the run that made the head's outputs took: from that run's run-cache record, else from the last
   * local repro. Absent when neither knows (a record from an older gitml, say).
   */
  durationMs?: number;
  /** Where `status` came from. */
  source: 'lockfile' | 'plan' | 'repro';
}

export interface StageRowsInput {
  base: Lockfile;
  head: Lockfile;
  /** The head pipeline's stages in their order; stages only in a lockfile follow, sorted. */
  order: readonly string[];
  /** The stage key of a head lock entry. */
  keyOf: (lock: StageLock) => string;
  /** The run-cache record of a stage key, if this cache has it. */
  record: (key: string) => RunRecord | undefined;
  /** From `--plan`: what `gitml plan` decided for each stage. */
  plan?: readonly PlanStage[];
  /** Without a plan: what the last local repro did. */
  state?: ReproState;
}

const FROM_PLAN = { run: 'ran', restore: 'restored', 'up-to-date': 'up-to-date', frozen: 'frozen' } as const;

/** One row per stage of the head pipeline and of either lockfile. Pure. */
export function stageRows(input: StageRowsInput): StageRow[] {
  const { base, head } = input;
  const names = [...input.order];
  const extra = [...new Set([...Object.keys(head.stages), ...Object.keys(base.stages)])].filter((n) => !names.includes(n));
  names.push(...extra.sort(compareStrings));
  const planned = new Map((input.plan ?? []).map((p) => [p.name, p]));

  return names.map((name): StageRow => {
    const a = base.stages[name];
    const b = head.stages[name];
    if (!b) return { name, status: a ? 'removed' : 'not-run', changed: a !== undefined, reasons: [], source: 'lockfile' };
    const changed = !a || !jsonEqual(a, b);
    const key = input.keyOf(b);
    const ran = input.record(key)?.duration_ms;
    const duration = (ms: number | undefined) => (ms === undefined ? {} : { durationMs: ms });
    if (!changed) return { name, status: 'up-to-date', changed, reasons: [], source: 'lockfile', ...duration(ran) };
    if (input.plan) {
      const p = planned.get(name);
      if (p) return { name, status: FROM_PLAN[p.action], changed, reasons: lockChanges(a, b), source: 'plan', ...duration(ran) };
    } else {
      const last = input.state?.stages[name];
      if (last && last.key === key)
        return {
          name,
          status: last.result,
          changed,
          reasons: lockChanges(a, b),
          source: 'repro',
          ...duration(ran ?? (last.result === 'ran' ? last.duration_ms : undefined)),
        };
    }
    return { name, status: 'changed', changed, reasons: lockChanges(a, b), source: 'lockfile', ...duration(ran) };
  });
}
