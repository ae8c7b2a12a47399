import { rmSync } from 'node:fs';
import { RunCache } from '../cache/run-cache.js';
import { historyLockfiles } from '../git/lockfiles.js';
import type { Lockfile } from '../lockfile/lockfile.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import type { Progress } from '../util/progress.js';
import { Workspace } from '../workspace.js';

export interface GcOptions {
  cwd?: string;
  /** Report what would be removed; remove nothing. @default false */
  dry?: boolean;
  /** Keep what any commit of any branch or tag references, not only the workspace lockfile. @default false */
  allCommits?: boolean;
  progress?: Progress;
}

export interface GcResult {
  /** Objects still referenced. */
  kept: number;
  removed: number;
  removedBytes: number;
  /** Run-cache entries dropped because their objects went. */
  runsRemoved: number;
  /** Leftovers of interrupted saves that were deleted. */
  partialsRemoved: number;
  /** With `allCommits`: how many commits were read, and those whose lockfile could not be parsed. */
  commits?: number;
  unreadable?: string[];
}

/**
 * Removes cache objects that no lockfile needs: the workspace's, and with `allCommits` every commit's. Everything a
 * referenced directory's manifest lists is kept with it. Run-cache entries whose objects are gone are dropped too.
 */
export async function gc(opts: GcOptions = {}): Promise<GcResult> {
  return Workspace.use(opts.cwd, async (ws) => {
    const lockfiles: Lockfile[] = [ws.readLock()];
    let history: Awaited<ReturnType<typeof historyLockfiles>> | undefined;
    if (opts.allCommits) {
      history = await historyLockfiles(ws.root);
      lockfiles.push(...history.lockfiles);
    }
    const release = opts.dry ? () => {} : acquireWorkspaceGuard(ws.root);
    try {
      const keep = new Set<string>();
      for (const lock of lockfiles) {
        for (const stage of Object.values(lock.stages)) {
          for (const entry of [...Object.values(stage.outs), ...Object.values(stage.deps)]) {
            keep.add(entry.hash);
            if (entry.nfiles === undefined) continue;
            for (const f of ws.cache.readManifest(entry.hash)?.files ?? []) keep.add(f.hash);
          }
        }
      }

      const objects = ws.cache.listObjects();
      const drop = objects.filter((h) => !keep.has(h));
      let removedBytes = 0;
      opts.progress?.start(opts.dry ? 'finding unused objects' : 'removing unused objects', drop.length);
      for (const hash of drop) {
        removedBytes += opts.dry ? ws.cache.size(hash) : ws.cache.remove(hash);
        opts.progress?.tick(1);
      }
      opts.progress?.done();

      const gone = new Set(drop);
      const runs = new RunCache(ws.root, ws.cache);
      let runsRemoved = 0;
      for (const { file, record } of runs.entries()) {
        const stale =
          !record ||
          Object.values(record.outs).some(
            (e) =>
              gone.has(e.hash) || (e.nfiles !== undefined && (ws.cache.readManifest(e.hash)?.files ?? []).some((f) => gone.has(f.hash))),
          );
        if (!stale) continue;
        runsRemoved++;
        if (!opts.dry) runs.remove(file);
      }

      const partials = ws.cache.listPartials();
      if (!opts.dry) for (const p of partials) rmSync(p, { force: true });

      return {
        kept: objects.length - drop.length,
        removed: drop.length,
        removedBytes,
        runsRemoved,
        partialsRemoved: partials.length,
        ...(history ? { commits: history.commits, unreadable: history.unreadable } : {}),
      };
    } finally {
      release();
    }
  });
}
