import { constants, existsSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ResolvedRemote } from '../config.js';
import { RemoteUnreachableError } from './errors.js';
import type { RemoteStore } from './remote.js';

let uploads = 0;

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
        if (e.isDirectory()) await walk(`${key}/`);
        else if (!e.name.includes('.tmp-')) out.push(key);
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
    const tmp = `${dest}.tmp-${process.pid}-${++uploads}`;
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

  close(): void {}
}
