import fs from 'node:fs';
import { join, relative } from 'node:path';
import { GitmlError, LockfileCorruptError } from '../errors.js';
import { LOCKFILE, parseLockfile, type Lockfile } from '../lockfile/lockfile.js';

/**
 * Where a commit was reached from: `refs` is HEAD, every branch, tag and stash entry; `experiments` is `refs/exps/*`.
 * A commit reachable from both counts as both.
 */
export type HistorySource = 'refs' | 'experiments';

export interface HistoryLockfile {
  lock: Lockfile;
  sources: Set<HistorySource>;
  /** Short id of one commit that holds this lockfile, to name it in messages. */
  commit: string;
}

export interface History {
  lockfiles: HistoryLockfile[];
  /** Distinct commits read. */
  commits: number;
  /** Experiments (`refs/exps/*`) found. */
  experiments: number;
  /** Commits (short ids) whose lockfile could not be parsed, each with the first line of why. */
  unreadable: { commit: string; reason: string }[];
  /** Every `blake3:` hash the unparsable lockfiles mention, so that what they reference can still be kept. */
  unreadableHashes: { hashes: string[]; sources: Set<HistorySource> }[];
}

/**
 * Every distinct ml.lock.json in the history of HEAD, every branch, tag, stash entry and experiment, read with
 * isomorphic-git. A lockfile that does not parse in some old commit is skipped and named in `unreadable`, so it cannot
 * stop the others from counting.
 */
export async function historyLockfiles(root: string): Promise<History> {
  const git = await import('isomorphic-git');
  const cache = {};
  let gitRoot: string;
  try {
    gitRoot = await git.findRoot({ fs, filepath: root });
  } catch (err) {
    throw new GitmlError('E_NOT_GIT', `${root} is not inside a git repository, so there are no commits to keep objects for`, {
      cause: err,
    });
  }
  const filepath = [relative(gitRoot, root), LOCKFILE].filter(Boolean).join('/');
  const refs = new Map<string, HistorySource>([['HEAD', 'refs']]);
  for (const b of await git.listBranches({ fs, dir: gitRoot })) refs.set(`refs/heads/${b}`, 'refs');
  for (const t of await git.listTags({ fs, dir: gitRoot })) refs.set(`refs/tags/${t}`, 'refs');
  // `git stash` keeps work a user means to come back to; its older entries live only in the reflog.
  for (const oid of stashCommits(gitRoot)) refs.set(oid, 'refs');
  const exps = await git.listRefs({ fs, dir: gitRoot, filepath: 'refs/exps' }).catch(() => [] as string[]);
  for (const e of exps) refs.set(`refs/exps/${e}`, 'experiments');

  const commitSources = new Map<string, Set<HistorySource>>();
  for (const [ref, source] of refs) {
    let commits: Awaited<ReturnType<typeof git.log>>;
    try {
      commits = await git.log({ fs, dir: gitRoot, ref, cache });
    } catch {
      continue; // an unborn HEAD or a tag of something other than a commit
    }
    for (const c of commits) {
      const seen = commitSources.get(c.oid);
      if (seen?.has(source)) continue;
      if (seen) seen.add(source);
      else commitSources.set(c.oid, new Set([source]));
    }
  }

  const byBlob = new Map<string, HistoryLockfile | { hashes: string[]; sources: Set<HistorySource> }>();
  const unreadable: { commit: string; reason: string }[] = [];
  for (const [oid, sources] of commitSources) {
    let blob: { oid: string; blob: Uint8Array };
    try {
      blob = await git.readBlob({ fs, dir: gitRoot, oid, filepath, cache });
    } catch {
      continue; // no lockfile in this commit
    }
    const known = byBlob.get(blob.oid);
    if (known) {
      for (const s of sources) known.sources.add(s);
      continue;
    }
    const text = Buffer.from(blob.blob).toString('utf8');
    try {
      byBlob.set(blob.oid, { lock: parseLockfile(text), sources: new Set(sources), commit: oid.slice(0, 7) });
    } catch (err) {
      byBlob.set(blob.oid, { hashes: [...new Set(text.match(/blake3:[0-9a-f]{64}/g) ?? [])], sources: new Set(sources) });
      unreadable.push({ commit: oid.slice(0, 10), reason: unreadableReason(err) });
    }
  }
  const all = [...byBlob.values()];
  return {
    lockfiles: all.filter((l): l is HistoryLockfile => 'lock' in l),
    commits: commitSources.size,
    experiments: exps.length,
    unreadable,
    unreadableHashes: all.filter((l): l is { hashes: string[]; sources: Set<HistorySource> } => 'hashes' in l),
  };
}

/** Commits of every stash entry, read from the stash reflog (`git stash list`). */
function stashCommits(gitRoot: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(join(gitRoot, '.git', 'logs', 'refs', 'stash'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((oid) => /^[0-9a-f]{40}$/.test(oid));
}

/** Where and why a committed lockfile does not read, without the advice to fix the workspace's own. */
function unreadableReason(err: unknown): string {
  if (err instanceof LockfileCorruptError) {
    const { line, col, reason } = err.data as { line?: number; col?: number; reason: string };
    return `${LOCKFILE}${line === undefined ? '' : `:${line}:${col}`}: ${reason}`;
  }
  return (err as Error).message.split('\n')[0]!;
}
