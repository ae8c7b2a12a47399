import { RunCache } from '../cache/run-cache.js';
import { GitmlError } from '../errors.js';
import { historyLockfiles, type History } from '../git/lockfiles.js';
import type { LockEntry, Lockfile } from '../lockfile/lockfile.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import { removeStaleTemps } from '../util/fs.js';
import type { Progress } from '../util/progress.js';
import { Workspace } from '../workspace.js';

/** Objects larger than this are not read to find out whether a broken lockfile's hash names a manifest. */
const MAX_MANIFEST_GUESS = 64 << 20;

/**
 * What `gc` keeps. Each narrower scope drops objects that the wider one keeps:
 * - `all`: what the workspace lockfile and the lockfile of any commit reachable from HEAD, a branch, a tag, a stash
 *   entry or an experiment reference;
 * - `no-experiments`: as `all` without experiments, so objects only experiments reference go;
 * - `workspace`: only what the workspace lockfile references, so objects only earlier commits, other branches, tags,
 *   stashes or experiments reference go.
 */
export type GcScope = 'all' | 'no-experiments' | 'workspace';

export interface GcOptions {
  cwd?: string;
  /** @default 'all' */
  scope?: GcScope;
  /** Report what would be removed; remove nothing. @default false */
  dry?: boolean;
  /** A narrower scope that would drop objects history still references removes nothing without it. @default false */
  force?: boolean;
  progress?: Progress;
}

/** One object that goes, with the output it was last known as (from a lockfile or a run-cache entry). */
export interface GcObject {
  hash: string;
  size: number;
  /** Output path (a directory's file as `dir/file`), when some lockfile or run-cache entry names it. */
  path?: string;
  stage?: string;
  /** Set when a commit or experiment outside the narrower scope still references it. */
  history?: boolean;
}

export interface GcResult {
  scope: GcScope;
  /** False when nothing was removed: `dry`, or a narrower scope that would drop history without `force`. */
  applied: boolean;
  /** Objects still referenced. */
  kept: number;
  /** Objects that go (or would go). */
  dropped: GcObject[];
  droppedBytes: number;
  /** How many of `dropped` a commit or experiment outside the scope still references (0 with scope `all`). */
  historyOnly: number;
  /** Run-cache entries dropped because their objects went. */
  runsRemoved: number;
  /** Referenced directory manifests that do not parse: every object hash in their text was kept. */
  damagedManifests: string[];
  /** Leftovers of interrupted saves and writes that were deleted. */
  partialsRemoved: number;
  /** Commits read, experiments found, and commits whose lockfile could not be parsed; absent outside git. */
  commits?: number;
  experiments?: number;
  unreadable?: { commit: string; reason: string }[];
}

/**
 * Removes cache objects that nothing in `scope` references. Everything a referenced directory's manifest lists is
 * kept with it. Run-cache entries whose objects go are dropped too. The default keeps all history, so that any
 * commit or experiment can still be checked out.
 */
