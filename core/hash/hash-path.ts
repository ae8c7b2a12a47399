import { closeSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, compareStrings } from '../util/canonical.js';
import { HASH_ALGORITHM, loadBlake3, type Blake3 } from './blake3.js';

/** What the lockfile records for a path. `nfiles` is set for directories. */
export interface HashInfo {
  hash: string;
  size: number;
  nfiles?: number;
}

export interface ManifestEntry {
  /** Relative to the directory, POSIX. */
  path: string;
  hash: string;
  size: number;
  exec?: true;
}

/** A directory's content: its files sorted by path. Its canonical JSON is hashed and cached like a file. */
export interface Manifest {
  files: ManifestEntry[];
}

export interface DirHashInfo extends HashInfo {
  nfiles: number;
  manifest: Manifest;
}

const CHUNK = 1 << 20;

/**
 * Content hashing of workspace paths. Results are memoized per path until `forget` is called for that path (after a
 * stage rewrites it); a directory hash is the hash of its sorted manifest.
 */
export class PathHasher {
  private readonly memo = new Map<string, HashInfo | DirHashInfo | null>();
  private readonly buffer = Buffer.allocUnsafe(CHUNK);

  private constructor(
    readonly root: string,
    private readonly blake3: () => Blake3,
  ) {}

  static async create(root: string): Promise<PathHasher> {
    return new PathHasher(root, await loadBlake3());
  }

  /** Hash of a workspace-relative path, or `null` when it does not exist. */
  hash(path: string): HashInfo | DirHashInfo | null {
    const hit = this.memo.get(path);
    if (hit !== undefined) return hit;
    let st: Stats;
    try {
      st = statSync(join(this.root, path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
        this.memo.set(path, null);
        return null;
      }
      throw err;
    }
    const info = st.isDirectory() ? this.hashDir(join(this.root, path)) : { hash: this.hashFile(join(this.root, path)), size: st.size };
    this.memo.set(path, info);
    return info;
  }

  /** Drops memoized hashes at or under `path` (and of directories holding it). */
  forget(path: string): void {
    for (const key of this.memo.keys()) {
      if (key === path || key.startsWith(`${path}/`) || path.startsWith(`${key}/`)) this.memo.delete(key);
    }
  }

  hashFile(abs: string): string {
    const h = this.blake3();
    const fd = openSync(abs, 'r');
    try {
      for (;;) {
        const n = readSync(fd, this.buffer, 0, CHUNK, null);
        if (n === 0) break;
        h.update(this.buffer.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    return `${HASH_ALGORITHM}:${h.digest()}`;
  }

  hashBytes(data: Uint8Array): string {
    const h = this.blake3();
    h.update(data);
    return `${HASH_ALGORITHM}:${h.digest()}`;
  }

  hashDir(abs: string): DirHashInfo {
    const files: ManifestEntry[] = [];
    const walk = (dir: string, prefix: string) => {
      for (const ent of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, ent.name);
        const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
        // A link is followed; a dangling one has no content to hash and is left out.
        const st = ent.isSymbolicLink() ? statSync(full, { throwIfNoEntry: false }) : undefined;
        if (ent.isSymbolicLink() && !st) continue;
        if (ent.isDirectory() || st?.isDirectory()) walk(full, rel);
        else if (ent.isFile() || st?.isFile()) {
          const s = st ?? statSync(full);
          files.push({ path: rel, hash: this.hashFile(full), size: s.size, ...(s.mode & 0o111 ? { exec: true as const } : {}) });
        }
      }
    };
    walk(abs, '');
    files.sort((a, b) => compareStrings(a.path, b.path));
    const manifest: Manifest = { files };
    return {
      hash: this.hashBytes(Buffer.from(serializeManifest(manifest))),
      size: files.reduce((n, f) => n + f.size, 0),
      nfiles: files.length,
      manifest,
    };
  }
}

export function serializeManifest(manifest: Manifest): string {
  return canonicalJson(manifest);
}

export function isDirInfo(info: HashInfo): info is DirHashInfo {
  return 'manifest' in info;
}
