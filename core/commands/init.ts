import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PIPELINE_FILE } from '../pipeline/parse.js';
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

/** Creates `.ml/` (with the .gitignore for its local parts) and a starter ml.yaml where missing. Running it again changes nothing. */
export function init(opts: { cwd?: string } = {}): InitResult {
  const root = resolve(opts.cwd ?? process.cwd());
  const created: string[] = [];
  const write = (rel: string, text: string) => {
    if (existsSync(join(root, rel))) return;
    writeFileSync(join(root, rel), text);
    created.push(rel);
  };
  if (prepareStateDir(root)) created.push(`${STATE_DIR}/.gitignore`);
  write(PIPELINE_FILE, STARTER);
  return { root, created, git: insideGit(root) };
}

function insideGit(dir: string): boolean {
  for (let d = dir; ; ) {
    if (existsSync(join(d, '.git'))) return true;
    const parent = resolve(d, '..');
    if (parent === d) return false;
    d = parent;
  }
}
