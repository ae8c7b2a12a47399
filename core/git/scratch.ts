import fs, { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CACHE_DIR } from '../cache/cache.js';
import { LOCAL_CONFIG_FILE } from '../config.js';
import { prepareStateDir } from '../workspace.js';
import type { Repo } from './revision.js';

/** Where scratch workspaces live: inside the workspace's own ignored `.ml/tmp`, on the same filesystem as the cache. */
const SCRATCH_DIR = '.ml/tmp';

/**
 * An empty workspace directory beside the user's, sharing its object cache (a link to `.ml/cache`) and its local
 * config. Commands run there never touch the user's working tree, index or branch.
 */
export function makeScratch(root: string, name: string): string {
  const dir = join(root, SCRATCH_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  prepareStateDir(dir);
  mkdirSync(join(root, CACHE_DIR), { recursive: true });
  symlinkSync(join(root, CACHE_DIR), join(dir, CACHE_DIR), 'dir');
  if (existsSync(join(root, LOCAL_CONFIG_FILE))) copyFileSync(join(root, LOCAL_CONFIG_FILE), join(dir, LOCAL_CONFIG_FILE));
  return dir;
}

/** Files of a commit under the workspace's prefix, as workspace-relative path -> blob id and mode. */
export async function commitFiles(repo: Repo, oid: string): Promise<Map<string, { oid: string; mode: number }>> {
  const { git, gitRoot: dir, cache, prefix } = repo;
  const files = new Map<string, { oid: string; mode: number }>();
  const cut = prefix ? `${prefix}/` : '';
  await git.walk({
    fs,
    dir,
    cache,
    trees: [git.TREE({ ref: oid })],
    map: async (filepath, [entry]) => {
      if (filepath === '.') return true;
      // Skip subtrees outside the workspace; keep walking into the ones that lead to it.
      if (cut && !filepath.startsWith(cut) && !cut.startsWith(`${filepath}/`)) return null;
      if (!entry || (await entry.type()) !== 'blob' || !filepath.startsWith(cut)) return true;
      files.set(filepath.slice(cut.length), { oid: await entry.oid(), mode: await entry.mode() });
      return true;
    },
  });
  return files;
}

/** Writes every file of a commit (under the workspace's prefix) into `dest`, with exec bits and symbolic links. */
export async function writeCommit(repo: Repo, oid: string, dest: string): Promise<void> {
  for (const [path, file] of await commitFiles(repo, oid)) {
    const { blob } = await repo.git.readBlob({ fs, dir: repo.gitRoot, oid: file.oid, cache: repo.cache });
    const abs = join(dest, path);
    mkdirSync(dirname(abs), { recursive: true });
    if (file.mode === 0o120000) symlinkSync(Buffer.from(blob).toString('utf8'), abs);
    else {
      fs.writeFileSync(abs, blob);
      if (file.mode === 0o100755) chmodSync(abs, 0o755);
    }
  }
}

/** Workspace-relative paths git tracks (the index) under the workspace's prefix. */
export async function trackedFiles(repo: Repo): Promise<string[]> {
  const cut = repo.prefix ? `${repo.prefix}/` : '';
  const all = await repo.git.listFiles({ fs, dir: repo.gitRoot, cache: repo.cache });
  return all.filter((p) => p.startsWith(cut)).map((p) => p.slice(cut.length));
}

/**
 * Copies the tracked files as they are in the working tree (uncommitted edits included, deleted ones left out) into
 * `dest`.
 */
export async function copyTracked(repo: Repo, root: string, dest: string): Promise<string[]> {
  const copied: string[] = [];
  for (const path of await trackedFiles(repo)) {
    const from = join(root, path);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(from);
    } catch {
      continue;
    }
    const to = join(dest, path);
    mkdirSync(dirname(to), { recursive: true });
    if (st.isSymbolicLink()) symlinkSync(fs.readlinkSync(from), to);
    else if (st.isFile()) copyFileSync(from, to);
    else continue;
    copied.push(path);
  }
  return copied;
}
