import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cache } from '../cache/cache.js';
import type { RunCache, RunRecord } from '../cache/run-cache.js';
import { hashBytes, loadBlake3, type Blake3 } from '../hash/blake3.js';
import type { Manifest } from '../hash/hash-path.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import { objectKey, type RemoteStore } from './remote.js';
import { readRemoteRun } from './transfer.js';

/**
 * Read-only answers to "could this be had without running anything?": whether objects are in the local cache or on
 * the remote, and what directory manifests and run-cache entries hold, read from the local cache first and from the
 * remote (downloaded to a temporary directory, verified, never written to the cache) otherwise. Answers are memoized.
 */
export class StoredLookup {
  private readonly onRemote = new Map<string, Promise<boolean>>();
  private readonly manifests = new Map<string, Promise<Manifest | undefined>>();
  private readonly records = new Map<string, Promise<RunRecord | undefined>>();
  private downloads = 0;

  private constructor(
    private readonly cache: Cache,
    private readonly runCache: RunCache,
    private readonly store: RemoteStore | undefined,
    private readonly tmp: string | undefined,
    private readonly blake3: () => Blake3,
  ) {}

  /** Without `store`, only the local cache is consulted. Call `close` to remove the temporary directory. */
  static async open(cache: Cache, runCache: RunCache, store?: RemoteStore): Promise<StoredLookup> {
    const tmp = store ? await mkdtemp(join(tmpdir(), 'gitml-lookup-')) : undefined;
    return new StoredLookup(cache, runCache, store, tmp, await loadBlake3());
  }

  /** Whether every object behind `entry` (a directory: its manifest and all its files) is local or on the remote. */
  async stored(entry: Pick<LockEntry, 'hash' | 'nfiles'>): Promise<boolean> {
    if (this.cache.complete(entry)) return true;
    if (entry.nfiles === undefined) return this.has(entry.hash);
    const manifest = await this.manifest(entry.hash);
    if (!manifest) return false;
    const remoteOnly = [...new Set(manifest.files.map((f) => f.hash).filter((h) => !this.cache.has(h)))];
    return this.hasAll(remoteOnly);
  }

  /** A directory's manifest from the local cache, else from the remote (checked against its hash). */
  manifest(hash: string): Promise<Manifest | undefined> {
    const local = this.cache.readManifest(hash);
    if (local) return Promise.resolve(local);
    let found = this.manifests.get(hash);
    if (!found) {
      found = this.remoteManifest(hash);
      this.manifests.set(hash, found);
    }
    return found;
  }

  /**
   * The run-cache record of a stage key: the local entry when all its objects are in the local cache, else the
   * remote's entry (whose objects the caller checks with `stored`).
   */
  runRecord(key: string): Promise<RunRecord | undefined> {
    const local = this.runCache.lookup(key);
    if (local) return Promise.resolve(local);
    let found = this.records.get(key);
    if (!found) {
      const { store, tmp } = this;
      found = store && tmp ? readRemoteRun(store, key, join(tmp, `run-${++this.downloads}.json`)) : Promise.resolve(undefined);
      this.records.set(key, found);
    }
    return found;
  }

  async close(): Promise<void> {
    if (this.tmp) await rm(this.tmp, { recursive: true, force: true });
  }

  private has(hash: string): Promise<boolean> {
    if (!this.store) return Promise.resolve(false);
    let found = this.onRemote.get(hash);
    if (!found) {
      found = this.store.has([objectKey(hash)]).then((there) => there.has(objectKey(hash)));
      this.onRemote.set(hash, found);
    }
    return found;
  }

  /** One request for all the hashes not asked about before. */
  private async hasAll(hashes: string[]): Promise<boolean> {
    const store = this.store;
    if (!hashes.length) return true;
    if (!store) return false;
    const fresh = hashes.filter((h) => !this.onRemote.has(h));
    if (fresh.length) {
      const asked = store.has(fresh.map(objectKey));
      for (const h of fresh) this.onRemote.set(h, asked.then((there) => there.has(objectKey(h))));
    }
    const answers = await Promise.all(hashes.map((h) => this.onRemote.get(h)!));
    return answers.every(Boolean);
  }

  private async remoteManifest(hash: string): Promise<Manifest | undefined> {
    const { store, tmp } = this;
    if (!store || !tmp) return undefined;
    const file = join(tmp, `manifest-${++this.downloads}`);
    if (!(await store.get(objectKey(hash), file))) return undefined;
    const bytes = await readFile(file);
    await rm(file, { force: true });
    // A corrupt manifest cannot say what the directory holds: as good as absent.
    if (hashBytes(bytes, this.blake3) !== hash) return undefined;
    try {
      const manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
      return Array.isArray(manifest?.files) ? manifest : undefined;
    } catch {
      return undefined;
    }
  }
}
