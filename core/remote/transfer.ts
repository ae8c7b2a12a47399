import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import pLimit from 'p-limit';
import type { Cache } from '../cache/cache.js';
import type { RunCache, RunRecord } from '../cache/run-cache.js';
import { hashBytes, hashFileAsync, hashFileSync, loadBlake3, PIPELINE_MIN_BYTES, type Blake3 } from '../hash/blake3.js';
import type { Manifest } from '../hash/hash-path.js';
import type { Progress } from '../util/progress.js';
import { RemoteUnreachableError, TransferInterruptedError } from './errors.js';
import { planObjects, type ObjectRef, type Wanted } from './plan.js';
import { objectKey, runKey, RUNS_PREFIX, stageKeyOfRunKey, type RemoteStore } from './remote.js';

export interface EngineOptions {
  cache: Cache;
  store: RemoteStore;
  /** Objects moved at once. @default 8 */
  jobs?: number;
  progress?: Progress;
  /** Aborting stops starting new transfers; those under way are cut short and leave nothing behind. */
  signal?: AbortSignal;
}

/** An object that could not be moved, named with the workspace path it stands for. */
export interface ObjectFailure {
  hash: string;
  path: string;
  message: string;
}

export interface PushReport {
  pushed: number;
  bytes: number;
  /** Objects the remote already held. */
  present: number;
  /** Objects the lockfile references that are neither in the local cache nor on the remote. */
  missingLocal: ObjectRef[];
  failed: ObjectFailure[];
  /** With run-cache entries: how many were pushed and how many the remote already held. */
  runs?: { pushed: number; present: number };
}

export interface FetchReport {
  fetched: number;
  bytes: number;
  /** Objects already in the local cache. */
  present: number;
  failed: ObjectFailure[];
  runs?: { fetched: number; present: number };
}

/** A local run-cache entry: its stage key, record and file. */
export interface RunEntry {
  key: string;
  record: RunRecord;
  file: string;
}

/** Runs tasks a few at a time; stops starting new ones once aborted or once the remote proved unusable. */
class Pool {
  private readonly limit: ReturnType<typeof pLimit>;
  fatal: unknown;

  constructor(
    jobs: number,
    readonly signal: AbortSignal | undefined,
  ) {
    this.limit = pLimit(jobs);
  }

  get stopped(): boolean {
    return this.fatal !== undefined || this.signal?.aborted === true;
  }

  /** Runs `fn` for each item; an error that makes the whole remote unusable stops the rest. */
  async each<T>(items: readonly T[], fn: (item: T) => Promise<void>, onError: (item: T, err: unknown) => void): Promise<void> {
    await Promise.all(
      items.map((item) =>
        this.limit(async () => {
          if (this.stopped) return;
          try {
            await fn(item);
          } catch (err) {
            if (err instanceof RemoteUnreachableError) this.fatal ??= err;
            else if (!this.signal?.aborted) onError(item, err);
          }
        }),
      ),
    );
  }

