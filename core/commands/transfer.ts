import { join } from 'node:path';
import { RunCache } from '../cache/run-cache.js';
import { UnknownStageError } from '../errors.js';
import type { Lockfile } from '../lockfile/lockfile.js';
import { openRemote, selectRemote, type RemoteStore } from '../remote/remote.js';
import { cachedOutputs, type Wanted } from '../remote/plan.js';
import {
  fetchObjects,
  localRuns,
  pushObjects,
  remoteStatusOf,
  type FetchReport,
  type OutputRemoteStatus,
  type PushReport,
} from '../remote/transfer.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import type { Progress } from '../util/progress.js';
import { suggest } from '../util/suggest.js';
import { Workspace } from '../workspace.js';
import { checkout, type CheckoutEntry } from './checkout.js';

export interface RemoteOptions {
  cwd?: string;
  /** The remote's name. @default the `default_remote` setting */
  remote?: string;
  /** Stages whose outputs move. @default every stage in ml.lock.json */
  targets?: string[];
  /** Where AWS_* settings are read from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface TransferOptions extends RemoteOptions {
  /** Objects moved at once. @default 8 */
  jobs?: number;
  /** Also move run-cache entries (all of them, whatever `targets` says) and their objects. @default false */
  runCache?: boolean;
  progress?: Progress;
  /** Abort to stop: transfers under way are cut short and leave nothing partial behind. */
  signal?: AbortSignal;
}

export interface RemoteRef {
  name: string;
  url: string;
}

export type PushResult = PushReport & { remote: RemoteRef };
export type FetchResult = FetchReport & { remote: RemoteRef };
export interface PullResult {
  fetch: FetchResult;
  checkout: CheckoutEntry[];
}
export interface RemoteStatusResult {
  remote: RemoteRef;
  outputs: OutputRemoteStatus[];
}

export const DEFAULT_TRANSFER_JOBS = 8;

/** Uploads the objects ml.lock.json references that the local cache has and the remote lacks. */
export async function push(opts: TransferOptions = {}): Promise<PushResult> {
  return withRemote({ ...opts, create: true }, async (ws, store, wanted) => {
    const runs = opts.runCache ? localRuns(new RunCache(ws.root, ws.cache)) : undefined;
    const report = await pushObjects({ cache: ws.cache, store, wanted, runs, jobs: opts.jobs, progress: opts.progress, signal: opts.signal });
    return { ...report, remote: ref(store) };
  });
}

/** Downloads into the local cache the objects ml.lock.json references that it lacks, each verified by its hash. */
export async function fetchFromRemote(opts: TransferOptions = {}): Promise<FetchResult> {
  return withRemote(opts, async (ws, store, wanted) => {
    const release = acquireWorkspaceGuard(ws.root);
    try {
      const runCache = opts.runCache ? new RunCache(ws.root, ws.cache) : undefined;
      const report = await fetchObjects({ cache: ws.cache, store, wanted, runCache, jobs: opts.jobs, progress: opts.progress, signal: opts.signal });
      return { ...report, remote: ref(store) };
    } finally {
      release();
    }
  });
}

/**
 * Fetch, then restore the outputs into the workspace as `gitml checkout` does. Outputs whose objects could not be
 * fetched are reported by the checkout entries; the others are restored.
 */
export async function pull(opts: TransferOptions = {}): Promise<PullResult> {
  const fetched = await fetchFromRemote(opts);
  const cwd = opts.cwd ?? process.cwd();
  if (!opts.targets?.length) return { fetch: fetched, checkout: await checkout({ cwd, progress: opts.progress }) };
  const paths = await Workspace.use(cwd, async (ws) => cachedOutputs(ws.readLock(), opts.targets).map((w) => join(ws.root, w.path)));
  return { fetch: fetched, checkout: paths.length ? await checkout({ cwd, paths, progress: opts.progress }) : [] };
}

/** For each cached output in ml.lock.json: how many of its objects are missing locally and on the remote. */
export async function remoteStatus(opts: RemoteOptions = {}): Promise<RemoteStatusResult> {
  return withRemote(opts, async (ws, store, wanted) => ({
    remote: ref(store),
    outputs: await remoteStatusOf({ cache: ws.cache, store, wanted }),
  }));
}

/**
 * Opens the workspace and the remote (checking that it can be used; with `create`, making a directory remote that does
 * not exist yet), and the outputs of the selected stages.
 */
async function withRemote<T>(
  opts: TransferOptions & { create?: boolean },
  fn: (ws: Workspace, store: RemoteStore, wanted: Wanted[]) => Promise<T>,
): Promise<T> {
  return Workspace.use(opts.cwd, async (ws) => {
    const spec = selectRemote(ws.config, opts.remote);
    const lock = ws.readLock();
    checkStages(ws, lock, opts.targets ?? []);
    const store = await openRemote(spec, { root: ws.root, jobs: opts.jobs ?? DEFAULT_TRANSFER_JOBS, env: opts.env });
    try {
      await store.check({ create: opts.create === true });
      return await fn(ws, store, cachedOutputs(lock, opts.targets));
    } finally {
      store.close();
    }
  });
}

/** Stage names must be in ml.yaml or ml.lock.json. */
function checkStages(ws: Workspace, lock: Lockfile, targets: string[]): void {
  if (!targets.length) return;
  const names = new Set(Object.keys(lock.stages));
  try {
    for (const s of ws.loadPipeline().stages) names.add(s.name);
  } catch {
    // An ml.yaml that does not parse does not stop moving what the lockfile names.
  }
  const known = [...names].sort();
  for (const t of targets) if (!names.has(t)) throw new UnknownStageError(t, suggest(t, known), known);
}

function ref(store: RemoteStore): RemoteRef {
  return { name: store.name, url: store.url };
}
