import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { CacheMissError, CorruptObjectError, UsageError } from '../errors.js';
import { openSnapshot, WORKSPACE } from '../git/revision.js';
import { LOCKFILE, parseLockfile } from '../lockfile/lockfile.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import { writeFileAtomic } from '../util/fs.js';
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
 * Restores cached outputs so the workspace matches ml.lock.json, or with `rev` the lockfile of that commit (whose
 * uncached outputs come from git). `paths` (relative to `cwd`) narrow it to the outputs
 * at, under or above them. Files that already match are left alone. Outputs that could not be restored (an object
 * missing, or corrupt and so quarantined) are reported with a reason and the rest still are.
 */
export async function checkout(opts: { cwd?: string; paths?: string[]; rev?: string; progress?: Progress } = {}): Promise<CheckoutEntry[]> {
  const cwd = opts.cwd ?? process.cwd();
  return Workspace.use(cwd, async (ws) => {
    const snap = opts.rev === undefined || opts.rev === WORKSPACE ? undefined : await openSnapshot(ws.root, opts.rev);
    const lockText = snap ? await snap.read(LOCKFILE) : undefined;
    if (snap && lockText === null) throw new UsageError(`${opts.rev} (${snap.rev.short}) has no ${LOCKFILE}, so it records no outputs`);
    const lock = lockText ? parseLockfile(lockText, `${LOCKFILE} at ${opts.rev}`) : ws.readLock();
    const recordedIn = snap ? `${LOCKFILE} at ${opts.rev}` : LOCKFILE;
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
        throw new UsageError(`${w} is not an output recorded in ${recordedIn}`);
    }

    const uncached = new Map<string, Uint8Array | null>();
    if (snap) for (const o of selected) if (o.entry.cache === false) uncached.set(o.path, await snap.readBytes(o.path));

    const release = acquireWorkspaceGuard(ws.root);
    try {
      await ws.hasher.hashAll(
        selected.map((o) => o.path),
        opts.progress,
      );
      const restoreOne = async ({ stage, path, entry }: (typeof selected)[number]): Promise<CheckoutEntry> => {
        if (entry.cache === false) {
          // Uncached outputs (metrics, plots) are committed to git: at another revision they come from there.
          const committed = uncached.get(path);
          if (committed === undefined || committed === null)
            return { path, stage, result: 'not-cached', message: 'not cached (cache: false); rerun its stage to recreate it' };
          if (sameBytes(ws.abs(path), committed)) return { path, stage, result: 'unchanged' };
          writeFileAtomic(ws.abs(path), committed);
          ws.hasher.forget(path);
          return { path, stage, result: 'restored' };
        }
        try {
          return { path, stage, result: await ws.cache.restore(path, entry, ws.hasher, { progress: opts.progress, stage }) };
        } catch (err) {
          // A corrupt object was quarantined and not installed; the other outputs are still restored.
          if (err instanceof CacheMissError || err instanceof CorruptObjectError) return { path, stage, result: 'error', message: err.message };
          throw err;
        }
      };
      const entries: CheckoutEntry[] = [];
      for (const o of selected) entries.push(await restoreOne(o));
      return entries;
    } finally {
      release();
    }
  });
}

function sameBytes(abs: string, bytes: Uint8Array): boolean {
  try {
    return Buffer.from(bytes).equals(readFileSync(abs));
  } catch {
    return false;
  }
}
