import type { Lockfile, LockEntry, StageLock } from '../lockfile/lockfile.js';
import { compareStrings, jsonEqual } from '../util/canonical.js';
import type { FlatFiles } from './state.js';

export { directionOf, type Direction } from '../pipeline/direction.js';
import type { Direction } from '../pipeline/direction.js';
export type Verdict = 'better' | 'worse' | 'same';

/** One key compared between two revisions. `old`/`new` are absent where the key (or its file) is missing. */
export interface ValueDiff {
  file: string;
  key: string;
  old?: unknown;
  new?: unknown;
  /** new - old, when both are numbers. */
  change?: number;
  /** (new - old) / |old|, when both are numbers and old is not 0. */
  relative?: number;
  /** Present when the metric declares which way is better and both sides are numbers. */
  verdict?: Verdict;
  /** Significant digits to print with, when declared. */
  precision?: number;
}

export interface ValueDiffOptions {
  /** Keep unchanged keys too. */
  all?: boolean;
  better?: (file: string, key: string) => Direction | undefined;
  precision?: (file: string) => number | undefined;
}

/** Compares two sets of flattened files key by key; rows are sorted by file, then key. */
export function diffValues(oldFiles: FlatFiles, newFiles: FlatFiles, opts: ValueDiffOptions = {}): ValueDiff[] {
  const rows: ValueDiff[] = [];
  const files = [...new Set([...Object.keys(oldFiles), ...Object.keys(newFiles)])].sort(compareStrings);
  for (const file of files) {
    const a = oldFiles[file] ?? {};
    const b = newFiles[file] ?? {};
    const precision = opts.precision?.(file);
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareStrings)) {
      const inOld = key in a;
      const inNew = key in b;
      const same = inOld && inNew && jsonEqual(a[key], b[key]);
      if (same && !opts.all) continue;
      const row: ValueDiff = { file, key };
      if (inOld) row.old = a[key];
      if (inNew) row.new = b[key];
      // NaN and infinities have no meaningful change; the row still shows both values.
      if (typeof row.old === 'number' && typeof row.new === 'number' && Number.isFinite(row.old) && Number.isFinite(row.new)) {
        row.change = row.new - row.old;
        if (row.old !== 0) row.relative = row.change / Math.abs(row.old);
        const direction = opts.better?.(file, key);
        if (direction) row.verdict = row.change === 0 ? 'same' : row.change > 0 === (direction === 'higher') ? 'better' : 'worse';
      }
      if (precision !== undefined) row.precision = precision;
      rows.push(row);
    }
  }
  return rows;
}

/** How one stage differs between two lockfiles. */
export interface StageDiff {
  stage: string;
  change: 'added' | 'removed' | 'modified';
  /** For `modified`: which parts changed (cmd, deps, params, outs, wdir, env). */
  parts: string[];
}

/** Stages whose lock entries differ: what each ran with or produced. */
export function diffStages(a: Lockfile, b: Lockfile): StageDiff[] {
  const out: StageDiff[] = [];
  for (const stage of [...new Set([...Object.keys(a.stages), ...Object.keys(b.stages)])].sort(compareStrings)) {
    const x = a.stages[stage];
    const y = b.stages[stage];
    if (!x) out.push({ stage, change: 'added', parts: [] });
    else if (!y) out.push({ stage, change: 'removed', parts: [] });
    else {
      const parts = (['cmd', 'wdir', 'env', 'deps', 'params', 'outs'] as const).filter((k) => !jsonEqual(x[k] ?? null, y[k] ?? null));
      if (parts.length) out.push({ stage, change: 'modified', parts });
    }
  }
  return out;
}

/** One output (data or model) compared between two revisions. */
export interface OutputDiff {
  path: string;
  stage: string;
  change: 'added' | 'deleted' | 'modified';
  old?: LockEntry;
  new?: LockEntry;
}

/** Every output of every stage, keyed by path, with the stage that records it. */
export function outputsOf(lock: Lockfile): Map<string, { stage: string; entry: LockEntry }> {
  const map = new Map<string, { stage: string; entry: LockEntry }>();
  for (const [stage, s] of Object.entries(lock.stages) as [string, StageLock][])
    for (const [path, entry] of Object.entries(s.outs)) map.set(path, { stage, entry });
  return map;
}

/**
 * Outputs whose content differs. `b` may come from hashing the workspace rather than a lockfile: a missing entry
 * there means the file is gone.
 */
export function diffOutputs(
  a: Map<string, { stage: string; entry: LockEntry }>,
  b: Map<string, { stage: string; entry: LockEntry }>,
  skip: (path: string) => boolean = () => false,
): OutputDiff[] {
  const out: OutputDiff[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort(compareStrings)) {
    if (skip(path)) continue;
    const x = a.get(path);
    const y = b.get(path);
    const stage = (y ?? x)!.stage;
    if (!x) out.push({ path, stage, change: 'added', new: y!.entry });
    else if (!y) out.push({ path, stage, change: 'deleted', old: x.entry });
    else if (x.entry.hash !== y.entry.hash) out.push({ path, stage, change: 'modified', old: x.entry, new: y.entry });
  }
  return out;
}
