import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DEFAULT_LINK_MODES, type LinkMode } from '../config.js';
import { CacheMissError, GitmlError } from '../errors.js';
import type { LockEntry } from '../generated/lockfile.js';
import { isDirInfo, serializeManifest, type HashInfo, type Manifest, type PathHasher } from '../hash/hash-path.js';
import { statKey } from '../hash/walk.js';
import { listFiles } from '../util/fs.js';
import type { Progress } from '../util/progress.js';

export const CACHE_DIR = '.ml/cache';
export const OBJECTS_DIR = '.ml/cache/blake3';
export const QUARANTINE_DIR = '.ml/cache/quarantine';

export type RestoreResult = 'unchanged' | 'restored';

/** Files below this size are copied by reading them whole. */
const SMALL_FILE = 1 << 20;

/** Errors that mean "this link mode does not work here", so the next mode is tried. */
const UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EPERM', 'EINVAL', 'EMLINK', 'ENOSYS']);

/**
 * The content-addressed object store under `.ml/cache`: one read-only file per hash, sharded by the first two hex
 * digits. A directory's manifest is an object too. Objects are written through a temporary file and a rename, so
 * an interrupted save never leaves a partial object under a valid name.
 *
 * Outputs are placed in the workspace with the first link mode that works: reflink (copy-on-write), hardlink or
 * symlink (the workspace file is the read-only object itself, so it cannot be edited in place), or copy.
 */
export class Cache {
  readonly dir: string;
  private readonly modes: LinkMode[];
  /** Shard directories known to exist (objects are never removed while a command that writes them runs). */
  private readonly shards = new Set<string>();

  constructor(
    readonly root: string,
    linkModes: LinkMode[] = DEFAULT_LINK_MODES,
  ) {
    this.dir = join(root, CACHE_DIR);
    this.modes = [...linkModes];
  }

  /** The link mode in use: the first configured one not yet found unsupported on this filesystem. */
  get linkMode(): LinkMode {
    return this.modes[0] ?? 'copy';
  }

  objectPath(hash: string): string {
    const [alg, hex] = hash.split(':') as [string, string];
    return join(this.dir, alg, hex.slice(0, 2), hex.slice(2));
  }

  has(hash: string): boolean {
    return existsSync(this.objectPath(hash));
  }

  /** An object's content as text, or `null` when it is not in the cache. */
  readText = (hash: string): string | null => {
    try {
      return readFileSync(this.objectPath(hash), 'utf8');
    } catch {
      return null;
    }
  };

  /** Whether every object behind a lock entry (for a directory: its manifest and all its files) is present. */
  complete(entry: Pick<LockEntry, 'hash' | 'nfiles'>): boolean {
    if (entry.nfiles === undefined) return this.has(entry.hash);
    const manifest = this.readManifest(entry.hash);
    return manifest !== undefined && manifest.files.every((f) => this.has(f.hash));
  }

  /**
   * Saves a workspace output (file or directory) whose hash was just computed. With `copy` the workspace file stays
   * separate from the object even in hardlink mode (for uncached outputs, which git tracks as plain files).
   */
  save(path: string, info: HashInfo, opts: { copy?: boolean; progress?: Progress } = {}): void {
    const abs = join(this.root, path);
    if (!isDirInfo(info)) {
      this.saveFile(abs, info.hash, opts.copy === true);
      return;
    }
    opts.progress?.start(`caching ${path}`, info.manifest.files.length);
    for (const f of info.manifest.files) {
      this.saveFile(join(abs, f.path), f.hash, f.exec === true || opts.copy === true);
      opts.progress?.tick(1);
    }
    opts.progress?.done();
    this.saveBytes(Buffer.from(serializeManifest(info.manifest)), info.hash);
  }

