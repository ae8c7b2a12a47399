import { statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { Progress } from '../util/progress.js';
import { hashBytes, hashFileAsync, hashFileSync, loadBlake3, PIPELINE_MIN_BYTES, type Blake3 } from './blake3.js';
import { hashInPool, poolAvailable, sigTreeParallel, worthPool } from './hash-pool.js';
import { StatCache, type DirRecord, type FileRecord } from './stat-cache.js';
import { isRacy, nowNs, RACY_WINDOW_MS, sigFromWalk, sigTree, statKey, walkTree, type TreeSig, type WalkEntry } from './walk.js';

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

/** A directory's hash; the manifest behind it is read only when asked for (saving to the cache needs it). */
export class DirHash implements HashInfo {
  private loaded: Manifest | undefined;

  constructor(
    readonly hash: string,
    readonly size: number,
    readonly nfiles: number,
    private readonly load: () => Manifest,
  ) {}

  get manifest(): Manifest {
    return (this.loaded ??= this.load());
  }
}

const CHUNK = 4 << 20;
/** Blocks this thread (restores are synchronous; this runs once per restored output). */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Directories at least this large are fingerprinted on all cores. */
const PARALLEL_SIG_FILES = 8192;

type Inspection =
  | { kind: 'missing'; path: string }
  | { kind: 'file'; path: string; entry: WalkEntry; known?: FileRecord }
  | { kind: 'dir'; path: string; entries: WalkEntry[]; sig: string; done?: DirHash; known: Map<string, FileRecord> };

/**
 * Content hashing of workspace paths through the stat cache: a file whose inode, size, mtime and ctime are as
 * recorded is not read again. Files that must be read are spread over worker threads when there are many. Results
 * are memoized per path until `forget` is called for it (after a stage rewrites it).
 */
export class PathHasher {
  private readonly memo = new Map<string, HashInfo | null>();
  private readonly buffer = Buffer.allocUnsafe(CHUNK);

  private constructor(
    readonly root: string,
    private readonly blake3: () => Blake3,
    readonly stats: StatCache,
  ) {}

  /** With `persist: false` the stat cache lives only in memory (nothing under `.ml/state` is read or written). */
  static async create(root: string, opts: { persist?: boolean } = {}): Promise<PathHasher> {
    const blake3 = await loadBlake3();
    return new PathHasher(root, blake3, StatCache.open(opts.persist === false ? undefined : root, blake3));
  }

  /** Hash of a workspace-relative path, or `null` when it does not exist. */
  hash(path: string): HashInfo | null {
    if (this.memo.has(path)) return this.memo.get(path)!;
    const ins = this.inspect(path);
    const todo = this.misses([ins]);
    this.finish(ins, new Map(todo.map((e) => [e.abs, this.hashFile(e.abs)])));
    return this.memo.get(path)!;
  }

  /** Hashes many paths at once, reading what the stat cache cannot vouch for on all cores. */
  async hashAll(paths: Iterable<string>, progress?: Progress): Promise<void> {
    const inspections: Inspection[] = [];
    for (const p of new Set(paths)) {
      if (this.memo.has(p)) continue;
      // A large directory seen before is checked by signature, with its stat calls spread over the cores.
      const summary = this.stats.dir(p);
      const sig =
        summary && summary.nfiles >= PARALLEL_SIG_FILES && poolAvailable() && isDir(join(this.root, p))
          ? await sigTreeParallel(join(this.root, p), this.blake3)
          : undefined;
      inspections.push(this.inspect(p, sig));
    }
    const todo = this.misses(inspections);
    const hashes = new Map<string, string>();
    if (todo.length) {
      const bytes = todo.reduce((n, e) => n + e.size, 0);
      progress?.start(`hashing ${todo.length} file${todo.length === 1 ? '' : 's'}`, todo.length);
      if (worthPool(todo.length, bytes)) {
        const result = await hashInPool(todo, (n) => progress?.tick(n));
        todo.forEach((e, i) => hashes.set(e.abs, result[i]!));
      } else {
        for (const e of todo) {
          hashes.set(e.abs, e.size >= PIPELINE_MIN_BYTES ? await hashFileAsync(e.abs, this.blake3) : this.hashFile(e.abs));
          progress?.tick(1);
        }
      }
      progress?.done();
    }
    for (const ins of inspections) this.finish(ins, hashes);
  }

  /** Drops memoized hashes at or under `path` (and of directories holding it). */
  forget(path: string): void {
    for (const key of this.memo.keys()) {
      if (key === path || key.startsWith(`${path}/`) || path.startsWith(`${key}/`)) this.memo.delete(key);
    }
  }

  /**
   * Records outputs just written from content of known hash (a checkout), so that the next status does not read them
   * again. `written` holds the stat key each file had right after it was written; after waiting out the racy window a
   * file is recorded only if its stat is still exactly that, so an edit by anyone in between is never masked. Files
   * not written now keep the records they had.
   */
  adopt(path: string, hash: string, written: Map<string, string>, manifest?: Manifest): void {
    this.forget(path);
    sleepMs(RACY_WINDOW_MS + 10);
    const abs = join(this.root, path);
    if (!manifest) {
      const st = statIfExists(abs);
      if (!st || !st.isFile() || statKey(st) !== written.get('') || isRacy(st, nowNs())) return;
      this.stats.setFile(path, { key: statKey(st), hash, size: Number(st.size), exec: (st.mode & 0o111n) !== 0n });
      return;
    }
    const dirs: string[] = [];
    const entries = walkTree(abs, dirs);
    const wanted = new Map(manifest.files.map((f) => [f.path, f]));
    const before = this.stats.dirEntries(path);
    const records = new Map<string, FileRecord>();
    for (const e of entries) {
      const f = wanted.get(e.rel);
      if (!f || e.racy) continue;
      const trusted = written.has(e.rel) ? written.get(e.rel) === e.key : before.get(e.rel)?.key === e.key;
      if (trusted) records.set(e.rel, { key: e.key, hash: f.hash, size: e.size, exec: e.exec });
    }
    const complete = entries.length === wanted.size && records.size === entries.length;
    const summary = complete ? { sig: sigFromWalk(entries, dirs, this.blake3).sig, hash, nfiles: entries.length, size: entries.reduce((n, e) => n + e.size, 0) } : undefined;
    this.stats.setDir(path, records, summary);
  }

  /** Persists the stat cache. */
  save(): void {
    this.stats.save();
  }

  hashFile(abs: string): string {
    return hashFileSync(abs, this.blake3, this.buffer);
  }

  /** A fresh incremental BLAKE3, for hashing bytes as they are copied. */
  incremental(): Blake3 {
    return this.blake3();
  }

  hashBytes(data: Uint8Array): string {
    return hashBytes(data, this.blake3);
  }

  /** Stats a path (walking it if a directory) and finds what the stat cache already knows. */
  private inspect(path: string, knownSig?: TreeSig): Inspection {
    const abs = join(this.root, path);
    const st = statIfExists(abs);
    if (!st) return { kind: 'missing', path };
    if (!st.isDirectory()) {
      const entry: WalkEntry = {
        rel: path,
        abs,
        key: statKey(st),
        size: Number(st.size),
        exec: (st.mode & 0o111n) !== 0n,
        racy: isRacy(st, nowNs()),
        st,
      };
      const rec = this.stats.file(path);
      return { kind: 'file', path, entry, known: rec?.key === entry.key ? rec : undefined };
    }
    const summary = this.stats.dir(path);
    if (summary) {
      const now = knownSig ?? sigTree(abs, this.blake3);
      if (now.sig === summary.sig && !now.racy) {
        const done = new DirHash(summary.hash, summary.size, summary.nfiles, () => this.manifestFrom(path, summary));
        return { kind: 'dir', path, entries: [], sig: now.sig, done, known: new Map() };
      }
    }
    const dirs: string[] = [];
    const entries = walkTree(abs, dirs);
    const sig = sigFromWalk(entries, dirs, this.blake3).sig;
    const records = this.stats.dirEntries(path);
    const known = new Map<string, FileRecord>();
    for (const e of entries) {
      const rec = records.get(e.rel);
      if (rec && rec.key === e.key) known.set(e.rel, rec);
    }
    return { kind: 'dir', path, entries, sig, known };
  }

  private misses(inspections: Inspection[]): WalkEntry[] {
    const out: WalkEntry[] = [];
    for (const ins of inspections) {
      if (ins.kind === 'file' && !ins.known) out.push(ins.entry);
      if (ins.kind === 'dir' && !ins.done) for (const e of ins.entries) if (!ins.known.has(e.rel)) out.push(e);
    }
    return out;
  }

  /** Completes an inspection with freshly computed hashes (by absolute path), memoizes and records it. */
  private finish(ins: Inspection, hashes: Map<string, string>): void {
    if (ins.kind === 'missing') {
      this.memo.set(ins.path, null);
      return;
    }
    if (ins.kind === 'file') {
      const hash = ins.known?.hash ?? hashes.get(ins.entry.abs)!;
      if (!ins.known && !ins.entry.racy)
        this.stats.setFile(ins.path, { key: ins.entry.key, hash, size: ins.entry.size, exec: ins.entry.exec });
      this.memo.set(ins.path, { hash, size: ins.entry.size });
      return;
    }
    if (ins.done) {
      this.memo.set(ins.path, ins.done);
      return;
    }
    const records = new Map<string, FileRecord>();
    const files: ManifestEntry[] = [];
    let size = 0;
    for (const e of ins.entries) {
      const hash = ins.known.get(e.rel)?.hash ?? hashes.get(e.abs)!;
      if (!e.racy) records.set(e.rel, { key: e.key, hash, size: e.size, exec: e.exec });
      files.push({ path: e.rel, hash, size: e.size, ...(e.exec ? { exec: true as const } : {}) });
      size += e.size;
    }
    const manifest: Manifest = { files };
    const hash = this.hashBytes(Buffer.from(serializeManifest(manifest)));
    const racy = ins.entries.some((e) => e.racy);
    this.stats.setDir(ins.path, records, racy ? undefined : { sig: ins.sig, hash, nfiles: files.length, size });
    this.memo.set(ins.path, new DirHash(hash, size, files.length, () => manifest));
  }

  /** The manifest of a directory whose summary matched, from its per-file records. */
  private manifestFrom(path: string, summary: DirRecord): Manifest {
    const entries = walkTree(join(this.root, path));
    const records = this.stats.dirEntries(path);
    let rebuilt = false;
    const files = entries.map((e) => {
      const rec = records.get(e.rel);
      // The summary matched, so every record is there unless the per-directory file was lost: then hash again and
      // write the records back, so that the loss costs one re-read and not one per run.
      if (rec && rec.key === e.key) return { path: e.rel, hash: rec.hash, size: e.size, ...(e.exec ? { exec: true as const } : {}) };
      rebuilt = true;
      const hash = this.hashFile(e.abs);
      if (!e.racy) records.set(e.rel, { key: e.key, hash, size: e.size, exec: e.exec });
      return { path: e.rel, hash, size: e.size, ...(e.exec ? { exec: true as const } : {}) };
    });
    if (rebuilt) this.stats.setDir(path, records, entries.some((e) => e.racy) ? undefined : summary);
    return { files };
  }
}

/**
 * The bytes a directory hash is taken over. Written by hand rather than through a generic canonical serializer:
 * it runs once per directory of up to hundreds of thousands of files, and its output equals `canonicalJson`
 * (keys in sorted order: exec, hash, path, size).
 */
export function serializeManifest(manifest: Manifest): string {
  const parts = manifest.files.map(
    (f) => `{${f.exec ? '"exec":true,' : ''}"hash":${JSON.stringify(f.hash)},"path":${JSON.stringify(f.path)},"size":${f.size}}`,
  );
  return `{"files":[${parts.join(',')}]}`;
}

function isDir(abs: string): boolean {
  return statIfExists(abs)?.isDirectory() === true;
}

/** Stat, or `undefined` where nothing is (including a path through a file: ENOTDIR). */
function statIfExists(abs: string): BigIntStats | undefined {
  try {
    return statSync(abs, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export function isDirInfo(info: HashInfo): info is DirHash {
  return info instanceof DirHash;
}