export async function gc(opts: GcOptions = {}): Promise<GcResult> {
  const scope = opts.scope ?? 'all';
  return Workspace.use(opts.cwd, async (ws) => {
    const workspaceLock = ws.readLock();
    let history: History | undefined;
    try {
      history = await historyLockfiles(ws.root);
    } catch (err) {
      // Outside git there is no history to lose: the workspace lockfile is all there is.
      if (!(err instanceof GitmlError && err.code === 'E_NOT_GIT')) throw err;
    }
    // A manifest that does not parse (a flipped byte) still keeps every object it mentions: its files may be intact,
    // and a good copy of the manifest (from a remote) would need them.
    const damaged = new Set<string>();
    const readManifest = (hash: string): { files: { hash: string }[] } | undefined => {
      const text = ws.cache.readText(hash);
      if (text === null) return undefined;
      try {
        const files = (JSON.parse(text) as { files?: unknown }).files;
        if (Array.isArray(files) && files.every((f) => typeof (f as { hash?: unknown })?.hash === 'string'))
          return { files: files as { hash: string }[] };
      } catch {
        // Kept below, by the hashes its text holds.
      }
      damaged.add(hash);
      return { files: [...new Set(text.match(/blake3:[0-9a-f]{64}/g) ?? [])].map((h) => ({ hash: h })) };
    };
    // Whether an object a broken lockfile mentions is a manifest: only small objects are worth reading to find out.
    const maybeManifest = (hash: string) => {
      const size = ws.cache.size(hash);
      if (!size || size > MAX_MANIFEST_GUESS) return undefined;
      try {
        return ws.cache.readManifest(hash)?.files ? true : undefined;
      } catch {
        return undefined;
      }
    };
    const keepSet = (inScope: (sources: Set<string>) => boolean) => {
      const keep = new Set<string>();
      for (const lock of [workspaceLock, ...(history?.lockfiles ?? []).filter((l) => inScope(l.sources)).map((l) => l.lock)])
        eachEntry(lock, (_stage, _path, entry) => addEntry(keep, entry, readManifest));
      // A lockfile that no longer parses still keeps every object it mentions (and a mentioned manifest's files).
      for (const u of (history?.unreadableHashes ?? []).filter((l) => inScope(l.sources)))
        for (const hash of u.hashes) addEntry(keep, { hash, nfiles: maybeManifest(hash) ? 1 : undefined }, readManifest);
      return keep;
    };
    const keepAll = keepSet(() => true);
    const keep = scope === 'all' ? keepAll : scope === 'no-experiments' ? keepSet((sources) => sources.has('refs')) : keepSet(() => false);
    // Objects that only the narrower scope drops: history still needs them, so deleting them takes `force`.
    const historyOnly = [...keepAll].filter((h) => !keep.has(h) && ws.cache.has(h)).length;
    const applied = !opts.dry && (historyOnly === 0 || opts.force === true);
    const release = applied ? acquireWorkspaceGuard(ws.root) : () => {};
    try {
      // Names for what goes, from every lockfile read (kept or not) and the run-cache.
      const names = new Map<string, { path: string; stage?: string }>();
      const name = (hash: string, path: string, stage?: string) => {
        if (!names.has(hash)) names.set(hash, { path, ...(stage ? { stage } : {}) });
      };
      const nameEntry = (stage: string | undefined, path: string, entry: LockEntry) => {
        name(entry.hash, path, stage);
        if (entry.nfiles !== undefined)
          for (const f of ws.cache.readManifest(entry.hash)?.files ?? []) name(f.hash, `${path}/${f.path}`, stage);
      };
      // Outputs first: an object is named after the stage that produced it, not one that reads it.
      const allLocks = [workspaceLock, ...(history?.lockfiles ?? []).map((l) => l.lock)];
      for (const lock of allLocks) eachEntry(lock, nameEntry, 'outs');
      for (const lock of allLocks) eachEntry(lock, nameEntry, 'deps');
      const runs = new RunCache(ws.root, ws.cache);
      const runEntries = runs.entries();
      for (const { record } of runEntries)
        for (const [path, entry] of Object.entries(record?.outs ?? {})) nameEntry(undefined, path, entry);

      const objects = ws.cache.listObjects();
      const dropped: GcObject[] = objects
        .filter((h) => !keep.has(h))
        .map((hash) => ({ hash, size: ws.cache.size(hash), ...names.get(hash), ...(keepAll.has(hash) ? { history: true } : {}) }));
      const droppedBytes = dropped.reduce((n, o) => n + o.size, 0);

      const gone = new Set(dropped.map((o) => o.hash));
      const staleRuns = runEntries.filter(
        ({ record }) =>
          !record ||
          Object.values(record.outs).some(
            (e) =>
              gone.has(e.hash) || (e.nfiles !== undefined && (ws.cache.readManifest(e.hash)?.files ?? []).some((f) => gone.has(f.hash))),
          ),
      );

      let partialsRemoved = 0;
      if (applied) {
        opts.progress?.start('removing unused objects', dropped.length);
        for (const o of dropped) {
          ws.cache.remove(o.hash);
          opts.progress?.tick(1);
        }
        opts.progress?.done();
        for (const { file } of staleRuns) runs.remove(file);
        partialsRemoved = ws.cache.removeStalePartials() + removeStaleTemps(ws.root);
      }

      return {
        scope,
        applied,
        kept: objects.length - dropped.length,
        dropped,
        droppedBytes,
        historyOnly,
        runsRemoved: staleRuns.length,
        partialsRemoved,
        damagedManifests: [...damaged].sort(),
        ...(history ? { commits: history.commits, experiments: history.experiments, unreadable: history.unreadable } : {}),
      };
    } finally {
      release();
    }
  });
}

function eachEntry(lock: Lockfile, fn: (stage: string, path: string, entry: LockEntry) => void, only?: 'outs' | 'deps'): void {
  for (const [stage, s] of Object.entries(lock.stages)) {
    for (const [path, entry] of [...(only === 'deps' ? [] : Object.entries(s.outs)), ...(only === 'outs' ? [] : Object.entries(s.deps))])
      fn(stage, path, entry);
  }
}

function addEntry(
  keep: Set<string>,
  entry: Pick<LockEntry, 'hash' | 'nfiles'>,
  readManifest: (hash: string) => { files: { hash: string }[] } | undefined,
): void {
  keep.add(entry.hash);
  if (entry.nfiles === undefined) return;
  for (const f of readManifest(entry.hash)?.files ?? []) keep.add(f.hash);
}
