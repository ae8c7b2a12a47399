import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { WorkflowExistsError } from '../ci/errors.js';
import { CONFIG_FILE, loadConfig } from '../config.js';
import { readTextOrNull, writeFileAtomic } from '../util/fs.js';
import { findRoot, prepareStateDir } from '../workspace.js';

/**
 * The user's workflow: the whole pull-request loop is the reusable workflow it calls. A pipeline below the
 * repository root passes its directory, and gets a workflow (and a comment) of its own.
 */
export function userWorkflow(workingDirectory = '.'): string {
  const sub = workingDirectory !== '.';
  return [
    `name: ${sub ? `gitml (${workingDirectory})` : 'gitml'}`,
    'on:',
    '  pull_request:',
    'permissions:',
    '  contents: read',
    '  pull-requests: write',
    '  checks: write',
    'jobs:',
    '  gitml:',
    '    uses: gitml/gitml/.github/workflows/pull-request.yml@v0',
    '    secrets: inherit',
    ...(sub ? ['    with:', `      working-directory: ${JSON.stringify(workingDirectory)}`] : []),
    '',
  ].join('\n');
}

/** The workflow for a pipeline at the repository root. */
export const WORKFLOW = userWorkflow();

/** Where the workflow goes, relative to the repository root: GitHub reads workflows only from there. */
export function workflowFile(workingDirectory = '.'): string {
  if (workingDirectory === '.') return '.github/workflows/gitml.yml';
  return `.github/workflows/gitml-${workingDirectory.replace(/[^A-Za-z0-9._]+/g, '-').replace(/^-+|-+$/g, '')}.yml`;
}

/** Where groups of stages run when .ml/config.yaml says nothing: GPU groups on a self-hosted GPU runner. */
export const DEFAULT_RUNNERS = { gpu: ['self-hosted', 'linux', 'gpu'], default: 'ubuntu-latest' };

export interface CiInitOptions {
  /** Directory inside the workspace. @default process.cwd() */
  cwd?: string;
  /** Replace an existing workflow file. @default false */
  force?: boolean;
}

export interface CiInitResult {
  /** Files written, relative to the workspace root. */
  written: string[];
  /** Whether the workflow file replaced one that was there. */
  replaced: boolean;
  /** Whether a default remote is configured (jobs exchange results through its run-cache). */
  hasRemote: boolean;
}

/** The top of the git repository holding `dir`: the nearest directory with a `.git` entry (a folder, or a file in a worktree). */
function gitRoot(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/**
 * `gitml ci init`: writes the GitHub Actions workflow at the root of the git repository (for a pipeline in a
 * subdirectory, one of its own that passes that directory) and, when .ml/config.yaml has no `ci:`
 * key, default runners (edited through the YAML document, so comments and key order survive).
 */
export function ciInit(opts: CiInitOptions = {}): CiInitResult {
  const root = findRoot(opts.cwd ?? process.cwd());
  const repoRoot = gitRoot(root) ?? root;
  const workingDirectory = toPosix(relative(repoRoot, root)) || '.';
  const workflow = join(repoRoot, workflowFile(workingDirectory));
  const shown = toPosix(relative(root, workflow));
  const replaced = existsSync(workflow);
  if (replaced && !opts.force) throw new WorkflowExistsError(shown);

  const configPath = join(root, CONFIG_FILE);
  const text = readTextOrNull(configPath) ?? '';
  // Reports a config that does not parse or validate, with line and column, before anything is written.
  const config = loadConfig((p) => readTextOrNull(join(root, p)));
  const doc = parseDocument(text);
  const addRunners = !(isMap(doc.contents) && doc.has('ci'));
  let next: string | undefined;
  if (addRunners) {
    const ci = doc.createNode({ runners: DEFAULT_RUNNERS });
    // `gpu: [self-hosted, linux, gpu]` reads as the one runs-on value it is.
    const gpu = ci.getIn(['runners', 'gpu'], true);
    if (isSeq(gpu)) gpu.flow = true;
    doc.set('ci', ci);
    next = doc.toString();
    loadConfig((p) => (p === CONFIG_FILE ? next! : readTextOrNull(join(root, p))));
  }

  writeFileAtomic(workflow, userWorkflow(workingDirectory));
  const written = [shown];
  if (next !== undefined) {
    prepareStateDir(root);
    writeFileAtomic(configPath, next);
    written.push(CONFIG_FILE);
  }
  const hasRemote = config.defaultRemote !== undefined && config.remotes[config.defaultRemote] !== undefined;
  return { written, replaced, hasRemote };
}