  /** A directory manifest from the cache, or `undefined` on a miss. */
  readManifest(hash: string): Manifest | undefined {
    try {
      return JSON.parse(readFileSync(this.objectPath(hash), 'utf8')) as Manifest;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  /**
   * Puts the cached content of `entry` at workspace `path`. Files that already hold the right content are left alone,
   * unless `relink` asks for them to become links to the cache (after saving, in hardlink or symlink mode).
   */
  restore(
    path: string,
    entry: LockEntry,
    hasher: PathHasher,
    opts: { relink?: boolean; copy?: boolean; progress?: Progress } = {},
  ): RestoreResult {
    const abs = join(this.root, path);
    const relink = opts.relink === true && (this.linkMode === 'hardlink' || this.linkMode === 'symlink');
    const current = hasher.hash(path);
    // What already matches needs nothing from the cache, even if the cache was cleared.
    if (current?.hash === entry.hash && !relink) return 'unchanged';

    if (entry.nfiles === undefined) {
      if (!this.has(entry.hash)) throw new CacheMissError(path, entry.hash);
      if (current?.hash === entry.hash && this.isLinked(abs, entry.hash)) return 'unchanged';
      rmSync(abs, { recursive: true, force: true });
      this.place(entry.hash, abs, false, undefined, opts.copy, entry.size);
      hasher.adopt(path, entry.hash, new Map([['', statKey(statSync(abs, { bigint: true }))]]));
      return 'restored';
    }

    const manifest = this.readManifest(entry.hash);
    if (!manifest) throw new CacheMissError(path, entry.hash);
    const missing = manifest.files.find((f) => !this.has(f.hash));
    if (missing) throw new CacheMissError(`${path}/${missing.path}`, missing.hash);

    const have = new Map<string, string>();
    if (current && isDirInfo(current)) for (const f of current.manifest.files) have.set(f.path, f.hash);
    else if (current) rmSync(abs, { force: true });

    let changed = false;
    const wanted = new Set(manifest.files.map((f) => f.path));
    if (current && isDirInfo(current)) {
      for (const rel of listFiles(abs)) {
        if (!wanted.has(rel)) {
          rmSync(join(abs, rel), { force: true });
          changed = true;
        }
      }
      if (changed) removeEmptyDirs(abs);
    }
    const made = new Set<string>();
    /** Stat key of each file right after it was written, for the stat cache. */
    const written = new Map<string, string>();
    opts.progress?.start(`checking out ${path}`, manifest.files.length);
    for (const f of manifest.files) {
      const target = join(abs, f.path);
      const same = have.get(f.path) === f.hash;
      if (same && (!relink || this.isLinked(target, f.hash))) {
        opts.progress?.tick(1);
        continue;
      }
      if (have.has(f.path)) rmSync(target, { recursive: true, force: true });
      this.place(f.hash, target, f.exec === true, made, opts.copy, f.size);
      written.set(f.path, statKey(statSync(target, { bigint: true })));
      changed = true;
      opts.progress?.tick(1);
    }
    opts.progress?.done();
    mkdirSync(abs, { recursive: true });
    if (changed) hasher.adopt(path, entry.hash, written, manifest);
    return changed ? 'restored' : 'unchanged';
  }

  /**
   * Makes an output safe to write to before a stage that keeps it (`persist`) runs: links to cache objects are
   * replaced by private, writable copies.
   */
  unprotect(path: string): void {
    const abs = join(this.root, path);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      for (const rel of listFiles(abs)) this.unprotectFile(join(abs, rel));
    } else this.unprotectFile(abs);
  }

  /** Every object hash in the store. */
  listObjects(): string[] {
    const out: string[] = [];
    const base = join(this.dir, 'blake3');
    if (!existsSync(base)) return out;
    for (const shard of readdirSync(base)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of readdirSync(join(base, shard))) if (/^[0-9a-f]{62}$/.test(name)) out.push(`blake3:${shard}${name}`);
    }
    return out.sort();
  }

  /** Leftovers of interrupted saves (temporary files that never got their final name). */
  listPartials(): string[] {
    const base = join(this.dir, 'blake3');
    if (!existsSync(base)) return [];
    return readdirSync(base).flatMap((shard) => {
      const dir = join(base, shard);
      return statSync(dir).isDirectory()
        ? readdirSync(dir)
            .filter((n) => n.includes('.tmp-'))
            .map((n) => join(dir, n))
        : [];
    });
  }

  /** Bytes an object takes (0 when absent). */
  size(hash: string): number {
    return statSync(this.objectPath(hash), { throwIfNoEntry: false })?.size ?? 0;
  }

  /** Deletes an object; returns the bytes freed. */
  remove(hash: string): number {
    const size = this.size(hash);
    rmSync(this.objectPath(hash), { force: true });
    return size;
  }

