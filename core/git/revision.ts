import fs from 'node:fs';
import { join, relative } from 'node:path';
import { GitmlError } from '../errors.js';
import type { ReadText } from '../pipeline/types.js';
import { suggest } from '../util/suggest.js';

/** The revision name that means the working tree as it is on disk. */
export const WORKSPACE = 'workspace';

type Git = typeof import('isomorphic-git');

/** A git repository holding a gitml workspace, possibly in a subdirectory (`prefix`). */
export interface Repo {
  git: Git;
  gitRoot: string;
  /** The workspace root relative to the repository root, POSIX, '' at the top. */
  prefix: string;
  /** isomorphic-git's object cache, shared by every read of this repository. */
  cache: object;
}

/** A revision a user named, resolved. `oid` is absent for the working tree. */
export interface Revision {
  /** What the user wrote (`HEAD~1`, `main`, `workspace`). */
  name: string;
  oid?: string;
  /** Seven hex digits, or `workspace`. */
  short: string;
}

export async function openRepo(root: string): Promise<Repo> {
  const git = await import('isomorphic-git');
  let gitRoot: string;
  try {
    gitRoot = await git.findRoot({ fs, filepath: root });
  } catch (err) {
    throw new GitmlError(
      'E_NOT_GIT',
      `${root} is not inside a git repository; revisions other than \`workspace\` need one (run \`git init\`)`,
      {
        cause: err,
      },
    );
  }
  return { git, gitRoot, prefix: relative(gitRoot, root).split('\\').join('/'), cache: {} };
}

/**
 * Resolves `HEAD`, a branch, tag or remote branch, a full ref, an experiment's name, a (short) SHA, any of them
 * followed by `~n`, `^` or `^n`, or `workspace`. A commit missing from a shallow clone is an error that names it and the fetch that brings it.
 */
export async function resolveRevision(repo: Repo, name: string): Promise<Revision> {
  if (name === WORKSPACE) return { name, short: WORKSPACE };
  const m = /^(.*?)((?:[~^]\d*)*)$/.exec(name)!;
  const base = m[1]!;
  if (!base) throw new GitmlError('E_BAD_REVISION', `\`${name}\` is not a revision`);
  let oid = await resolveBase(repo, base, name);
  let walked = base;
  for (const op of m[2]!.match(/[~^]\d*/g) ?? []) {
    const n = op.length > 1 ? Number(op.slice(1)) : 1;
    if (op[0] === '~') {
      for (let i = 0; i < n; i++) {
        oid = await parentOf(repo, oid, 1, walked, name);
        walked += '~1';
      }
    } else if (n > 0) {
      oid = await parentOf(repo, oid, n, walked, name);
      walked += `^${n}`;
    }
  }
  return { name, oid, short: oid.slice(0, 7) };
}

async function resolveBase(repo: Repo, base: string, name: string): Promise<string> {
  const { git, gitRoot: dir, cache } = repo;
  let oid: string | undefined;
  try {
    oid = await git.resolveRef({ fs, dir, ref: base });
  } catch {
    // An experiment's name works as a revision too.
    oid = await git.resolveRef({ fs, dir, ref: `refs/exps/${base}` }).catch(() => undefined);
    if (oid === undefined && /^[0-9a-f]{4,40}$/i.test(base)) {
      try {
        oid = await git.expandOid({ fs, dir, oid: base.toLowerCase(), cache });
      } catch {
        if (await isShallow(repo))
          throw missingCommit(
            base,
            `this clone is shallow and does not have it; run \`git fetch --unshallow\` (or \`git fetch origin ${base}\`)`,
          );
      }
    }
  }
  if (oid === undefined) {
    const known = [
      ...(await git.listBranches({ fs, dir }).catch(() => [])),
      ...(await git.listTags({ fs, dir }).catch(() => [])),
      ...(await git.listRefs({ fs, dir, filepath: 'refs/exps' }).catch(() => [])),
    ];
    if (base === 'HEAD')
      throw new GitmlError('E_BAD_REVISION', `\`${name}\` names no commit: the repository has none yet; commit first, or name another revision`, {
        data: { revision: name },
      });
    const guess = suggest(base, [...known, 'HEAD', WORKSPACE].filter((k) => k !== base));
    const hint = guess ? `; did you mean \`${guess}\`?` : '; name a branch, a tag, a commit, HEAD~N or `workspace`';
    throw new GitmlError('E_BAD_REVISION', `unknown revision \`${name}\`${hint}`, { data: { revision: name } });
  }
  return peelToCommit(repo, oid, name);
}