  /** Throws what stopped the pool, if anything did. */
  rethrow(): void {
    if (this.fatal !== undefined) throw this.fatal;
    if (this.signal?.aborted) throw new TransferInterruptedError(this.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  }
}

/** Objects below this size are read once into memory, hashed, and those same bytes uploaded. */
const UPLOAD_FROM_MEMORY = 8 << 20;

let temps = 0;
/** Cache temporaries contain `.tmp-`, so `gitml gc` clears what a killed process left. */
const tempName = (dest: string) => `${dest}.tmp-${process.pid}-${++temps}`;

/**
 * Uploads the objects behind `wanted` (and with `runs`, those run-cache entries and their objects) that the remote
 * lacks. A directory's files go before its manifest, so a manifest on the remote means its files are there too; a
 * run-cache entry goes after all its objects.
 *
 * Each object is hashed on its way out: a small one is read once and the bytes that hashed right are the bytes
 * uploaded; a large one is hashed, then streamed. One that does not match its name is not uploaded but moved to
 * `.ml/cache/quarantine/` and reported, and so are the directory manifest and run-cache entries that need it.
 */
export async function pushObjects(opts: EngineOptions & { wanted: Wanted[]; runs?: RunEntry[] }): Promise<PushReport> {
  const { cache, store, progress } = opts;
  const pool = new Pool(opts.jobs ?? 8, opts.signal);
  // Entries whose objects are gone locally are as good as absent (the run-cache would not use them either).
  const runs = (opts.runs ?? []).filter((r) => Object.values(r.record.outs).every((e) => e.cache === false || cache.complete(e)));
  const runWanted = runs.flatMap((r) => outsOfRun(r.key, r.record));
  const plan = planObjects([...opts.wanted, ...runWanted], (h) => cache.readManifest(h));
  const all = [...plan.files, ...plan.manifests];
  const onRemote = await store.has(all.map((r) => objectKey(r.hash)));
  const report: PushReport = {
    pushed: 0,
    bytes: 0,
    present: all.filter((r) => onRemote.has(objectKey(r.hash))).length,
    // What neither side has: someone else's push may still bring it, but not this one.
    missingLocal: all.filter((r) => !cache.has(r.hash) && !onRemote.has(objectKey(r.hash))),
    failed: [],
  };

  const blake3 = await loadBlake3();
  const buffer = Buffer.allocUnsafe(1 << 20);
  const upload = async (ref: ObjectRef) => {
    const src = cache.objectPath(ref.hash);
    const size = statSync(src).size;
    let body: string | Buffer = src;
    let actual: string;
    if (size < UPLOAD_FROM_MEMORY) {
      body = await readFile(src);
      actual = hashBytes(body, blake3);
    } else actual = await hashOf(src, size, blake3, buffer);
    if (actual !== ref.hash) {
      const moved = relative(cache.root, cache.quarantine(ref.hash, ref.path));
      report.failed.push({
        ...ref,
        message: `${ref.path}: object ${ref.hash} in the local cache is corrupt (its content hashes to ${actual}); not pushed, moved to ${moved}. Run \`gitml repro -f\` on its stage to rebuild it, or \`gitml pull\` in a workspace with a good copy`,
      });
      progress?.tick(1);
      return;
    }
    await store.put(objectKey(ref.hash), body, opts.signal);
    onRemote.add(objectKey(ref.hash));
    report.pushed++;
    report.bytes += size;
    progress?.tick(1);
  };
  const failed = (ref: ObjectRef, err: unknown) => {
    report.failed.push({ ...ref, message: `${ref.path}: could not push object ${ref.hash}: ${(err as Error).message}` });
    progress?.tick(1);
  };
  const pending = (refs: ObjectRef[]) => refs.filter((r) => cache.has(r.hash) && !onRemote.has(objectKey(r.hash)));
  const files = pending(plan.files);
  progress?.start(`pushing to ${store.name}`, files.length + pending(plan.manifests).length);
  await pool.each(files, upload, failed);
  // Only manifests whose every file made it: a remote manifest promises its files.
  const manifests = pending(plan.manifests).filter((m) => plan.filesOf.get(m.hash)?.every((h) => onRemote.has(objectKey(h))));
  await pool.each(manifests, upload, failed);
  progress?.done();
  pool.rethrow();

  if (opts.runs) {
    const there = await store.has(runs.map((r) => runKey(r.key)));
    const complete = (r: RunEntry) =>
      Object.values(r.record.outs).every(
        (e) => e.cache === false || (onRemote.has(objectKey(e.hash)) && (plan.filesOf.get(e.hash) ?? []).every((h) => onRemote.has(objectKey(h)))),
      );
    const todo = runs.filter((r) => !there.has(runKey(r.key)) && complete(r));
    const moved = { pushed: 0, present: runs.filter((r) => there.has(runKey(r.key))).length };
    report.runs = moved;
    await pool.each(
      todo,
      async (r) => {
        await store.put(runKey(r.key), r.file, opts.signal);
        moved.pushed++;
      },
      (r, err) => report.failed.push({ hash: r.key, path: `run-cache entry ${r.key}`, message: `run-cache entry ${r.key}: could not push: ${(err as Error).message}` }),
    );
    pool.rethrow();
  }
  return report;
}

/**
 * Downloads the objects behind `wanted` that the local cache lacks: directory manifests first, then the files they
 * list. Each object is hashed before it gets its name in the cache; one that does not match is reported and dropped.
 * With `runCache`, run-cache entries the remote has and this cache lacks come too, with their objects; an entry is
 * written only once all its objects are here.
 */
export async function fetchObjects(opts: EngineOptions & { wanted: Wanted[]; runCache?: RunCache }): Promise<FetchReport> {
  const { cache, store, progress } = opts;
  const pool = new Pool(opts.jobs ?? 8, opts.signal);
  const blake3 = await loadBlake3();
  const buffer = Buffer.allocUnsafe(1 << 20);
  const report: FetchReport = { fetched: 0, bytes: 0, present: 0, failed: [] };
  const fetchedNow = new Set<string>();

  /** Downloads one object under a temporary name, verifies it, and only then gives it its name in the cache. */
  const download = async (ref: ObjectRef) => {
    const dest = cache.objectPath(ref.hash);
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = tempName(dest);
    try {
      if (!(await store.get(objectKey(ref.hash), tmp, opts.signal))) {
        report.failed.push({
          ...ref,
          message: `${ref.path}: object ${ref.hash} is not on remote \`${store.name}\`; push it from a workspace that has it`,
        });
        return;
      }
      const size = statSync(tmp).size;
      const actual = await hashOf(tmp, size, blake3, buffer);
      if (actual !== ref.hash) {
        report.failed.push({
          ...ref,
          message: `${ref.path}: object ${ref.hash} on remote \`${store.name}\` is corrupt (its content hashes to ${actual}); it was not kept`,
        });
        return;
      }
      await chmod(tmp, 0o444);
      await rename(tmp, dest);
      fetchedNow.add(ref.hash);
      report.fetched++;
      report.bytes += size;
    } finally {
      await rm(tmp, { force: true });
      progress?.tick(1);
    }
  };
  const failed = (ref: ObjectRef, err: unknown) =>
    report.failed.push({ ...ref, message: `${ref.path}: could not fetch object ${ref.hash}: ${(err as Error).message}` });

  let runs: RunEntry[] = [];
  if (opts.runCache) {
    const rc = opts.runCache;
    const keys = (await store.list(RUNS_PREFIX)).flatMap((k) => {
      const key = stageKeyOfRunKey(k);
      return key ? [key] : [];
    });
    const missing = keys.filter((k) => !existsSync(rc.entryPath(k)));
    report.runs = { fetched: 0, present: keys.length - missing.length };
    await pool.each(
      missing,
      async (key) => {
        const record = await readRemoteRun(store, key, rc.entryPath(key), opts.signal);
        if (record) runs.push({ key, record, file: rc.entryPath(key) });
        else report.failed.push({ hash: key, path: `run-cache entry ${key}`, message: `run-cache entry ${key} on remote \`${store.name}\` is not a valid entry; it was not kept` });
      },
      (key, err) => report.failed.push({ hash: key, path: `run-cache entry ${key}`, message: `run-cache entry ${key}: could not fetch: ${(err as Error).message}` }),
    );
    pool.rethrow();
    runs = runs.sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  const wanted = [...opts.wanted, ...runs.flatMap((r) => outsOfRun(r.key, r.record))];

  const manifests = planObjects(wanted, () => undefined).manifests.filter((r) => !cache.has(r.hash));
  progress?.start(`fetching directory manifests from ${store.name}`, manifests.length);
  await pool.each(manifests, download, failed);
  progress?.done();
  pool.rethrow();

  const plan = planObjects(wanted, (h) => cache.readManifest(h));
  const files = plan.files.filter((r) => !cache.has(r.hash));
  progress?.start(`fetching from ${store.name}`, files.length);
  await pool.each(files, download, failed);
  progress?.done();
  pool.rethrow();
  report.present = [...plan.files, ...plan.manifests].filter((r) => cache.has(r.hash) && !fetchedNow.has(r.hash)).length;

  if (opts.runCache) {
    for (const r of runs) {
      if (!Object.values(r.record.outs).every((e) => e.cache === false || cache.complete(e))) continue;
      opts.runCache.save(r.key, r.record);
      report.runs!.fetched++;
    }
  }
  return report;
}

export interface OutputRemoteStatus {
  path: string;
  stage: string;
  /** Objects behind the output: 1 for a file; a directory's manifest and files (just the manifest when it is nowhere). */
  objects: number;
  missingLocal: number;
  missingRemote: number;
}

/**
 * For each output, how many of its objects the local cache and the remote lack. A directory's manifest that is only
 * on the remote is read from there (to a temporary file, verified) to count its files.
 */
export async function remoteStatusOf(opts: { cache: Cache; store: RemoteStore; wanted: Wanted[] }): Promise<OutputRemoteStatus[]> {
  const { cache, store } = opts;
  const manifests = new Map<string, Manifest>();
  const dirs = [...new Set(opts.wanted.filter((w) => w.entry.nfiles !== undefined).map((w) => w.entry.hash))];
  const remoteOnly = dirs.filter((h) => {
    const m = cache.readManifest(h);
    if (m) manifests.set(h, m);
    return !m;
  });
  if (remoteOnly.length) {
    const blake3 = await loadBlake3();
    const there = await store.has(remoteOnly.map(objectKey));
    const tmp = await mkdtemp(join(tmpdir(), 'gitml-manifest-'));
    try {
      for (const h of remoteOnly.filter((x) => there.has(objectKey(x)))) {
        const file = join(tmp, basename(objectKey(h)));
        if (!(await store.get(objectKey(h), file))) continue;
        // A corrupt remote manifest cannot say which files the directory holds; count it alone.
        if (hashFileSync(file, blake3, Buffer.allocUnsafe(1 << 16)) !== h) continue;
        try {
          manifests.set(h, JSON.parse(readFileSync(file, 'utf8')) as Manifest);
        } catch {
          // same as corrupt
        }
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  const objectsOf = (w: Wanted) => (w.entry.nfiles === undefined ? [w.entry.hash] : [w.entry.hash, ...(manifests.get(w.entry.hash)?.files.map((f) => f.hash) ?? [])]);
  const every = [...new Set(opts.wanted.flatMap(objectsOf))];
  const onRemote = await store.has(every.map(objectKey));
  return opts.wanted.map((w) => {
    const objects = [...new Set(objectsOf(w))];
    return {
      path: w.path,
      stage: w.stage,
      objects: objects.length,
      missingLocal: objects.filter((h) => !cache.has(h)).length,
      missingRemote: objects.filter((h) => !onRemote.has(objectKey(h))).length,
    };
  });
}

/** Run-cache entries in the local cache, with their stage keys. */
export function localRuns(runCache: RunCache): RunEntry[] {
  return runCache
    .entries()
    .flatMap(({ file, record }) => (record ? [{ key: `blake3:${basename(dirname(file))}${basename(file, '.json')}`, record, file }] : []))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

function outsOfRun(key: string, record: RunRecord): Wanted[] {
  return Object.entries(record.outs)
    .filter(([, e]) => e.cache !== false)
    .map(([path, entry]) => ({ path, entry, stage: `run ${key.slice(7, 15)}` }));
}

async function hashOf(file: string, size: number, blake3: () => Blake3, buffer: Buffer): Promise<string> {
  return size >= PIPELINE_MIN_BYTES ? hashFileAsync(file, blake3) : hashFileSync(file, blake3, buffer);
}

/** Downloads a run-cache entry next to where it will live and reads it; `undefined` when it is not a valid record. */
export async function readRemoteRun(store: RemoteStore, key: string, dest: string, signal?: AbortSignal): Promise<RunRecord | undefined> {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = tempName(dest);
  try {
    if (!(await store.get(runKey(key), tmp, signal))) return undefined;
    const record = JSON.parse(readFileSync(tmp, 'utf8')) as RunRecord;
    const valid =
      record !== null &&
      typeof record.outs === 'object' &&
      record.outs !== null &&
      Object.values(record.outs).every((e) => typeof e?.hash === 'string' && /^blake3:[0-9a-f]{64}$/.test(e.hash));
    return valid ? record : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}
