import { posix } from 'node:path';

/**
 * Resolves `path` (relative to `wdir`, both POSIX and relative to the workspace root) to a normalized
 * workspace-relative POSIX path, or `undefined` when it is absolute or climbs out of the workspace.
 */
export function workspacePath(wdir: string, path: string): string | undefined {
  const p = path.replace(/\\/g, '/');
  if (posix.isAbsolute(p) || /^[A-Za-z]:\//.test(p)) return undefined;
  const joined = posix.normalize(posix.join(wdir, p)).replace(/\/+$/, '');
  if (joined === '..' || joined.startsWith('../')) return undefined;
  return joined === '' ? '.' : joined;
}

/** True when `inner` is `outer` or lies inside it (both normalized workspace paths). */
export function isWithin(inner: string, outer: string): boolean {
  return outer === '.' || inner === outer || inner.startsWith(`${outer}/`);
}

/** Names no output may have at the workspace root: git's and gitml's own files. */
const RESERVED_AT_ROOT = ['.git', '.ml', 'ml.yaml', 'ml.lock.json', '.gitignore'];
/** Names no output may have at any depth: a nested repository (its hooks run code) and git's ignore rules. */
const RESERVED_ANYWHERE = ['.git', '.gitignore'];

/**
 * Why a normalized workspace path must never be written as an output (or `undefined` when it may be): it is, or is
 * inside, or contains one of the reserved names. Compared without case, since on a case-insensitive filesystem
 * `.GIT` is `.git`.
 */
export function reservedReason(path: string): string | undefined {
  if (path === '.' || path === '') return 'it is the whole workspace (which holds .git and .ml)';
  const parts = path.toLowerCase().split('/');
  if (RESERVED_AT_ROOT.includes(parts[0]!)) return `\`${path.split('/')[0]}\` is reserved for git and gitml`;
  const hit = parts.findIndex((p) => RESERVED_ANYWHERE.includes(p));
  if (hit >= 0) return `\`${path.split('/')[hit]}\` is reserved for git`;
  return undefined;
}

/**
 * Why a path read from input gitml did not write (a lockfile of another commit, a manifest from a remote) is not a
 * safe workspace-relative output path, or `undefined` when it is. It must already be in normal form: relative, POSIX,
 * no empty, `.` or `..` segment, no backslash or NUL, and nothing reserved.
 */
export function unsafePathReason(path: string): string | undefined {
  return formReason(path) ?? reservedReason(path);
}

/**
 * `unsafePathReason` for a file listed in the manifest of directory output `dir` (itself already checked): its form,
 * and no `.git` inside it. A `.gitignore` inside a directory output is the stage's own file and is kept.
 */
export function unsafeFileReason(dir: string, file: string): string | undefined {
  const git = file.split('/').find((p) => p.toLowerCase() === '.git');
  return formReason(file) ?? (git === undefined ? undefined : `\`${git}\` inside \`${dir}\` is reserved for git`);
}

function formReason(path: string): string | undefined {
  if (path === '') return 'it is empty';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.includes('\0')) return 'it contains a NUL byte';
  if (posix.isAbsolute(path) || /^[A-Za-z]:/.test(path)) return 'it is absolute';
  const parts = path.split('/');
  if (parts.includes('..')) return 'it climbs out of its directory (`..`)';
  if (parts.some((p) => p === '' || p === '.')) return 'it is not in normal form (an empty or `.` segment)';
  return undefined;
}
