import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { hashBytes, type Blake3 } from '../hash/blake3.js';
import { statKey } from '../hash/walk.js';

/**
 * Installing small objects as private copies, checked against their hash: shared by the cache (one file at a time)
 * and the worker threads that place large trees.
 */

/** Objects below this size are copied by reading them whole. */
export const SMALL_FILE = 1 << 20;

/** One small object to copy into the workspace. */
export interface CopyTask {
  object: string;
  target: string;
  hash: string;
  /** Size the manifest records. */
  size: number;
  exec: boolean;
  /** Something may be at `target`: removed once the object proved good. */
  replace: boolean;
}

/** The stat key of the file written, what the object hashed to when it did not match, or why it failed. */
export type CopyResult = { key: string } | { actual: string } | { error: string; code?: string };

/**
 * A small object's bytes, read with one `read` into `buffer` (valid until its next use); `undefined` when the object
 * is longer than `size` says, so it cannot be the right one.
 */
export function readSmall(object: string, size: number, buffer: Buffer): Buffer | undefined {
  const fd = openSync(object, 'r');
  try {
    let n = 0;
    // One byte more than expected shows an object that is too long.
    for (let got = -1; got !== 0 && n <= size; n += got) got = readSync(fd, buffer, n, size + 1 - n, null);
    return n > size ? undefined : buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to a new file `target` and returns its stat key (from the open file: no second path lookup). */
export function writeNew(target: string, data: Uint8Array, mode: number): string {
  const fd = openSync(target, 'wx', mode);
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    return statKey(fstatSync(fd, { bigint: true }));
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies small objects in order: read once, hash those bytes, write them only if they match. `made` remembers the
 * directories created. Used by the worker threads; never throws (each task reports its own result).
 */
export function copySmall(tasks: CopyTask[], blake3: () => Blake3, hashFile: (abs: string) => string): CopyResult[] {
  const buffer = Buffer.allocUnsafe(SMALL_FILE + 1);
  const made = new Set<string>();
  return tasks.map((t): CopyResult => {
    try {
      const data = readSmall(t.object, t.size, buffer);
      const actual = data ? hashBytes(data, blake3) : hashFile(t.object);
      if (actual !== t.hash) return { actual };
      const dir = dirname(t.target);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      if (t.replace) rmSync(t.target, { recursive: true, force: true });
      return { key: writeNew(t.target, data!, t.exec ? 0o755 : 0o644) };
    } catch (err) {
      return { error: (err as Error).message, code: (err as NodeJS.ErrnoException).code };
    }
  });
}
