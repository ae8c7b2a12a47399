import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { processExists } from './process.js';

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

/**
 * Where a workspace's temporary files go while they are written: inside its ignored `.ml/`, so a process killed
 * mid-write leaves nothing among the user's files, and the next command (or `gc`) removes it.
 */
export const TEMP_DIR = '.ml/tmp/write';

/** A temporary file older than this is abandoned even if a process with its pid runs (the pid was reused). */
export const STALE_TEMP_MS = 60 * 60 * 1000;

let temps = 0;
const tempDirs = new Map<string, string | null>();

/**
 * A fresh temporary path from which `abs` can be renamed into place: under the enclosing workspace's `.ml/tmp/write`
 * (found by walking up to the nearest `.ml/`), or beside `abs` outside any workspace. Named `<pid>-<thread>-<n>-<name>` so
 * that `removeStaleTemps` can tell whose it is.
 */
export function tempPathFor(abs: string): string {
  const dir = dirname(abs);
  let tmpDir = tempDirs.get(dir);
  if (tmpDir === undefined) {
    tmpDir = null;
    for (let d = dir; ; d = dirname(d)) {
      if (existsSync(join(d, '.ml'))) {
        tmpDir = join(d, TEMP_DIR);
        break;
      }
      if (dirname(d) === d) break;
    }
    tempDirs.set(dir, tmpDir);
  }
  // Worker threads of one process each count from 1: the thread keeps their names apart.
  const name = `${process.pid}-${threadId}-${++temps}-${basename(abs)}`;
  if (tmpDir === null) return join(dir, `.${name}.tmp`);
  mkdirSync(tmpDir, { recursive: true });
  return join(tmpDir, name);
}

/** Renames `tmp` onto `abs`; across filesystems (an output directory that is a mount), through a copy beside `abs`. */
export function renameIntoPlace(tmp: string, abs: string): void {
  try {
    renameSync(tmp, abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const near = join(dirname(abs), `.${basename(tmp)}.tmp`);
    try {
      copyFileSync(tmp, near);
      renameSync(near, abs);
    } finally {
      rmSync(near, { force: true });
      rmSync(tmp, { force: true });
    }
  }
}

/**
 * Writes through a temporary file, fsync and rename, so readers see the old or the new content, never a part.
 * `fsync: false` skips the flush for state that need not survive a machine crash.
 */
export function writeFileAtomic(abs: string, data: string | Uint8Array, opts: { fsync?: boolean } = {}): void {
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = tempPathFor(abs);
  try {
    writeFileSync(tmp, data);
    if (opts.fsync !== false) {
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameIntoPlace(tmp, abs);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Whether a temporary file named with a writer's pid (`<pid>-...` or `...tmp-<pid>...`) was abandoned: its process is
 * gone, or it is older than an hour.
 */
export function isStaleTemp(pid: number, mtimeMs: number, now = Date.now()): boolean {
  if (now - mtimeMs > STALE_TEMP_MS) return true;
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return false;
  return !processExists(pid);
}

/** Deletes abandoned files under the workspace's `.ml/tmp/write`; returns how many. */
export function removeStaleTemps(root: string): number {
  const dir = join(root, TEMP_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const abs = join(dir, name);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st || !isStaleTemp(Number(name.split('-')[0]), st.mtimeMs)) continue;
    rmSync(abs, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * The hidden temporary file a built-in step writes `abs` through before renaming it into place. Process and thread
 * are in the name, so steps running at once never share one, and the stage runner can remove what a step it stopped
 * left behind.
 */
export function stepTempPath(abs: string, thread: number = threadId): string {
  return join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}-${thread}`);
}

/**
 * Deletes the temporary files that steps of a killed gitml left beside `abs` (see `stepTempPath`): a process that
 * dies mid-write (SIGKILL, a crash) cannot remove its own, and they would otherwise stay among the user's files.
 */
export function removeStaleStepTemps(abs: string): void {
  const dir = dirname(abs);
  const prefix = `.${basename(abs)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = name.startsWith(prefix) ? /^(\d+)-\d+$/.exec(name.slice(prefix.length)) : null;
    if (!owner) continue;
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (st?.isFile() && isStaleTemp(Number(owner[1]), st.mtimeMs)) rmSync(join(dir, name), { force: true });
  }
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
