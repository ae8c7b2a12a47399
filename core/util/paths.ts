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
