import { fileURLToPath } from 'node:url';

/** Where a remote's objects live, as parsed from its `url`. */
export type RemoteLocation =
  /** `path` as written: absolute, or relative to the workspace root. */
  | { kind: 'dir'; path: string }
  /** `prefix` has no leading or trailing slash; empty for the bucket's root. */
  | { kind: 's3'; bucket: string; prefix: string };

/** A bucket name as S3 accepts it (3-63 of lowercase letters, digits, `.` and `-`). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses a remote URL: `s3://bucket/prefix`, `file:///abs/path`, or a plain directory path. Returns the location, or
 * the reason the URL cannot be used.
 */
export function parseRemoteUrl(url: string): { location: RemoteLocation } | { error: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (!url.trim()) return { error: 'must not be empty' };
    return { location: { kind: 'dir', path: url } };
  }
  if (scheme === 'file') {
    try {
      return { location: { kind: 'dir', path: fileURLToPath(url) } };
    } catch (err) {
      return { error: `\`${url}\` is not a valid file URL (${(err as Error).message})` };
    }
  }
  if (scheme === 's3') {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    if (!bucket) return { error: `\`${url}\` names no bucket; write s3://bucket/prefix` };
    if (!BUCKET.test(bucket)) return { error: `\`${bucket}\` is not a valid S3 bucket name (3-63 lowercase letters, digits, \`.\` and \`-\`)` };
    return { location: { kind: 's3', bucket, prefix } };
  }
  return { error: `unsupported URL scheme \`${scheme}://\`; a remote is a directory path or s3://bucket/prefix` };
}
