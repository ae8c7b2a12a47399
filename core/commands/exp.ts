import { spawn } from 'node:child_process';
import fs, { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { packageVersion } from '../cli/version.js';
import { readRevisionState, type RevisionState } from '../diff/state.js';
import { GitmlError, InterruptedError, InvalidPipelineError, UsageError } from '../errors.js';
import {
  checkExperimentName,
  commitExperiment,
  EXP_REFS,
  experimentMessage,
  findExperiment,
  gitAuthor,
  listExperiments,
} from '../exp/refs.js';
import type { Experiment, ExperimentInfo, TreeChange } from '../exp/refs.js';
import { combinations, describeSet, parseSweep, type ParamSet } from '../exp/sweep.js';
import { commitFiles, copyTracked, makeScratch, trackedFiles } from '../git/scratch.js';
import { commitSnapshot, openRepo, resolveRevision, workspaceSnapshot, type Repo } from '../git/revision.js';
import { LOCKFILE } from '../lockfile/lockfile.js';
import { flattenKeys, getKey, readParamsFile } from '../pipeline/params.js';
import type { ReadText } from '../pipeline/types.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import type { ProcessGroup } from '../run/processes.js';
import { compareStrings } from '../util/canonical.js';
import { suggest } from '../util/suggest.js';
import { readTextOrNull, writeFileAtomic } from '../util/fs.js';
import { findRoot } from '../workspace.js';
import { checkout } from './checkout.js';

const BIN = fileURLToPath(new URL('../cli/bin.js', import.meta.url));

export interface ExpRunOptions {
  cwd?: string;
  /** `-S` options: `[file:]key=value[,value...]`. */
  set?: string[];
  /** The experiment's name; a sweep numbers its runs `NAME-1`, `NAME-2`, ... */
  name?: string;
  /** Experiments run at once. @default 1 */
  jobs?: number;
  processes?: ProcessGroup;
  print?: (line: string) => void;
}

export interface ExpRunResult {
  experiments: { name: string; oid: string; params: ParamSet; exitCode: number }[];
}

/**
 * Runs the pipeline once per combination of `-S` values, each in its own scratch workspace made from the tracked files
 * of the working tree (uncommitted edits included) and sharing the object cache. The user's working tree, index and
 * branch are never written. Each run, failed ones too, is committed under `refs/exps/<name>` with its params,
 * lockfile, uncached outputs (metrics, plots) and a record of how it ran.
 */
export async function expRun(opts: ExpRunOptions = {}): Promise<ExpRunResult> {
  const root = findRoot(opts.cwd ?? process.cwd());
  const repo = await openRepo(root);
  let base: string;
  try {
    base = (await resolveRevision(repo, 'HEAD')).oid!;
  } catch (err) {
    throw new GitmlError('E_NO_COMMIT', 'experiments start from a commit: commit the pipeline first (`git add -A && git commit`)', {
      cause: err,
    });
  }
  const sets = combinations((opts.set ?? []).map(parseSweep));
  const existing = new Set((await listExperiments(repo)).map((e) => e.name));
  const names = sets.map((set, i) => {
    const name = opts.name ? (sets.length > 1 ? `${opts.name}-${i + 1}` : opts.name) : autoName(base, set, i);
    checkExperimentName(name);
    if (existing.has(name))
      throw new UsageError(`an experiment named \`${name}\` exists; choose another -n or run \`gitml exp remove ${name}\``);
    return name;
  });
  // Every override must name a key that exists, before anything runs.
  const readText = (path: string) => readTextOrNull(join(root, path));
  for (const set of sets) for (const p of set) checkParam(readText, p);

  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, sets.length));
  const stageJobs = Math.max(1, Math.floor(availableParallelism() / jobs));
  const print = opts.print ?? (() => {});
  const prefix = sets.length > 1;
  const { default: pLimit } = await import('p-limit');
  const limit = pLimit(jobs);
  const results = await Promise.all(
    sets.map((set, i) =>
      limit(async () => {
        if (opts.processes?.stopping) throw new InterruptedError(opts.processes.stopping === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
        const name = names[i]!;
        print(`Running experiment ${name}${set.length ? ` (${describeSet(set)})` : ''}`);
        const r = await runOne(repo, root, base, name, set, stageJobs, opts.processes, prefix ? (l) => print(`[${name}] ${l}`) : print);
        print(`Experiment ${name} ${r.exitCode === 0 ? 'finished' : `failed (exit ${r.exitCode})`}: ${EXP_REFS}${name}`);
        return r;
      }),
    ),
  );
  const stopped = opts.processes?.stopping;
  if (stopped) throw new InterruptedError(stopped === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  return { experiments: results };
}

function autoName(base: string, set: ParamSet, i: number): string {
  const stamp = Date.now().toString(36);
  return `exp-${base.slice(0, 7)}-${stamp}${set.length ? `-${i + 1}` : ''}`;
}

/** An override must name a key its params file has (a typo would otherwise add a key nothing reads). */
function checkParam(readText: ReadText, p: { file: string; key: string }): void {
  const parsed = readParamsFile(p.file, readText);
  if ('problem' in parsed) throw new InvalidPipelineError([parsed.problem]);
  if (!getKey(parsed.value, p.key).found) {
    const guess = suggest(p.key, Object.keys(flattenKeys(parsed.value)));
    throw new UsageError(`-S ${p.key}: ${p.file} has no key \`${p.key}\`${guess ? `; did you mean \`${guess}\`?` : ''}`);
  }
}

async function runOne(
  repo: Repo,
  root: string,
  base: string,
  name: string,
  set: ParamSet,
  jobs: number,
  processes: ProcessGroup | undefined,
  print: (line: string) => void,
): Promise<{ name: string; oid: string; params: ParamSet; exitCode: number }> {
  const started = new Date();
  const dir = makeScratch(root, `exp-${name}`);
  try {
    await copyTracked(repo, root, dir);
    // Outputs already in the cache are put in place, so only stages the overrides change run.
    await checkout({ cwd: dir }).catch(() => []);
    for (const file of new Set(set.map((p) => p.file))) {
      // Big integers as bigints, so keys the overrides leave alone keep every digit when the file is written back.
      const doc = parseDocument(readFileSync(join(dir, file), 'utf8'), { intAsBigInt: true });
      for (const p of set.filter((q) => q.file === file)) doc.setIn(p.key.split('.'), p.value);
      writeFileAtomic(join(dir, file), doc.toString());
    }
    const exitCode = await runChild(dir, ['repro', '-j', String(jobs)], root, name, processes, print);
    const finished = new Date();

    const state = await readRevisionState(workspaceSnapshot(dir));
    const author = await gitAuthor(repo);
    const info: ExperimentInfo = {
      name,
      base,
      params: Object.fromEntries(set.map((p) => [`${p.file}:${p.key}`, p.value])),
      user: `${author.name} <${author.email}>`,
      host: hostname(),
      started: started.toISOString(),
      finished: finished.toISOString(),
      durationS: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
      node: process.version,
      gitml: packageVersion(),
      ...backendOf(state),
      data: dataHashes(state),
      exitCode,
    };
    const changes = await changedFiles(repo, base, dir, state);
    const oid = await commitExperiment(repo, base, changes, experimentMessage(info, describeSet(set)), name, author);
    return { name, oid, params: set, exitCode };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the gitml CLI in the scratch workspace as its own process group; its output goes to `print` and a log. */
function runChild(
  dir: string,
  args: string[],
  root: string,
  name: string,
  processes: ProcessGroup | undefined,
  print: (line: string) => void,
): Promise<number> {
  const logDir = join(root, '.ml/logs/exps');
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${name}.log`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    processes?.add(child);
    let pending = '';
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) print(l);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (pending) print(pending);
      log.end();
      resolve(code ?? (signal === 'SIGTERM' ? 143 : 130));
    });
  });
}

