import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DEFAULT_LINK_MODES, type LinkMode } from '../config.js';
import { CacheMissError, CorruptObjectError, GitmlError, UnsafePathError } from '../errors.js';
import type { LockEntry } from '../generated/lockfile.js';
import { HASH_ALGORITHM } from '../hash/blake3.js';
import { isDirInfo, serializeManifest, type HashInfo, type Manifest, type PathHasher } from '../hash/hash-path.js';
import { statKey } from '../hash/walk.js';
import { isStaleTemp, listFiles, renameIntoPlace, tempPathFor } from '../util/fs.js';
import { unsafeFileReason, unsafePathReason } from '../util/paths.js';
import type { Progress } from '../util/progress.js';
import { copyInParallel, worthPlacing } from './place-pool.js';
import { readSmall, SMALL_FILE, writeNew, type CopyTask } from './place.js';

export const CACHE_DIR = '.ml/cache';
export const OBJECTS_DIR = '.ml/cache/blake3';
export const QUARANTINE_DIR = '.ml/cache/quarantine';

export type RestoreResult = 'unchanged' | 'restored';

/** Chunk size of the streamed copy of large objects. */
const COPY_CHUNK = 4 << 20;

/** An object found corrupt: the output path it was to be installed at, what it hashed to, where it was moved. */
export interface CorruptObject {
  path: string;
  hash: string;
  actual: string;
  quarantined: string;
}

/** Errors that mean "this link mode does not work here", so the next mode is tried. */
const UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EPERM', 'EINVAL', 'EMLINK', 'ENOSYS']);

/**
 * The content-addressed object store under `.ml/cache`: one read-only file per hash, sharded by the first two hex
 * digits. A directory's manifest is an object too. Objects are written through a temporary file and a rename, so
 * an interrupted save never leaves a partial object under a valid name.
 *
 * Outputs are placed in the workspace with the first link mode that works: reflink (copy-on-write), hardlink or
 * symlink (the workspace file is the read-only object itself, so it cannot be edited in place), or copy.
 *
 * Every object is checked against its hash on its way into the workspace, and a directory's manifest before any of
 * its files are placed. A copy hashes the bytes it copies (small objects are read once into memory, hashed, and
 * written only if they match; large ones are streamed to a temporary file that gets its name only if they match).
 * With reflink, hardlink or symlink there are no bytes to copy, so the object is hashed before it is linked: one read
 * that a link would not otherwise need. An object that does not match is moved to `.ml/cache/quarantine/`, named
 * with its hash and the output path, and is never installed.
 */
