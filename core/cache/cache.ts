import { chmodSync, constants, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CacheMissError } from '../errors.js';
import type { LockEntry } from '../generated/lockfile.js';
import { isDirInfo, serializeManifest, type HashInfo, type Manifest, type PathHasher } from '../hash/hash-path.js';
import { listFiles } from '../util/fs.js';

export const CACHE_DIR = '.ml/cache';

export type RestoreResult = 'unchanged' | 'restored';

/**
 * The content-addressed object store under `.ml/cache`: one read-only file per hash, sharded by the first two hex
 * digits. A directory's manifest is an object too. Writes go through a temporary file and a rename, so an
 * interrupted save never leaves a partial object under a valid name.
 */
export class Cache {
  readonly dir: string;

  constructor(readonly root: string) {
    this.dir = join(root, CACHE_DIR);
  }

  objectPath(hash: string): string {
    const [alg, hex] = hash.split(':') as [string, string];
    return join(this.dir, alg, hex.slice(0, 2), hex.slice(2));
  }

  has(hash: string): boolean {
    return existsSync(this.objectPath(hash));
  }

  /** Saves a workspace output (file or directory) whose hash was just computed. */
  save(path: string, info: HashInfo): void {
    const abs = join(this.root, path);
    if (!isDirInfo(info)) {
      this.saveFile(abs, info.hash);
      return;
    }
    for (const f of info.manifest.files) this.saveFile(join(abs, f.path), f.hash);
    this.saveBytes(Buffer.from(serializeManifest(info.manifest)), info.hash);
  }

  /** A directory manifest from the cache, or `undefined` on a miss. */
  readManifest(hash: string): Manifest | undefined {
    try {
      return JSON.parse(readFileSync(this.objectPath(hash), 'utf8')) as Manifest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Puts the cached content of `entry` at workspace `path`, skipping files that already match. */
  restore(path: string, entry: LockEntry, hasher: PathHasher): RestoreResult {
    const abs = join(this.root, path);
    // What already matches needs nothing from the cache, even if the cache was cleared.
    if (hasher.hash(path)?.hash === entry.hash) return 'unchanged';
    hasher.forget(path);
    if (entry.nfiles === undefined) {
      if (!this.has(entry.hash)) throw new CacheMissError(path, entry.hash);
      if (existsSync(abs)) rmSync(abs, { recursive: true, force: true });
      this.copyOut(entry.hash, abs, false);
      return 'restored';
    }

    const manifest = this.readManifest(entry.hash);
    if (!manifest) throw new CacheMissError(path, entry.hash);
    const missing = manifest.files.find((f) => !this.has(f.hash));
    if (missing) throw new CacheMissError(`${path}/${missing.path}`, missing.hash);

    if (existsSync(abs) && !statSync(abs).isDirectory()) rmSync(abs, { force: true });
    let changed = false;
    const wanted = new Set(manifest.files.map((f) => f.path));
    for (const rel of existsSync(abs) ? listFiles(abs) : []) {
      if (!wanted.has(rel)) {
        rmSync(join(abs, rel), { force: true });
        changed = true;
      }
    }
    if (changed) removeEmptyDirs(abs);
    for (const f of manifest.files) {
      const target = join(abs, f.path);
      if (isFile(target) && hasher.hashFile(target) === f.hash) continue;
      if (existsSync(target)) rmSync(target, { recursive: true, force: true });
      this.copyOut(f.hash, target, f.exec === true);
      changed = true;
    }
    mkdirSync(abs, { recursive: true });
    hasher.forget(path);
    return changed ? 'restored' : 'unchanged';
  }

  private saveFile(abs: string, hash: string): void {
    const dest = this.objectPath(hash);
    if (existsSync(dest)) return;
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    // FICLONE makes a copy-on-write clone where the filesystem supports it and a plain copy elsewhere.
    copyFileSync(abs, tmp, constants.COPYFILE_FICLONE);
    chmodSync(tmp, 0o444);
    renameSync(tmp, dest);
  }

  private saveBytes(data: Buffer, hash: string): void {
    const dest = this.objectPath(hash);
    if (existsSync(dest)) return;
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    writeFileSync(tmp, data, { mode: 0o444 });
    renameSync(tmp, dest);
  }

  private copyOut(hash: string, target: string, exec: boolean): void {
    mkdirSync(dirname(target), { recursive: true });
    const tmp = join(dirname(target), `.gitml-tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    copyFileSync(this.objectPath(hash), tmp, constants.COPYFILE_FICLONE);
    chmodSync(tmp, exec ? 0o755 : 0o644);
    renameSync(tmp, target);
  }
}

/** Removes directories left empty under `dir` (after extra files were deleted), keeping `dir` itself. */
function removeEmptyDirs(dir: string): boolean {
  let empty = true;
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.isDirectory() && removeEmptyDirs(join(dir, ent.name))) rmdirSync(join(dir, ent.name));
    else empty = false;
  }
  return empty;
}

function isFile(abs: string): boolean {
  try {
    return statSync(abs).isFile();
  } catch {
    return false;
  }
}