function backendOf(state: RevisionState): { backend?: string } {
  for (const values of Object.values(state.metrics)) if (typeof values.backend === 'string') return { backend: values.backend };
  return {};
}

/** Dependencies no stage produces: the data the run read, with their hashes. */
function dataHashes(state: RevisionState): Record<string, string> {
  const produced = new Set(Object.values(state.lock.stages).flatMap((s) => Object.keys(s.outs)));
  const data: Record<string, string> = {};
  for (const s of Object.values(state.lock.stages))
    for (const [path, entry] of Object.entries(s.deps)) if (!produced.has(path)) data[path] = entry.hash;
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => compareStrings(a, b)));
}

/**
 * What the experiment commit changes relative to its base: every tracked file as it was run (params overrides and
 * uncommitted edits), the lockfile, and the uncached outputs (metrics, plots), which git carries.
 */
async function changedFiles(repo: Repo, base: string, dir: string, state: RevisionState): Promise<Map<string, TreeChange>> {
  const inBase = await commitFiles(repo, base);
  const candidates = new Set([
    ...(await trackedFiles(repo)),
    LOCKFILE,
    ...(state.pipeline?.stages ?? []).flatMap((s) => s.outs.filter((o) => !o.cache).map((o) => o.path)),
  ]);
  const changes = new Map<string, TreeChange>();
  for (const path of candidates) {
    const abs = join(dir, path);
    const before = inBase.get(path);
    if (!existsSync(abs)) {
      if (before) changes.set(path, null);
      continue;
    }
    const bytes = readFileSync(abs);
    const oid = (await repo.git.hashBlob({ object: bytes })).oid;
    if (before?.oid !== oid) changes.set(path, { bytes, exec: before ? before.mode === 0o100755 : false });
  }
  return changes;
}

