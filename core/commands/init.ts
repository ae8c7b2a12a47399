import fs, { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LOCKFILE } from '../lockfile/lockfile.js';
import { PIPELINE_FILE } from '../pipeline/parse.js';
import { readTextOrNull } from '../util/fs.js';
import { MERGE_DRIVER } from './merge-lock.js';
import { prepareStateDir, STATE_DIR } from '../workspace.js';

export interface InitResult {
  root: string;
  created: string[];
  /** False when the directory is not inside a git repository (gitml still works; nothing is versioned yet). */
  git: boolean;
}

const STARTER = `# gitml pipeline: each stage runs a command; deps, params and outs decide when it reruns.
# See \`gitml --help\`. Example:
#
# stages:
#   prepare:
#     cmd: python prepare.py
#     deps: [prepare.py, data/raw.csv]
#     params: [prepare.seed]
#     outs: [data/prepared]
stages: {}
`;

/** The attribute line that sends ml.lock.json merges to gitml's driver. */
const ATTRIBUTE = `${LOCKFILE} merge=${MERGE_DRIVER}`;

/**
 * How git runs the driver: an installed `gitml` on PATH, else the project's own (node_modules) through npx. Git runs
 * it with sh, so the fallback is plain shell.
 */
export const DRIVER_COMMAND =
  'if command -v gitml >/dev/null 2>&1; then gitml merge-lock %O %A %B %P; else npx --no-install gitml merge-lock %O %A %B %P; fi';

/**
 * Creates `.ml/` (with the .gitignore for its local parts) and a starter ml.yaml where missing, and in a git
 * repository registers the ml.lock.json merge driver (`.gitattributes` and the repository's config; run it again in
 * every clone, since git does not copy config). Running it again changes nothing.
 */
export async function init(opts: { cwd?: string } = {}): Promise<InitResult> {
  const root = resolve(opts.cwd ?? process.cwd());
  const created: string[] = [];
  const write = (rel: string, text: string) => {
    if (existsSync(join(root, rel))) return;
    writeFileSync(join(root, rel), text);
    created.push(rel);
  };
  if (prepareStateDir(root)) created.push(`${STATE_DIR}/.gitignore`);
  write(PIPELINE_FILE, STARTER);
  const gitRoot = findGitRoot(root);
  if (gitRoot !== undefined) {
    const attributes = readTextOrNull(join(root, '.gitattributes'));
    if (!attributes?.split('\n').some((l) => l.trim() === ATTRIBUTE)) {
      writeFileSync(
        join(root, '.gitattributes'),
        `${attributes ?? ''}${attributes && !attributes.endsWith('\n') ? '\n' : ''}${ATTRIBUTE}\n`,
      );
      created.push('.gitattributes');
    }
    const git = await import('isomorphic-git');
    const key = `merge.${MERGE_DRIVER}.driver`;
    if ((await git.getConfig({ fs, dir: gitRoot, path: key })) !== DRIVER_COMMAND) {
      await git.setConfig({ fs, dir: gitRoot, path: `merge.${MERGE_DRIVER}.name`, value: 'gitml: merge ml.lock.json stage by stage' });
      await git.setConfig({ fs, dir: gitRoot, path: key, value: DRIVER_COMMAND });
      created.push(`merge driver ${MERGE_DRIVER} in .git/config`);
    }
  }
  return { root, created, git: gitRoot !== undefined };
}

function findGitRoot(dir: string): string | undefined {
  for (let d = dir; ;) {
    if (existsSync(join(d, '.git'))) return d;
    const parent = resolve(d, '..');
    if (parent === d) return undefined;
    d = parent;
  }
}
