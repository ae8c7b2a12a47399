import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { hashInPool, worthPool } from '../hash/hash-pool.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import type { Progress } from '../util/progress.js';
import { Workspace } from '../workspace.js';

export interface VerifyResult {
  checked: number;
  /** Objects whose content no longer matches their hash, and where each was moved. */
  corrupt: { hash: string; movedTo: string }[];
}

/**
 * Re-hashes every object in the cache. One whose content does not match its name is moved to
 * `.ml/cache/quarantine/`, so it is never restored again but nothing is thrown away.
 */
export async function cacheVerify(opts: { cwd?: string; progress?: Progress } = {}): Promise<VerifyResult> {
  return Workspace.use(opts.cwd, async (ws) => {
    const release = acquireWorkspaceGuard(ws.root);
    try {
      const objects = ws.cache.listObjects().map((hash) => ({ hash, abs: ws.cache.objectPath(hash), size: statSync(ws.cache.objectPath(hash)).size }));
      opts.progress?.start('verifying cache objects', objects.length);
      let actual: string[];
      if (worthPool(objects.length, objects.reduce((n, o) => n + o.size, 0))) actual = await hashInPool(objects, (n) => opts.progress?.tick(n));
      else {
        actual = objects.map((o) => {
          opts.progress?.tick(1);
          return ws.hasher.hashFile(o.abs);
        });
      }
      opts.progress?.done();
      const corrupt = objects
        .filter((o, i) => actual[i] !== o.hash)
        .map((o) => ({ hash: o.hash, movedTo: relative(ws.root, ws.cache.quarantine(o.hash)) }));
      return { checked: objects.length, corrupt };
    } finally {
      release();
    }
  });
}
