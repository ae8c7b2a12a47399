import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { CacheMissError, CorruptObjectError, GitmlError, ObjectsMissingError, UsageError } from '../errors.js';
import type { LockEntry } from '../generated/lockfile.js';
import { openSnapshot, WORKSPACE, type Snapshot } from '../git/revision.js';
import { LOCKFILE, parseLockfile } from '../lockfile/lockfile.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import { writeFileAtomic } from '../util/fs.js';
import { isWithin, workspacePath } from '../util/paths.js';
import type { Progress } from '../util/progress.js';
import { Workspace } from '../workspace.js';

export interface CheckoutEntry {
  path: string;
  stage: string;
  result: 'restored' | 'unchanged' | 'error';
  message?: string;
}

export interface CheckoutOptions {
  cwd?: string;
  /** Outputs at, under or above these paths (relative to `cwd`) only. */
  paths?: string[];
  /** The outputs recorded in this revision's lockfile instead of the workspace's. */
  rev?: string;
  /** How messages name the revision (an experiment's name rather than its commit). @default rev */
  label?: string;
  /** Only check that everything the revision needs is at hand (throwing `ObjectsMissingError` if not); change nothing. */
  checkOnly?: boolean;
  progress?: Progress;
}

/**
 * Restores outputs so the workspace matches ml.lock.json, or with `rev` the lockfile of that commit. Cached outputs
 * come from the cache, each object verified as it is installed; uncached ones (metrics, plots) from git: HEAD's
 * version, or `rev`'s. Files that already match are left alone.
 *
 * With `rev`, every object is checked to be at hand before anything is written: when one is missing nothing changes
 * and an `ObjectsMissingError` says what and where to get it. Without `rev` the outputs that can be restored are, and
 * each one that cannot (an object missing, or corrupt and so quarantined) is reported with a reason.
 */