export interface ExpRow {
  name: string;
  /** `undefined` for the baseline row (HEAD). */
  experiment?: Experiment;
  rev: string;
  state: RevisionState;
}

/** The baseline (HEAD) and every experiment, each with its params and metrics. */
export async function expShow(opts: { cwd?: string } = {}): Promise<ExpRow[]> {
  const root = findRoot(opts.cwd ?? process.cwd());
  const repo = await openRepo(root);
  const rows: ExpRow[] = [];
  try {
    const head = await resolveRevision(repo, 'HEAD');
    rows.push({ name: 'HEAD', rev: head.short, state: await readRevisionState(commitSnapshot(repo, head)) });
  } catch {
    // No commit yet: no baseline row.
  }
  for (const e of await listExperiments(repo)) {
    const state = await readRevisionState(commitSnapshot(repo, { name: e.name, oid: e.oid, short: e.oid.slice(0, 7) }));
    rows.push({ name: e.name, experiment: e, rev: e.oid.slice(0, 7), state });
  }
  return rows;
}

/**
 * Writes an experiment's params, lockfile and uncached outputs into the workspace, then restores its cached outputs.
 * Files with uncommitted edits are not overwritten unless `force`.
 */
export async function expApply(opts: { cwd?: string; name: string; force?: boolean }): Promise<{ files: string[]; restored: string[] }> {
  const root = findRoot(opts.cwd ?? process.cwd());
  // Held from the first check to the last write, so a running repro cannot interleave with (or half-refuse) an apply.
  const release = acquireWorkspaceGuard(root);
  try {
    return await applyExperiment(root, opts);
  } finally {
    release();
  }
}

