import { constants, existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ResolvedRemote } from '../config.js';
import { RemoteUnreachableError } from './errors.js';
import type { RemoteStore } from './remote.js';

let uploads = 0;

/**
 * Uploads are written under this prefix and renamed into place, so a killed push leaves its partial files in one
 * place, where a later push removes them once they are older than `STALE_UPLOAD_MS`.
 */
export const UPLOADS_PREFIX = 'tmp/';
/** Older than this, an upload's temporary file is abandoned (other machines may be pushing: no pid to check). */
export const STALE_UPLOAD_MS = 60 * 60 * 1000;

/** A remote in a local or mounted directory (an NFS share, a synced folder), laid out like `.ml/cache`. */
export class DirRemote implements RemoteStore {
  readonly name: string;
  readonly url: string;
  /** Absolute path of the remote's root. */
  readonly dir: string;

  constructor(remote: ResolvedRemote, location: { path: string }, root: string) {
    this.name = remote.name;
    this.url = remote.url;
    this.dir = resolve(root, location.path);
  }

  async check(opts: { create?: boolean } = {}): Promise<void> {
    let st = statSync(this.dir, { throwIfNoEntry: false });
    if (!st && opts.create) {
      try {
        await mkdir(this.dir, { recursive: true });
      } catch (err) {
        throw new RemoteUnreachableError(this, `cannot create directory ${this.dir}: ${(err as Error).message}`, err);
      }
      st = statSync(this.dir, { throwIfNoEntry: false });
    }
    if (!st) {
      throw new RemoteUnreachableError(
        this,
        `directory ${this.dir} does not exist; create it, or point the remote elsewhere with \`gitml remote modify ${this.name} url PATH\``,
      );
    }
    if (!st.isDirectory()) throw new RemoteUnreachableError(this, `${this.dir} is not a directory`);
  }

  async has(keys: readonly string[]): Promise<Set<string>> {
    return new Set(keys.filter((k) => existsSync(join(this.dir, k))));
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.dir, rel), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const key = `${rel}${e.name}`;
        if (e.isDirectory()) {
          if (`${key}/` !== UPLOADS_PREFIX) await walk(`${key}/`);
        } else if (!e.name.includes('.tmp-')) out.push(key);
      }
    };
    await walk(prefix);
    return out.sort();
  }

  async get(key: string, dest: string): Promise<boolean> {
    try {
      await copyFile(join(this.dir, key), dest);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async put(key: string, src: string | Uint8Array): Promise<void> {
    const dest = join(this.dir, key);
    await mkdir(dirname(dest), { recursive: true });
    // Written under a temporary name and renamed, so an interrupted push leaves nothing under the object's name.
    const tmpDir = join(this.dir, UPLOADS_PREFIX);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${process.pid}-${++uploads}-${randomBytes(4).toString('hex')}`);
    try {
      if (typeof src === 'string') await copyFile(src, tmp, constants.COPYFILE_FICLONE);
      else await writeFile(tmp, src, { flag: 'wx' });
      await chmod(tmp, 0o444);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Deletes uploads that interrupted pushes (from any machine) left behind over an hour ago; returns how many. */
  async removeStaleUploads(now = Date.now()): Promise<number> {
    const tmpDir = join(this.dir, UPLOADS_PREFIX);
    let names: string[];
    try {
      names = await readdir(tmpDir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const st = await stat(join(tmpDir, name)).catch(() => undefined);
      if (!st || now - st.mtimeMs <= STALE_UPLOAD_MS) continue;
      await rm(join(tmpDir, name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  close(): void {}
}
