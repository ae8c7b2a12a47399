import fs from 'node:fs';
import { relative } from 'node:path';
import { GitmlError } from '../errors.js';
import { LOCKFILE, parseLockfile, type Lockfile } from '../lockfile/lockfile.js';

/**
 * Every distinct ml.lock.json in the history of every branch, tag and experiment, read with isomorphic-git. A lockfile that does
 * not parse in some old commit is skipped and named in `unreadable`, so it cannot stop the others from counting.
 */
export async function historyLockfiles(root: string): Promise<{ lockfiles: Lockfile[]; commits: number; unreadable: string[] }> {
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
  const refs = new Set<string>(['HEAD']);
  for (const b of await git.listBranches({ fs, dir: gitRoot })) refs.add(`refs/heads/${b}`);
  for (const t of await git.listTags({ fs, dir: gitRoot })) refs.add(`refs/tags/${t}`);
  // Experiments are commits too: their outputs stay until the experiment is removed.
  for (const e of await git.listRefs({ fs, dir: gitRoot, filepath: 'refs/exps' }).catch(() => [] as string[])) refs.add(`refs/exps/${e}`);

  const seenCommits = new Set<string>();
  const seenBlobs = new Set<string>();
  const lockfiles: Lockfile[] = [];
  const unreadable: string[] = [];
  for (const ref of refs) {
    let commits: Awaited<ReturnType<typeof git.log>>;
    try {
      commits = await git.log({ fs, dir: gitRoot, ref, cache });
    } catch {
      continue; // an unborn HEAD or a tag of something other than a commit
    }
    for (const c of commits) {
      if (seenCommits.has(c.oid)) continue;
      seenCommits.add(c.oid);
      let blob: { oid: string; blob: Uint8Array };
      try {
        blob = await git.readBlob({ fs, dir: gitRoot, oid: c.oid, filepath, cache });
      } catch {
        continue; // no lockfile in this commit
      }
      if (seenBlobs.has(blob.oid)) continue;
      seenBlobs.add(blob.oid);
      try {
        lockfiles.push(parseLockfile(Buffer.from(blob.blob).toString('utf8')));
      } catch {
        unreadable.push(c.oid.slice(0, 10));
      }
    }
  }
  return { lockfiles, commits: seenCommits.size, unreadable };
}