/** Follows annotated tags to the commit they name. */
async function peelToCommit(repo: Repo, oid: string, name: string): Promise<string> {
  for (;;) {
    let obj: Awaited<ReturnType<Git['readObject']>>;
    try {
      obj = await repo.git.readObject({ fs, dir: repo.gitRoot, oid, cache: repo.cache });
    } catch (err) {
      if (await isShallow(repo))
        throw missingCommit(
          oid,
          `this clone is shallow and does not have it; run \`git fetch --unshallow\` (or \`git fetch origin ${oid}\`)`,
        );
      throw new GitmlError('E_BAD_REVISION', `\`${name}\` names object ${oid.slice(0, 10)}, which this repository does not have`, {
        cause: err,
      });
    }
    if (obj.type === 'commit') return oid;
    if (obj.type !== 'tag') throw new GitmlError('E_BAD_REVISION', `\`${name}\` names a ${obj.type}, not a commit`);
    const tag = await repo.git.readTag({ fs, dir: repo.gitRoot, oid, cache: repo.cache });
    oid = tag.tag.object;
  }
}

async function parentOf(repo: Repo, oid: string, n: number, walked: string, name: string): Promise<string> {
  const shallow = await shallowCommits(repo);
  if (shallow.has(oid))
    throw missingCommit(
      `the parent of ${walked} (${oid.slice(0, 7)})`,
      `this clone is shallow and its history stops at ${oid.slice(0, 7)}; run \`git fetch --deepen=N\` or \`git fetch --unshallow\``,
    );
  const { commit } = await repo.git.readCommit({ fs, dir: repo.gitRoot, oid, cache: repo.cache });
  const parent = commit.parent[n - 1];
  if (parent === undefined) {
    const what = commit.parent.length === 0 ? 'is the first commit and has no parent' : `has ${commit.parent.length} parent(s), not ${n}`;
    throw new GitmlError('E_BAD_REVISION', `cannot resolve \`${name}\`: ${walked} (${oid.slice(0, 7)}) ${what}`, {
      data: { revision: name },
    });
  }
  return parent;
}

function missingCommit(what: string, how: string): GitmlError {
  return new GitmlError('E_MISSING_COMMIT', `${what} is not in this repository: ${how}`, { data: { commit: what } });
}

async function shallowCommits(repo: Repo): Promise<Set<string>> {
  try {
    const text = await fs.promises.readFile(join(repo.gitRoot, '.git', 'shallow'), 'utf8');
    return new Set(text.split('\n').filter(Boolean));
  } catch {
    return new Set();
  }
}

async function isShallow(repo: Repo): Promise<boolean> {
  return (await shallowCommits(repo)).size > 0;
}

/**
 * Files of one revision, by workspace-relative path. Reads are asynchronous (git objects); `withReadText` gives code
 * that reads synchronously (the ml.yaml parser) every file it asks for.
 */
export interface Snapshot {
  rev: Revision;
  read(path: string): Promise<string | null>;
  readBytes(path: string): Promise<Uint8Array | null>;
  /** Runs `fn` with a synchronous reader, loading what it asked for and running it again until it has everything. */
  withReadText<T>(fn: (readText: ReadText) => T): Promise<T>;
}

export async function openSnapshot(root: string, name: string, repo?: Repo): Promise<Snapshot> {
  if (name === WORKSPACE) return workspaceSnapshot(root);
  repo ??= await openRepo(root);
  return commitSnapshot(repo, await resolveRevision(repo, name));
}

export function workspaceSnapshot(root: string): Snapshot {
  const readBytes = (path: string): Uint8Array | null => {
    try {
      return fs.readFileSync(join(root, path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw err;
    }
  };
  const readText = (path: string) => {
    const b = readBytes(path);
    return b === null ? null : Buffer.from(b).toString('utf8');
  };
  return {
    rev: { name: WORKSPACE, short: WORKSPACE },
    read: async (path) => readText(path),
    readBytes: async (path) => readBytes(path),
    withReadText: async (fn) => fn(readText),
  };
}

export function commitSnapshot(repo: Repo, rev: Revision): Snapshot {
  const { git, gitRoot: dir, cache } = repo;
  const texts = new Map<string, string | null>();
  const readBytes = async (path: string): Promise<Uint8Array | null> => {
    const filepath = repo.prefix ? `${repo.prefix}/${path}` : path;
    try {
      const { blob } = await git.readBlob({ fs, dir, oid: rev.oid!, filepath, cache });
      return blob;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'NotFoundError' || code === 'ObjectTypeError') return null;
      throw err;
    }
  };
  const read = async (path: string): Promise<string | null> => {
    if (!texts.has(path)) {
      const b = await readBytes(path);
      texts.set(path, b === null ? null : Buffer.from(b).toString('utf8'));
    }
    return texts.get(path)!;
  };
  return {
    rev,
    read,
    readBytes,
    async withReadText<T>(fn: (readText: ReadText) => T): Promise<T> {
      for (;;) {
        const missing = new Set<string>();
        const readText: ReadText = (path) => {
          if (texts.has(path)) return texts.get(path)!;
          missing.add(path);
          return null;
        };
        let result: T | undefined;
        let failure: unknown;
        try {
          result = fn(readText);
        } catch (err) {
          failure = err;
        }
        if (!missing.size) {
          if (failure !== undefined) throw failure;
          return result as T;
        }
        await Promise.all([...missing].map(read));
      }
    },
  };
}
