import { RunCache } from '../cache/run-cache.js';
import { planCi, type CiPlan } from '../ci/plan.js';
import { GitmlError } from '../errors.js';
import { serializeManifest } from '../hash/hash-path.js';
import { openRepo, resolveRevision, commitSnapshot, type Repo } from '../git/revision.js';
import { emptyLockfile, LOCKFILE, parseLockfile, type Lockfile } from '../lockfile/lockfile.js';
import { serializeStageKey } from '../plan/stage-key.js';
import { StoredLookup } from '../remote/lookup.js';
import { openRemote, selectRemote, type RemoteStore } from '../remote/remote.js';
import { Workspace } from '../workspace.js';

export interface PlanOptions {
  /** Directory inside the workspace. @default process.cwd() */
  cwd?: string;
  /** A revision whose ml.lock.json the reasons are also compared with (the pull request's base). */
  base?: string;
  /** The remote whose objects and run-cache entries count as at hand. @default the `default_remote` setting */
  remote?: string;
  /** Consult only the local cache, even when a default remote is set. @default false */
  noRemote?: boolean;
  /** Where AWS_* settings are read from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** A revision as the plan names it; `oid` is `null` outside a git repository. */
export interface PlanRevision {
  name: string;
  oid: string | null;
}

export interface PlanResult extends CiPlan {
  base: PlanRevision | null;
  head: PlanRevision;
  /** The remote consulted, or `null` when only the local cache was. */
  remote: { name: string; url: string } | null;
}

/**
 * `gitml plan`: which stages CI must run for the workspace (a fresh checkout of a pull request's head), which it can
 * restore from the run-cache and which are up to date, and the groups the running stages split into.
 */
export async function plan(opts: PlanOptions = {}): Promise<PlanResult> {
  return Workspace.use(opts.cwd, async (ws) => {
    const pipeline = ws.loadPipeline();
    const lock = ws.readLock();
    const graph = ws.loadGraph(pipeline, lock);
    const repo = await openRepo(ws.root).catch((err: unknown) => {
      if (opts.base === undefined && err instanceof GitmlError && err.code === 'E_NOT_GIT') return undefined;
      throw err;
    });
    const base = opts.base === undefined ? undefined : await baseLock(repo!, opts.base);
    const head = await headRevision(repo);

    // Everything a stage may read from the workspace, hashed in one parallel pass.
    const stages = [...graph.stages.values()].filter((s) => !s.frozen);
    await ws.hasher.hashAll(stages.flatMap((s) => [...s.deps, ...s.outs.filter((o) => !o.cache).map((o) => o.path)]));

    const store = await openStore(ws, opts);
    const lookup = await StoredLookup.open(ws.cache, new RunCache(ws.root, ws.cache), store);
    try {
      const result = await planCi({
        graph,
        lock,
        ...(base ? { baseLock: base.lock } : {}),
        runners: ws.config.ciRunners ?? {},
        lookups: {
          workspaceHash: (path) => ws.hasher.hash(path),
          stored: (entry) => lookup.stored(entry),
          runRecord: (key) => lookup.runRecord(key),
          manifest: (hash) => lookup.manifest(hash),
          stageKey: (record) => ws.hasher.hashBytes(Buffer.from(serializeStageKey(record))),
          treeHash: (manifest) => ws.hasher.hashBytes(Buffer.from(serializeManifest(manifest))),
        },
      });
      return {
        base: base ? base.rev : null,
        head,
        remote: store ? { name: store.name, url: store.url } : null,
        ...result,
      };
    } finally {
      await lookup.close();
      store?.close();
    }
  });
}

/** The remote named, else the default one; none with `noRemote` or when no default is set. */
async function openStore(ws: Workspace, opts: PlanOptions): Promise<RemoteStore | undefined> {
  if (opts.noRemote) return undefined;
  if (opts.remote === undefined && ws.config.defaultRemote === undefined) return undefined;
  const store = await openRemote(selectRemote(ws.config, opts.remote), { root: ws.root, env: opts.env });
  try {
    await store.check();
  } catch (err) {
    store.close();
    throw err;
  }
  return store;
}

async function baseLock(repo: Repo, name: string): Promise<{ rev: PlanRevision; lock: Lockfile }> {
  const rev = await resolveRevision(repo, name);
  const text = await commitSnapshot(repo, rev).read(LOCKFILE);
  // A base from before the pipeline existed has no lockfile: every stage is new against it.
  const lock = text === null ? emptyLockfile() : parseLockfile(text, LOCKFILE, `at ${name}`);
  return { rev: { name, oid: rev.oid! }, lock };
}

/** The commit checked out; the plan itself reads the workspace. */
async function headRevision(repo: Repo | undefined): Promise<PlanRevision> {
  if (!repo) return { name: 'HEAD', oid: null };
  try {
    return { name: 'HEAD', oid: (await resolveRevision(repo, 'HEAD')).oid! };
  } catch {
    // A repository without a commit yet.
    return { name: 'HEAD', oid: null };
  }
}
