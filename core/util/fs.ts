import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Reads a text file, or `null` when it does not exist (the adapter shape the pure core expects). */
export function readTextOrNull(abs: string): string | null {
  try {
    return readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Writes through a temporary file, fsync and rename, so readers see the old or the new content, never a part. */
export function writeFileAtomic(abs: string, data: string | Uint8Array): void {
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, abs);
}

/**
 * The hidden temporary file a built-in step writes `abs` through before renaming it into place. Process and thread
 * are in the name, so steps running at once never share one, and the stage runner can remove what a step it stopped
 * left behind.
 */
export function stepTempPath(abs: string, thread: number = threadId): string {
  return join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}-${thread}`);
}

/** Relative POSIX paths of every file under `dir`. */
export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const ent of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
    if (ent.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}
