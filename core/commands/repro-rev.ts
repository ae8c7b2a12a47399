import { rmSync } from 'node:fs';
import { diffValues, outputsOf, type ValueDiff } from '../diff/diff.js';
import { readRevisionState } from '../diff/state.js';
import { GitmlError, StageFailedError } from '../errors.js';
import { commitSnapshot, openRepo, resolveRevision, workspaceSnapshot, type Revision } from '../git/revision.js';
import { makeScratch, writeCommit } from '../git/scratch.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { ProcessGroup } from '../run/processes.js';
import type { Progress } from '../util/progress.js';
import { findRoot } from '../workspace.js';
import { repro } from './repro.js';

export interface ReproducedOutput {
  path: string;
  stage: string;
  recorded: LockEntry;
  /** Absent when the rebuild did not produce it. */
  rebuilt?: LockEntry;
  identical: boolean;
  /** Declared `nondeterministic: true`: a difference is reported, not failed on. */
  nondeterministic: boolean;
}

export interface ReproRevResult {
  rev: Revision;
  outputs: ReproducedOutput[];
  /** Each metric as recorded at the revision (old) and as rebuilt (new). */
  metrics: ValueDiff[];
  /** Outputs that differ and may not. */
  mismatches: string[];
  /** The scratch workspace, when kept. */
  kept?: string;
}

export interface ReproRevOptions {
  cwd?: string;
  rev: string;
  jobs?: number;
  /** Keep the scratch workspace afterwards (it is always kept when something differs or fails). */
  keep?: boolean;
  processes?: ProcessGroup;
  print?: (line: string) => void;
  progress?: Progress;
}

/**
 * Rebuilds a commit from its inputs in a scratch workspace that shares the cache (every stage runs; the run-cache is
 * not consulted), then compares each output with that commit's lockfile and each metric with its committed value.
 */
export async function reproRev(opts: ReproRevOptions): Promise<ReproRevResult> {
  const root = findRoot(opts.cwd ?? process.cwd());
  const repo = await openRepo(root);
  const rev = await resolveRevision(repo, opts.rev);
  const snap = commitSnapshot(repo, rev);
  const recorded = await readRevisionState(snap);
  if (!recorded.pipeline) throw new GitmlError('E_NOTHING_TO_REPRODUCE', `${rev.name} (${rev.short}) has no ml.yaml`);
  if (!Object.keys(recorded.lock.stages).length)
    throw new GitmlError('E_NOTHING_TO_REPRODUCE', `${rev.name} (${rev.short}) has no ml.lock.json entries to compare a rebuild with`);

  const dir = makeScratch(root, `repro-${rev.short}`);
  await writeCommit(repo, rev.oid!, dir);
  const print = opts.print ?? (() => {});
  print(`Rebuilding ${rev.name} (${rev.short}) in ${dir}`);
  try {
    await repro({ cwd: dir, force: true, runCache: false, jobs: opts.jobs, processes: opts.processes, print, progress: opts.progress });
  } catch (err) {
    if (err instanceof StageFailedError)
      throw new GitmlError('E_REPRO_FAILED', `${err.message} while rebuilding ${rev.name}; the scratch workspace is kept at ${dir}`, {
        exitCode: 1,
        cause: err,
      });
    throw err;
  }

  const rebuilt = await readRevisionState(workspaceSnapshot(dir));
  const after = outputsOf(rebuilt.lock);
  const nondeterministic = new Set(recorded.pipeline.stages.flatMap((s) => s.outs.filter((o) => o.nondeterministic).map((o) => o.path)));
  const outputs = [...outputsOf(recorded.lock)].map(([path, { stage, entry }]): ReproducedOutput => {
    const now = after.get(path)?.entry;
    return {
      path,
      stage,
      recorded: entry,
      ...(now ? { rebuilt: now } : {}),
      identical: now?.hash === entry.hash,
      nondeterministic: nondeterministic.has(path),
    };
  });
  const mismatches = outputs.filter((o) => !o.identical && !o.nondeterministic).map((o) => o.path);
  const metricOut = (file: string) => recorded.metricOuts.get(file);
  const metrics = diffValues(recorded.metrics, rebuilt.metrics, {
    all: true,
    better: (file, key) => metricOut(file)?.better?.[key],
    precision: (file) => metricOut(file)?.precision,
  });
  const keep = opts.keep || mismatches.length > 0;
  if (!keep) rmSync(dir, { recursive: true, force: true });
  return { rev, outputs, metrics, mismatches, ...(keep ? { kept: dir } : {}) };
}