async function applyExperiment(root: string, opts: { name: string; force?: boolean }): Promise<{ files: string[]; restored: string[] }> {
  const repo = await openRepo(root);
  const exp = await findExperiment(repo, opts.name);
  const [mine, parent] = await Promise.all([commitFiles(repo, exp.oid), commitFiles(repo, exp.info.base)]);
  const head = await commitFiles(repo, (await resolveRevision(repo, 'HEAD')).oid!);
  const files = [...new Set([...mine.keys(), ...parent.keys()])].filter((p) => mine.get(p)?.oid !== parent.get(p)?.oid).sort();
  if (!opts.force) {
    const dirty: string[] = [];
    for (const path of files) {
      const abs = join(root, path);
      const committed = head.get(path)?.oid;
      const current = existsSync(abs) ? (await repo.git.hashBlob({ object: readFileSync(abs) })).oid : undefined;
      if (current !== committed && current !== mine.get(path)?.oid) dirty.push(path);
    }
    if (dirty.length)
      throw new GitmlError(
        'E_WORKSPACE_DIRTY',
        `${dirty.join(', ')} ${dirty.length === 1 ? 'has' : 'have'} uncommitted changes that applying ${opts.name} would overwrite; commit or stash them, or pass --force`,
        { data: { files: dirty } },
      );
  }
  // Every object the experiment's outputs need must be at hand before a file changes, so a missing one leaves the
  // workspace as it was rather than half applied.
  await checkout({ cwd: root, rev: exp.oid, label: opts.name, checkOnly: true });
  // A corrupt object is only found while it is copied, after these files changed: keep them to put back.
  const previous = new Map(files.map((path) => [path, existsSync(join(root, path)) ? readFileSync(join(root, path)) : null]));
  for (const path of files) {
    const file = mine.get(path);
    if (!file) rmSync(join(root, path), { force: true });
    else {
      const { blob } = await repo.git.readBlob({ fs, dir: repo.gitRoot, oid: file.oid, cache: repo.cache });
      writeFileAtomic(join(root, path), blob);
    }
  }
  let entries: Awaited<ReturnType<typeof checkout>>;
  try {
    entries = await checkout({ cwd: root });
  } catch (err) {
    await putBack(root, previous);
    if (err instanceof GitmlError && err.exitCode === 1)
      throw new GitmlError(err.code, `${err.message}\nNothing of ${opts.name} was applied: the workspace is as it was.`, {
        exitCode: 1,
        data: err.data,
        cause: err,
      });
    throw err;
  }
  const failed = entries.filter((e) => e.result === 'error');
  if (failed.length) {
    await putBack(root, previous);
    throw new GitmlError(
      'E_CHECKOUT_INCOMPLETE',
      `${failed.map((e) => e.message).join('; ')}\nNothing of ${opts.name} was applied: the workspace is as it was.`,
      { exitCode: 1, data: { failed: failed.map((e) => e.path) } },
    );
  }
  const restored = entries.filter((e) => e.result === 'restored').map((e) => e.path);
  return { files, restored };
}

/**
 * Undoes a half-done apply: the params, lockfile and committed outputs get their previous bytes back, then the cached
 * outputs are restored to that lockfile again (their objects are in the cache: they were in the workspace).
 */
async function putBack(root: string, previous: Map<string, Buffer | null>): Promise<void> {
  for (const [path, bytes] of previous) {
    if (bytes === null) rmSync(join(root, path), { force: true });
    else writeFileAtomic(join(root, path), bytes);
  }
  await checkout({ cwd: root }).catch(() => undefined);
}

/** Points a new branch at an experiment's commit, so it can be pushed and opened as a pull request. */
export async function expBranch(opts: { cwd?: string; name: string; branch: string }): Promise<{ oid: string }> {
  const root = findRoot(opts.cwd ?? process.cwd());
  const repo = await openRepo(root);
  const exp = await findExperiment(repo, opts.name);
  try {
    await repo.git.branch({ fs, dir: repo.gitRoot, ref: opts.branch, object: exp.oid, checkout: false });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'AlreadyExistsError') throw new UsageError(`a branch named \`${opts.branch}\` already exists`);
    if (code === 'InvalidRefNameError') throw new UsageError(`\`${opts.branch}\` is not a valid branch name`);
    throw err;
  }
  return { oid: exp.oid };
}

/** Deletes experiments' refs (their commits go with git's own garbage collection). */
export async function expRemove(opts: { cwd?: string; names: string[]; all?: boolean }): Promise<string[]> {
  const root = findRoot(opts.cwd ?? process.cwd());
  const repo = await openRepo(root);
  const targets = opts.all ? (await listExperiments(repo)).map((e) => e.name) : opts.names;
  if (!opts.all && !targets.length) throw new UsageError('name the experiments to remove, or pass --all');
  for (const name of targets) await findExperiment(repo, name);
  for (const name of targets) await repo.git.deleteRef({ fs, dir: repo.gitRoot, ref: `${EXP_REFS}${name}` });
  return targets;
}