export async function checkout(opts: CheckoutOptions = {}): Promise<CheckoutEntry[]> {
  const cwd = opts.cwd ?? process.cwd();
  return Workspace.use(cwd, async (ws) => {
    const atRev = opts.rev !== undefined && opts.rev !== WORKSPACE;
    const label = opts.label ?? opts.rev;
    const snap = atRev ? await openSnapshot(ws.root, opts.rev!) : undefined;
    const lockText = snap ? await snap.read(LOCKFILE) : undefined;
    if (snap && lockText === null) throw new UsageError(`${label} (${snap.rev.short}) has no ${LOCKFILE}, so it records no outputs`);
    const lock = lockText ? parseLockfile(lockText, LOCKFILE, `at ${label}`) : ws.readLock();
    const recordedIn = snap ? `${LOCKFILE} at ${label}` : LOCKFILE;
    const wanted = (opts.paths ?? []).map((p) => {
      const rel = workspacePath('.', relative(ws.root, resolve(cwd, p)).split('\\').join('/'));
      if (rel === undefined) throw new UsageError(`${p} is outside the workspace ${ws.root}`);
      return rel;
    });

    const outs = Object.entries(lock.stages).flatMap(([stage, s]) =>
      Object.entries(s.outs).map(([path, entry]) => ({ stage, path, entry })),
    );
    const selected = wanted.length ? outs.filter((o) => wanted.some((w) => isWithin(o.path, w) || isWithin(w, o.path))) : outs;
    for (const w of wanted) {
      if (!outs.some((o) => isWithin(o.path, w) || isWithin(w, o.path)))
        throw new UsageError(`${w} is not an output recorded in ${recordedIn}`);
    }

    await ws.hasher.hashAll(
      selected.map((o) => o.path),
      opts.progress,
    );
    const matches = (path: string, entry: LockEntry) => ws.hasher.hash(path)?.hash === entry.hash;

    // Uncached outputs are committed to git: they come from the revision, or from HEAD when it holds the version
    // the workspace lockfile records.
    const committed = new Map<string, Uint8Array>();
    const stale = selected.filter(({ path, entry }) => entry.cache === false && !matches(path, entry));
    const gitSide = snap ?? (stale.length ? await headSnapshot(ws.root) : undefined);
    for (const { path, entry } of stale) {
      const bytes = gitSide ? await gitSide.readBytes(path) : null;
      if (bytes === null) continue;
      if (!snap && ws.hasher.hashBytes(bytes) !== entry.hash) continue;
      committed.set(path, bytes);
    }

    // A corrupt manifest is not a missing one: a pull would not replace it. It is found (and quarantined) here, before
    // anything is written, as a plain checkout finds it.
    if (atRev)
      for (const { path, stage, entry } of selected)
        if (entry.cache !== false && entry.nfiles !== undefined && !matches(path, entry))
          ws.cache.checkedManifest(entry.hash, path, ws.hasher, stage);
    const missing = selected
      .filter(({ path, entry }) => !matches(path, entry) && (entry.cache === false ? !committed.has(path) : !ws.cache.complete(entry)))
      .map(({ path, stage, entry }) => ({ path, stage, hash: entry.hash }));
    if (atRev && missing.length) throw new ObjectsMissingError(label!, missing, whereToGet(ws, `--rev ${label}`));
    if (opts.checkOnly) return [];

    const release = acquireWorkspaceGuard(ws.root);
    try {
      const restoreOne = async ({ stage, path, entry }: (typeof selected)[number]): Promise<CheckoutEntry> => {
        if (entry.cache === false) {
          if (matches(path, entry)) return { path, stage, result: 'unchanged' };
          const bytes = committed.get(path);
          if (!bytes) {
            const where = snap ? `${label} does not commit it either` : 'HEAD does not hold the version ml.lock.json records';
            return {
              path,
              stage,
              result: 'error',
              message: `${path} is not cached (cache: false) and ${where}; recreate it with \`gitml repro ${stage}\``,
            };
          }
          if (snap && sameBytes(ws.abs(path), bytes)) return { path, stage, result: 'unchanged' };
          writeFileAtomic(ws.abs(path), bytes);
          ws.hasher.forget(path);
          return { path, stage, result: 'restored' };
        }
        try {
          return { path, stage, result: await ws.cache.restore(path, entry, ws.hasher, { progress: opts.progress, stage }) };
        } catch (err) {
          if (err instanceof CacheMissError)
            return { path, stage, result: 'error', message: `${err.message.replace(/; run .*$/, '')}; ${whereToGet(ws, stage)}` };
          // A corrupt object was quarantined and not installed; the other outputs are still restored.
          if (err instanceof CorruptObjectError) return { path, stage, result: 'error', message: err.message };
          throw err;
        }
      };
      const entries: CheckoutEntry[] = [];
      for (const o of selected) entries.push(await restoreOne(o));
      return entries;
    } finally {
      release();
    }
  });
}

/** HEAD of the workspace's repository, or `undefined` outside git or before the first commit. */
async function headSnapshot(root: string): Promise<Snapshot | undefined> {
  try {
    return await openSnapshot(root, 'HEAD');
  } catch (err) {
    if (err instanceof GitmlError || (err as { code?: string }).code !== undefined) return undefined;
    throw err;
  }
}

/** Where missing objects come from: the configured remote (or how to add one), or a rebuild with `repro ARGS`. */
function whereToGet(ws: Workspace, reproArgs: string): string {
  const remote = ws.config.defaultRemote ?? Object.keys(ws.config.remotes)[0];
  const pull = remote
    ? `Get them with \`gitml pull\` (remote \`${remote}\`)`
    : 'Get them from a remote (`gitml remote add NAME URL`, then `gitml pull`)';
  return `${pull}, or rebuild them with \`gitml repro ${reproArgs}\`.`;
}

function sameBytes(abs: string, bytes: Uint8Array): boolean {
  try {
    return Buffer.from(bytes).equals(readFileSync(abs));
  } catch {
    return false;
  }
}