  /** Moves a damaged object aside (so it is neither used nor lost) and returns where it went. */
  quarantine(hash: string): string {
    const dest = join(this.root, QUARANTINE_DIR, hash.replace(':', '-'));
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(this.objectPath(hash), dest);
    return dest;
  }

  /** `copy` (executables, uncached outputs): never link the workspace file into the cache. */
  private saveFile(abs: string, hash: string, copy = false): void {
    const dest = this.objectPath(hash);
    if (existsSync(dest)) return;
    this.mkdir(dirname(dest));
    const tmp = `${dest}.tmp-${process.pid}`;
    // In hardlink mode the workspace file becomes the object (and read-only with it); an executable keeps its own copy
    // so that its mode is not taken away.
    if (this.linkMode === 'hardlink' && !copy) {
      try {
        linkSync(abs, tmp);
        chmodSync(tmp, 0o444);
        renameSync(tmp, dest);
        return;
      } catch (err) {
        rmSync(tmp, { force: true });
        if (!UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    }
    // FICLONE makes a copy-on-write clone where the filesystem supports it and a plain copy elsewhere.
    copyFileSync(abs, tmp, constants.COPYFILE_FICLONE);
    chmodSync(tmp, 0o444);
    renameSync(tmp, dest);
  }

  private saveBytes(data: Buffer, hash: string): void {
    const dest = this.objectPath(hash);
    if (existsSync(dest)) return;
    this.mkdir(dirname(dest));
    const tmp = `${dest}.tmp-${process.pid}`;
    writeFileSync(tmp, data, { mode: 0o444 });
    renameSync(tmp, dest);
  }

  /** Places an object at `target` (which must not exist) with the first link mode that works. */
  private place(hash: string, target: string, exec: boolean, made = new Set<string>(), copy = false, size = Infinity): void {
    const object = this.objectPath(hash);
    this.mkdir(dirname(target), made);
    for (;;) {
      const mode = this.linkMode;
      try {
        if (mode === 'copy' || exec || copy) {
          // An executable is always a private copy: a link would share (and lose) the object's read-only mode.
          if (size < SMALL_FILE) {
            // Fewer system calls than copy-then-chmod, which matters for trees of many small files.
            writeFileSync(target, readFileSync(object), { mode: exec ? 0o755 : 0o644, flag: 'wx' });
          } else {
            copyFileSync(object, target, mode === 'copy' ? 0 : constants.COPYFILE_FICLONE);
            chmodSync(target, exec ? 0o755 : 0o644);
          }
        } else if (mode === 'reflink') {
          copyFileSync(object, target, constants.COPYFILE_FICLONE_FORCE);
          chmodSync(target, 0o644);
        } else if (mode === 'hardlink') linkSync(object, target);
        else symlinkSync(relative(dirname(target), object), target);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (mode === 'copy' || exec || copy || !UNSUPPORTED.has(code)) throw err;
        if (this.modes.length === 1) {
          throw new GitmlError(
            'E_LINK_UNSUPPORTED',
            `cache.link: ${mode} does not work on this filesystem (${code}); add a fallback in .ml/config.yaml, e.g. \`link: [${mode}, copy]\``,
            {
              data: { mode, code },
              cause: err,
            },
          );
        }
        rmSync(target, { force: true });
        this.modes.shift();
      }
    }
  }

  private isLinked(abs: string, hash: string): boolean {
    const object = this.objectPath(hash);
    if (this.linkMode === 'symlink') {
      try {
        return join(dirname(abs), readlinkSync(abs)) === object;
      } catch {
        return false;
      }
    }
    if (this.linkMode === 'hardlink')
      return statSync(abs, { throwIfNoEntry: false })?.ino === statSync(object, { throwIfNoEntry: false })?.ino;
    return true;
  }

  private unprotectFile(abs: string): void {
    const st = lstatSync(abs);
    if (!st.isSymbolicLink() && st.nlink === 1 && st.mode & 0o200) return;
    const tmp = `${abs}.gitml-unprotect-${process.pid}`;
    copyFileSync(abs, tmp);
    chmodSync(tmp, statSync(abs).mode & 0o111 ? 0o755 : 0o644);
    renameSync(tmp, abs);
  }

  private mkdir(dir: string, made: Set<string> = this.shards): void {
    if (made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    made.add(dir);
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
