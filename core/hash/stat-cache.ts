import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import type { Blake3 } from './blake3.js';

/** What a file hashed to when its stat fields were `key`. */
export interface FileRecord {
  key: string;
  hash: string;
  size: number;
  exec: boolean;
}

/** A directory's hash when the stat fields of all its files together hashed to `sig`. */
export interface DirRecord {
  sig: string;
  hash: string;
  nfiles: number;
  size: number;
}

type StoredFile = [key: string, hash: string, size: number, exec: 0 | 1];
type StoredDir = [sig: string, hash: string, nfiles: number, size: number];

interface IndexFile {
  version: 1;
  files: Record<string, StoredFile>;
  dirs: Record<string, StoredDir>;
}

interface DirFile {
  version: 1;
  path: string;
  files: Record<string, StoredFile>;
}

export const STAT_DIR = '.ml/state/stat';
const VERSION = 1;

/**
 * The stat cache: path, inode, size, mtime and ctime (ns) -> content hash, so an unchanged file is never read again.
 * Top-level paths and directory summaries live in one index; the per-file records of each directory in a file of
 * their own, read only when that directory changed. Every file carries a BLAKE3 checksum of its body: a damaged,
 * truncated or foreign file is discarded and rebuilt by hashing, never trusted.
 */
export class StatCache {
  private index: IndexFile;
  private indexDirty = false;
  private readonly dirFiles = new Map<string, { files: Record<string, StoredFile>; dirty: boolean }>();
  /** Set when a state file was found damaged and discarded. */
  readonly discarded: string[] = [];

  private constructor(
    private readonly folder: string | undefined,
    private readonly blake3: () => Blake3,
  ) {
    this.index = this.read<IndexFile>('index.json', (v) => typeof v.files === 'object' && typeof v.dirs === 'object') ?? {
      version: VERSION,
      files: {},
      dirs: {},
    };
  }

  /** A cache persisted under `<root>/.ml/state/stat`, or only in memory when `root` is undefined. */
  static open(root: string | undefined, blake3: () => Blake3): StatCache {
    return new StatCache(root === undefined ? undefined : join(root, STAT_DIR), blake3);
  }

  file(path: string): FileRecord | undefined {
    const s = this.index.files[path];
    return s && { key: s[0], hash: s[1], size: s[2], exec: s[3] === 1 };
  }

  setFile(path: string, rec: FileRecord): void {
    this.index.files[path] = [rec.key, rec.hash, rec.size, rec.exec ? 1 : 0];
    this.indexDirty = true;
  }

  dir(path: string): DirRecord | undefined {
    const s = this.index.dirs[path];
    return s && { sig: s[0], hash: s[1], nfiles: s[2], size: s[3] };
  }

  /** Per-file records of a directory (relative path -> record). */
  dirEntries(path: string): Map<string, FileRecord> {
    const loaded = this.loadDir(path);
    const out = new Map<string, FileRecord>();
    for (const [rel, s] of Object.entries(loaded.files)) out.set(rel, { key: s[0], hash: s[1], size: s[2], exec: s[3] === 1 });
    return out;
  }

  /** Replaces a directory's records; `summary` is left out when some file was too fresh to trust. */
  setDir(path: string, files: Map<string, FileRecord>, summary: DirRecord | undefined): void {
    const stored: Record<string, StoredFile> = {};
    for (const [rel, r] of files) stored[rel] = [r.key, r.hash, r.size, r.exec ? 1 : 0];
    this.dirFiles.set(path, { files: stored, dirty: true });
    if (summary) this.index.dirs[path] = [summary.sig, summary.hash, summary.nfiles, summary.size];
    else delete this.index.dirs[path];
    this.indexDirty = true;
  }

  /** Writes what changed, each file atomically. A failure to write only costs hashing again next time. */
  save(): void {
    if (!this.folder) return;
    mkdirSync(this.folder, { recursive: true });
    for (const [path, d] of this.dirFiles) {
      if (!d.dirty) continue;
      this.write(dirFileName(path, this.blake3), { version: VERSION, path, files: d.files } satisfies DirFile);
      d.dirty = false;
    }
    if (this.indexDirty) this.write('index.json', this.index);
    this.indexDirty = false;
  }

  private loadDir(path: string): { files: Record<string, StoredFile>; dirty: boolean } {
    let d = this.dirFiles.get(path);
    if (!d) {
      const stored = this.read<DirFile>(dirFileName(path, this.blake3), (v) => v.path === path && typeof v.files === 'object');
      d = { files: stored?.files ?? {}, dirty: false };
      this.dirFiles.set(path, d);
    }
    return d;
  }

  private checksum(body: string): string {
    const h = this.blake3();
    h.update(Buffer.from(body));
    return h.digest();
  }

  private write(name: string, value: unknown): void {
    const body = JSON.stringify(value);
    writeFileAtomic(join(this.folder!, name), `${this.checksum(body)}\n${body}`);
  }

  private read<T extends { version: number }>(name: string, valid: (v: T) => boolean): T | undefined {
    if (!this.folder) return undefined;
    let text: string;
    try {
      text = readFileSync(join(this.folder, name), 'utf8');
    } catch {
      return undefined;
    }
    const nl = text.indexOf('\n');
    const body = text.slice(nl + 1);
    try {
      if (nl === 64 && text.slice(0, 64) === this.checksum(body)) {
        const v = JSON.parse(body) as T;
        if (v.version === VERSION && valid(v)) return v;
      }
    } catch {
      // fall through: damaged
    }
    this.discarded.push(join(STAT_DIR, name));
    return undefined;
  }
}

function dirFileName(path: string, blake3: () => Blake3): string {
  const h = blake3();
  h.update(Buffer.from(path));
  return `dir-${h.digest().slice(0, 32)}.json`;
}
