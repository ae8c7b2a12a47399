import { relative, resolve } from 'node:path';
import { CacheMissError, UsageError } from '../errors.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import { isWithin, workspacePath } from '../util/paths.js';
import type { Progress } from '../util/progress.js';
import { Workspace } from '../workspace.js';

export interface CheckoutEntry {
  path: string;
  stage: string;
  result: 'restored' | 'unchanged' | 'not-cached' | 'error';
  message?: string;
}

/**
 * Restores cached outputs so the workspace matches ml.lock.json. `paths` (relative to `cwd`) narrow it to the outputs
 * at, under or above them. Files that already match are left alone. Outputs that could not be restored are reported
 * with a reason and the rest still are.
 */
export async function checkout(opts: { cwd?: string; paths?: string[]; progress?: Progress } = {}): Promise<CheckoutEntry[]> {
  const cwd = opts.cwd ?? process.cwd();
  return Workspace.use(cwd, async (ws) => {
    const lock = ws.readLock();
    const wanted = (opts.paths ?? []).map((p) => {
      const rel = workspacePath('.', relative(ws.root, resolve(cwd, p)).split('\\').join('/'));
      if (rel === undefined) throw new UsageError(`${p} is outside the workspace ${ws.root}`);
      return rel;
    });

    const outs = Object.entries(lock.stages).flatMap(([stage, s]) =>
      Object.entries(s.outs).map(([path, entry]) => ({ stage, path, entry })),
    );
    const selected = wanted.length ? outs.filter((o) => wanted.some((w) => isWithin(o.path, w) || isWithin(w, o.path))) : outs;
    for (const w of wanted) {
      if (!outs.some((o) => isWithin(o.path, w) || isWithin(w, o.path)))
        throw new UsageError(`${w} is not an output recorded in ml.lock.json`);
    }

    const release = acquireWorkspaceGuard(ws.root);
    try {
      await ws.hasher.hashAll(
        selected.map((o) => o.path),
        opts.progress,
      );
      return selected.map(({ stage, path, entry }): CheckoutEntry => {
        if (entry.cache === false)
          return { path, stage, result: 'not-cached', message: 'not cached (cache: false); rerun its stage to recreate it' };
        try {
          return { path, stage, result: ws.cache.restore(path, entry, ws.hasher, { progress: opts.progress }) };
        } catch (err) {
          if (err instanceof CacheMissError) return { path, stage, result: 'error', message: err.message };
          throw err;
        }
      });
    } finally {
      release();
    }
  });
}