export class Cache {
  readonly dir: string;
  private readonly modes: LinkMode[];
  /** Shard directories known to exist (objects are never removed while a command that writes them runs). */
  private readonly shards = new Set<string>();
  /** Objects found corrupt (and quarantined) by this instance, so a second output using one is told the same. */
  private readonly corrupt = new Map<string, CorruptObject>();
  private readonly smallBuffer = Buffer.allocUnsafe(SMALL_FILE + 1);

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
   *
   * Throws `CorruptObjectError` when an object (or a directory's manifest) does not match its hash: it is quarantined
   * and not installed, a file already there stays as it was, and the other files of a directory are still placed.
   * `stage` names the stage that makes the output, for the hint on how to recover.
   */
  async restore(
    path: string,
    entry: LockEntry,
    hasher: PathHasher,
    opts: { relink?: boolean; copy?: boolean; progress?: Progress; stage?: string } = {},
  ): Promise<RestoreResult> {
    const unsafe = unsafePathReason(path);
    if (unsafe) throw new UnsafePathError('ml.lock.json', path, unsafe);
    const abs = join(this.root, path);
    const relink = opts.relink === true && (this.linkMode === 'hardlink' || this.linkMode === 'symlink');
    const current = hasher.hash(path);
    // What already matches needs nothing from the cache, even if the cache was cleared.
    if (current?.hash === entry.hash && !relink) return 'unchanged';
    const recover = recoverHint(opts.stage);

    if (entry.nfiles === undefined) {
      if (!this.available(entry.hash)) throw new CacheMissError(path, entry.hash);
      if (current?.hash === entry.hash && this.isLinked(abs, entry.hash)) return 'unchanged';
      let key: string;
      try {
        key = this.place(entry.hash, abs, { path, hasher, copy: opts.copy, size: entry.size, replace: true });
      } catch (err) {
        if (!(err instanceof CorruptFound)) throw err;
        hasher.forget(path);
        throw new CorruptObjectError([err.object], recover);
      }
      hasher.adopt(path, entry.hash, new Map([['', key]]));
      return 'restored';
    }

    const manifest = this.verifiedManifest(entry.hash, path, hasher, recover);
    if (!manifest) throw new CacheMissError(path, entry.hash);
    const present = this.presentAmong(manifest.files.map((f) => f.hash));
    const missing = manifest.files.find((f) => !present(f.hash));
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
    const corrupt: CorruptObject[] = [];
    opts.progress?.start(`checking out ${path}`, manifest.files.length);
    const todo = manifest.files.filter((f) => {
      const same = have.get(f.path) === f.hash && (!relink || this.isLinked(join(abs, f.path), f.hash));
      if (same) opts.progress?.tick(1);
      return !same;
    });
    // Many small private copies are made on several threads (a link mode not yet tried is tried here first).
    const spread = worthPlacing(todo.length);
    const parallel: { f: (typeof todo)[number]; task: CopyTask }[] = [];
    for (const f of todo) {
      const target = join(abs, f.path);
      const copies = this.linkMode === 'copy' || f.exec === true || opts.copy === true;
      if (spread && copies && f.size < SMALL_FILE && !this.corrupt.has(f.hash)) {
        parallel.push({ f, task: { object: this.objectPath(f.hash), target, hash: f.hash, size: f.size, exec: f.exec === true, replace: have.has(f.path) } });
        continue;
      }
      try {
        const key = this.place(f.hash, target, { path: `${path}/${f.path}`, hasher, exec: f.exec === true, made, copy: opts.copy, size: f.size, replace: have.has(f.path) });
        written.set(f.path, key);
        changed = true;
      } catch (err) {
        // The rest of the directory is still placed; the output as a whole is reported corrupt below.
        if (!(err instanceof CorruptFound)) throw err;
        corrupt.push(err.object);
      }
      opts.progress?.tick(1);
    }
    if (parallel.length) {
      const results = await copyInParallel(
        parallel.map((p) => p.task),
        (n) => opts.progress?.tick(n),
      );
      let failure: Error | undefined;
      results.forEach((r, i) => {
        const { f } = parallel[i]!;
        if ('key' in r) {
          written.set(f.path, r.key);
          changed = true;
        } else if ('actual' in r) {
          const seen = this.corrupt.get(f.hash);
          corrupt.push(seen ? { ...seen, path: `${path}/${f.path}` } : this.found(f.hash, `${path}/${f.path}`, r.actual));
        } else failure ??= Object.assign(new Error(`${path}/${f.path}: ${r.error}`), { code: r.code });
      });
      if (failure) throw failure;
    }
    opts.progress?.done();
    mkdirSync(abs, { recursive: true });
    if (corrupt.length) {
      hasher.forget(path);
      throw new CorruptObjectError(corrupt, recover);
    }
    if (changed) hasher.adopt(path, entry.hash, written, manifest);
    return changed ? 'restored' : 'unchanged';
  }

  /**
   * A directory's manifest, checked: its bytes must hash to its name (else it is quarantined and the output reported
   * corrupt), and every file path in it must stay inside the output and avoid reserved names. `undefined` on a miss.
   */
  /**
   * A directory output's manifest, checked against its hash and for unsafe paths, or `undefined` when it is not in the
   * cache. Throws as `restore` does (a corrupt manifest is quarantined): for checks made before anything is written.
   */
  checkedManifest(hash: string, path: string, hasher: PathHasher, stage?: string): Manifest | undefined {
    return this.verifiedManifest(hash, path, hasher, recoverHint(stage));
  }

  private verifiedManifest(hash: string, path: string, hasher: PathHasher, recover: string): Manifest | undefined {
    const seen = this.corrupt.get(hash);
    if (seen) throw new CorruptObjectError([{ ...seen, path }], recover);
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.objectPath(hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const actual = hasher.hashBytes(bytes);
    if (actual !== hash) throw new CorruptObjectError([this.found(hash, path, actual)], recover);
    const where = `manifest ${hash} of \`${path}\``;
    let manifest: Partial<Manifest> | null = null;
    try {
      manifest = JSON.parse(bytes.toString('utf8')) as Partial<Manifest> | null;
    } catch {
      // reported below, as any other manifest that lists no files
    }
    const files = manifest?.files;
    if (!Array.isArray(files) || !files.every((f) => typeof f?.path === 'string' && typeof f.hash === 'string' && typeof f.size === 'number'))
      throw new UnsafePathError(where, path, 'the manifest does not list files as {path, hash, size}');
    for (const f of files) {
      const reason = unsafeFileReason(path, f.path);
      if (reason) throw new UnsafePathError(where, `${path}/${f.path}`, reason);
    }
    return { files };
  }

  /**
   * A test for which of `hashes` are available: for many, one directory listing per shard instead of one `stat` per
   * object.
   */
  private presentAmong(hashes: string[]): (hash: string) => boolean {
    if (hashes.length < 1024) return (h) => this.available(h);
    const listed = new Set<string>();
    for (const shard of new Set(hashes.map((h) => dirname(this.objectPath(h))))) {
      let names: string[];
      try {
        names = readdirSync(shard);
      } catch {
        continue;
      }
      for (const n of names) listed.add(join(shard, n));
    }
    return (h) => this.corrupt.has(h) || listed.has(this.objectPath(h));
  }

  /** In the cache, or found corrupt earlier by this instance (so the corruption is what gets reported). */
  private available(hash: string): boolean {
    return this.corrupt.has(hash) || this.has(hash);
  }

  /** Quarantines an object found corrupt while installing it at `path`, and remembers it. */
  private found(hash: string, path: string, actual: string): CorruptObject {
    const object = { path, hash, actual, quarantined: relative(this.root, this.quarantine(hash, path)) };
    this.corrupt.set(hash, object);
    return object;
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

  /**
   * Deletes partials whose writer is gone or that are older than an hour (a concurrent `exp run` may be writing the
   * others); returns how many.
   */
  removeStalePartials(): number {
    let removed = 0;
    for (const abs of this.listPartials()) {
      const pid = Number(/\.tmp-(\d+)/.exec(abs)?.[1]);
      const st = statSync(abs, { throwIfNoEntry: false });
      if (!st || !isStaleTemp(pid, st.mtimeMs)) continue;
      rmSync(abs, { force: true });
      removed++;
    }
    return removed;
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

  /**
   * Moves a damaged object aside (so it is neither used nor lost) and returns where it went. With `path`, the output
   * it was to be installed at is part of the name, so a user can tell what it was.
   */
  quarantine(hash: string, path?: string): string {
    const name = hash.replace(':', '-') + (path === undefined ? '' : `--${path.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120)}`);
    const dest = join(this.root, QUARANTINE_DIR, name);
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

  /**
   * Places an object at `target` with the first link mode that works, after checking it against its hash (see the
   * class comment). `replace`: something may be at `target`; it is removed only once the object proved good. Throws
   * `CorruptFound` (the object quarantined) when it does not match. Returns the stat key of what it wrote.
   */
  private place(
    hash: string,
    target: string,
    o: { path: string; hasher: PathHasher; exec?: boolean; made?: Set<string>; copy?: boolean; size?: number; replace?: boolean },
  ): string {
    const seen = this.corrupt.get(hash);
    if (seen) throw new CorruptFound({ ...seen, path: o.path });
    const object = this.objectPath(hash);
    const exec = o.exec === true;
    const copy = o.copy === true;
    this.mkdir(dirname(target), o.made);
    let checked = false;
    const check = (actual: string) => {
      if (actual !== hash) throw new CorruptFound(this.found(hash, o.path, actual));
      checked = true;
    };
    const clear = () => {
      if (o.replace) rmSync(target, { recursive: true, force: true });
    };
    for (;;) {
      const mode = this.linkMode;
      try {
        if (mode === 'copy' || exec || copy) {
          // An executable is always a private copy: a link would share (and lose) the object's read-only mode.
          if ((o.size ?? Infinity) < SMALL_FILE) {
            // One read: the bytes hashed are the bytes written. As few system calls as `cp` makes (open, read,
            // close; open, write, fstat, close), which is what counts for trees of many small files.
            const data = readSmall(object, o.size!, this.smallBuffer);
            if (!checked) check(data ? o.hasher.hashBytes(data) : o.hasher.hashFile(object));
            clear();
            return writeNew(target, data!, exec ? 0o755 : 0o644);
          } else if (mode === 'copy') {
            return this.copyHashed(object, target, hash, o.path, o.hasher, exec, o.replace === true);
          } else {
            // Under reflink a clone shares the blocks, so hashing first is the only read.
            if (!checked) check(o.hasher.hashFile(object));
            clear();
            copyFileSync(object, target, constants.COPYFILE_FICLONE);
            chmodSync(target, exec ? 0o755 : 0o644);
          }
        } else {
          if (!checked) check(o.hasher.hashFile(object));
          clear();
          if (mode === 'reflink') {
            copyFileSync(object, target, constants.COPYFILE_FICLONE_FORCE);
            chmodSync(target, 0o644);
          } else if (mode === 'hardlink') linkSync(object, target);
          else symlinkSync(relative(dirname(target), object), target);
        }
        return statKey(statSync(target, { bigint: true }));
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

  /**
   * Copies a large object in chunks, hashing each chunk on its way, into a temporary file that takes `target`'s name
   * only when the whole matched. The temporary file is under `.ml/tmp/write`, not beside `target`: a copy stopped by
   * Ctrl-C or SIGKILL must not leave gigabytes among the user's files, and the next command removes it there.
   */
  private copyHashed(object: string, target: string, hash: string, path: string, hasher: PathHasher, exec: boolean, replace: boolean): string {
    const tmp = tempPathFor(target);
    const h = hasher.incremental();
    const buffer = Buffer.allocUnsafe(COPY_CHUNK);
    const src = openSync(object, 'r');
    let ok = false;
    try {
      const dst = openSync(tmp, 'wx', exec ? 0o755 : 0o644);
      try {
        for (;;) {
          const n = readSync(src, buffer, 0, buffer.length, null);
          if (n === 0) break;
          const chunk = buffer.subarray(0, n);
          h.update(chunk);
          for (let off = 0; off < n; ) off += writeSync(dst, chunk, off, n - off);
        }
      } finally {
        closeSync(dst);
      }
      const actual = `${HASH_ALGORITHM}:${h.digest()}`;
      if (actual !== hash) throw new CorruptFound(this.found(hash, path, actual));
      if (replace) rmSync(target, { recursive: true, force: true });
      renameIntoPlace(tmp, target);
      ok = true;
      return statKey(statSync(target, { bigint: true }));
    } finally {
      closeSync(src);
      if (!ok) rmSync(tmp, { force: true });
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

/** Internal: one object found corrupt while placing it; `restore` gathers these into a `CorruptObjectError`. */
class CorruptFound extends Error {
  constructor(readonly object: CorruptObject) {
    super(`${object.path}: object ${object.hash} is corrupt`);
  }
}

/** What to do about a corrupt object of an output made by `stage`. */
function recoverHint(stage: string | undefined): string {
  return `Run \`gitml pull\` to fetch a good copy from the remote, or \`gitml repro -f ${stage ?? '<stage>'}\` to rebuild it.`;
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
