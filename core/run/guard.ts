import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WorkspaceBusyError } from '../errors.js';
import { prepareStateDir } from '../workspace.js';

const GUARD_FILE = '.ml/state/running.pid';

/**
 * Makes sure only one gitml process changes a workspace at a time (two `repro`s would race on outputs and on
 * ml.lock.json). A guard left by a process that no longer exists is taken over. Returns the release function.
 */
export function acquireWorkspaceGuard(root: string): () => void {
  prepareStateDir(root);
  const file = join(root, GUARD_FILE);
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw new WorkspaceBusyError(pid, GUARD_FILE);
      rmSync(file, { force: true });
    }
  }
  throw new WorkspaceBusyError(0, GUARD_FILE);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
