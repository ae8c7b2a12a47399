import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { GitmlError } from '../errors.js';
import type { Repo } from '../git/revision.js';
import { suggest } from '../util/suggest.js';
import { compareStrings, decodeSpecial, jsonReplacer } from '../util/canonical.js';

/** Experiments are commits under this ref namespace: outside branches, so they never show in `git branch`. */
export const EXP_REFS = 'refs/exps/';

/** What an experiment records about its run, kept in its commit message. */
export interface ExperimentInfo {
  name: string;
  /** The commit it started from. */
  base: string;
  /** `-S` overrides, as `file:key` -> value. */
  params: Record<string, unknown>;
  user: string;
  host: string;
  started: string;
  finished: string;
  durationS: number;
  node: string;
  gitml: string;
  /** The training backend a stage reported (a top-level `backend` in a metrics file), when there is one. */
  backend?: string;
  /** Data the pipeline read (dependencies no stage produces), path -> hash. */
  data: Record<string, string>;
  /** 0 when every stage succeeded. */
  exitCode: number;
}

export interface Experiment {
  name: string;
  oid: string;
  info: ExperimentInfo;
}

const TRAILER = 'gitml-exp: ';

/** A valid experiment name: usable in a ref and on a command line. */
export function checkExperimentName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || name.includes('..') || name.endsWith('.lock'))
    throw new GitmlError(
      'E_BAD_EXPERIMENT_NAME',
      `\`${name}\` is not a valid experiment name: use letters, digits, \`_\`, \`.\` and \`-\``,
    );
}

export function experimentMessage(info: ExperimentInfo, summary: string): string {
  // Params keep NaN, infinities and big integers apart, encoded as the lockfile encodes them.
  return `exp ${info.name}: ${summary || 'no parameter changes'}\n\n${TRAILER}${JSON.stringify(info, jsonReplacer)}\n`;
}

function parseInfo(message: string): ExperimentInfo | undefined {
  const line = message.split('\n').find((l) => l.startsWith(TRAILER));
  if (!line) return undefined;
  try {
    return decodeSpecial(JSON.parse(line.slice(TRAILER.length))) as ExperimentInfo;
  } catch {
    return undefined;
  }
}

/** Every experiment, sorted by start time (then name). Refs whose commits carry no experiment record are skipped. */
export async function listExperiments(repo: Repo): Promise<Experiment[]> {
  const { git, gitRoot: dir, cache } = repo;
  const names = await git.listRefs({ fs, dir, filepath: EXP_REFS.slice(0, -1) }).catch(() => [] as string[]);
  const out: Experiment[] = [];
  for (const name of names) {
    const oid = await git.resolveRef({ fs, dir, ref: `${EXP_REFS}${name}` });
    const { commit } = await git.readCommit({ fs, dir, oid, cache });
    const info = parseInfo(commit.message);
    if (info) out.push({ name, oid, info });
  }
  return out.sort((a, b) => compareStrings(a.info.started, b.info.started) || compareStrings(a.name, b.name));
}

export async function findExperiment(repo: Repo, name: string): Promise<Experiment> {
  const all = await listExperiments(repo);
  const hit = all.find((e) => e.name === name);
  if (hit) return hit;
  const guess = suggest(
    name,
    all.map((e) => e.name),
  );
  const hint = guess ? `; did you mean \`${guess}\`?` : all.length ? '; see `gitml exp show`' : '; there are none yet (`gitml exp run`)';
  throw new GitmlError('E_UNKNOWN_EXPERIMENT', `no experiment named \`${name}\`${hint}`, { data: { name } });
}

/** A file to put into an experiment commit (`null` removes it). */
export type TreeChange = { bytes: Uint8Array; exec: boolean } | null;

/**
 * Writes a commit whose tree is `base`'s with `changes` applied (paths relative to the workspace, which may sit in a
 * subdirectory of the repository), and points `refs/exps/<name>` at it.
 */
export async function commitExperiment(
  repo: Repo,
  base: string,
  changes: Map<string, TreeChange>,
  message: string,
  name: string,
  author: { name: string; email: string },
): Promise<string> {
  const { git, gitRoot: dir, cache } = repo;
  const { commit } = await git.readCommit({ fs, dir, oid: base, cache });
  const full = new Map([...changes].map(([p, c]) => [repo.prefix ? `${repo.prefix}/${p}` : p, c]));
  const tree = (await updateTree(repo, commit.tree, full)) ?? (await git.writeTree({ fs, dir, tree: [] }));
  const now = Math.floor(Date.now() / 1000);
  const person = { ...author, timestamp: now, timezoneOffset: new Date().getTimezoneOffset() };
  const oid = await git.writeCommit({ fs, dir, commit: { message, tree, parent: [base], author: person, committer: person } });
  await git.writeRef({ fs, dir, ref: `${EXP_REFS}${name}`, value: oid, force: true });
  return oid;
}

/** The tree `oid` with `changes` (paths relative to it) applied; `undefined` when nothing is left in it. */
async function updateTree(repo: Repo, oid: string | undefined, changes: Map<string, TreeChange>): Promise<string | undefined> {
  const { git, gitRoot: dir, cache } = repo;
  const entries = oid ? (await git.readTree({ fs, dir, oid, cache })).tree : [];
  const byName = new Map(entries.map((e) => [e.path, e]));
  const nested = new Map<string, Map<string, TreeChange>>();
  for (const [path, change] of changes) {
    const cut = path.indexOf('/');
    if (cut < 0) {
      if (change === null) byName.delete(path);
      else {
        const blob = await git.writeBlob({ fs, dir, blob: change.bytes });
        byName.set(path, { path, oid: blob, type: 'blob', mode: change.exec ? '100755' : '100644' });
      }
    } else {
      const head = path.slice(0, cut);
      if (!nested.has(head)) nested.set(head, new Map());
      nested.get(head)!.set(path.slice(cut + 1), change);
    }
  }
  for (const [name, sub] of nested) {
    const current = byName.get(name);
    const child = await updateTree(repo, current?.type === 'tree' ? current.oid : undefined, sub);
    if (child === undefined) byName.delete(name);
    else byName.set(name, { path: name, oid: child, type: 'tree', mode: '040000' });
  }
  if (!byName.size) return undefined;
  return git.writeTree({ fs, dir, tree: [...byName.values()] });
}

/** The author git would use here (user.name/user.email), or a description of this machine's user. */
export async function gitAuthor(repo: Repo): Promise<{ name: string; email: string }> {
  // The repository's config first, then git's own lookup (global and system files, which isomorphic-git does not read).
  const get = async (path: string) =>
    ((await repo.git.getConfig({ fs, dir: repo.gitRoot, path }).catch(() => undefined)) as string | undefined) ??
    (spawnSync('git', ['config', '--get', path], { cwd: repo.gitRoot, encoding: 'utf8' }).stdout?.trim() || undefined);
  const name = (await get('user.name')) ?? process.env.GIT_AUTHOR_NAME ?? process.env.USER ?? 'gitml';
  const email = (await get('user.email')) ?? process.env.GIT_AUTHOR_EMAIL ?? `${name}@localhost`;
  return { name, email };
}
