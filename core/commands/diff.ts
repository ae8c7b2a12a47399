import { Cache } from '../cache/cache.js';
import { directionOf, diffOutputs, diffStages, diffValues, outputsOf, type OutputDiff, type StageDiff, type ValueDiff } from '../diff/diff.js';
import { readRevisionState, type RevisionState } from '../diff/state.js';
import { openRepo, openSnapshot, WORKSPACE, type Repo, type Revision, type Snapshot } from '../git/revision.js';
import { lockEntry } from '../lockfile/entry.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import { Workspace, findRoot } from '../workspace.js';

export interface DiffOptions {
  cwd?: string;
  /** Old side; default HEAD. */
  a?: string;
  /** New side; default the workspace. */
  b?: string;
  /** Keep unchanged values too. */
  all?: boolean;
}

export interface ValuesDiffResult {
  a: Revision;
  b: Revision;
  rows: ValueDiff[];
  /** Revision name -> file -> why it could not be read. */
  errors: Record<string, Record<string, string>>;
}

export interface FullDiffResult {
  a: Revision;
  b: Revision;
  params: ValueDiff[];
  metrics: ValueDiff[];
  stages: StageDiff[];
  outputs: OutputDiff[];
  errors: Record<string, Record<string, string>>;
}

/** The two sides of a diff, with the snapshots they were read from, for callers that read more files at them. */
export interface OpenPair {
  root: string;
  states: [RevisionState, RevisionState];
  snapshots: [Snapshot, Snapshot];
  /** Reads a cache object's text (metrics or plots files kept in the cache rather than in git). */
  readObject: (hash: string) => string | null;
}

/** Opens the two sides of a diff. Both come from one repository handle, so objects are read once. */
export async function openPair(opts: DiffOptions): Promise<OpenPair> {
  const root = findRoot(opts.cwd ?? process.cwd());
  const names = [opts.a ?? 'HEAD', opts.b ?? WORKSPACE];
  let repo: Repo | undefined;
  if (names.some((n) => n !== WORKSPACE)) repo = await openRepo(root);
  const readObject = new Cache(root).readText;
  const snapshots = await Promise.all(names.map((n) => openSnapshot(root, n, repo)));
  const states = await Promise.all(snapshots.map((s) => readRevisionState(s, readObject)));
  return { root, states: [states[0]!, states[1]!], snapshots: [snapshots[0]!, snapshots[1]!], readObject };
}

/** Reads the two sides of a diff. */
export async function loadPair(opts: DiffOptions): Promise<[RevisionState, RevisionState]> {
  return (await openPair(opts)).states;
}

function errorsOf(a: RevisionState, b: RevisionState, pick: (s: RevisionState) => Record<string, string>) {
  const out: Record<string, Record<string, string>> = {};
  for (const s of [a, b]) if (Object.keys(pick(s)).length) out[s.rev.name] = pick(s);
  return out;
}

function metricRows(a: RevisionState, b: RevisionState, all?: boolean): ValueDiff[] {
  const out = (file: string) => b.metricOuts.get(file) ?? a.metricOuts.get(file);
  return diffValues(a.metrics, b.metrics, {
    all,
    better: (file, key) => directionOf(out(file)?.better, key),
    precision: (file) => out(file)?.precision,
  });
}

/** `gitml metrics diff [A] [B]`. */
export async function metricsDiff(opts: DiffOptions = {}): Promise<ValuesDiffResult> {
  const [a, b] = await loadPair(opts);
  return { a: a.rev, b: b.rev, rows: metricRows(a, b, opts.all), errors: errorsOf(a, b, (s) => s.metricErrors) };
}

/** `gitml params diff [A] [B]`. */
export async function paramsDiff(opts: DiffOptions = {}): Promise<ValuesDiffResult> {
  const [a, b] = await loadPair(opts);
  return { a: a.rev, b: b.rev, rows: diffValues(a.params, b.params, { all: opts.all }), errors: {} };
}

/**
 * `gitml diff [A] [B]`: params, metrics, stages whose lock entries differ, and outputs whose content differs. On the
 * workspace side, outputs are hashed as they are on disk (through the stat cache), so an edit not yet reproduced shows.
 */
export async function fullDiff(opts: DiffOptions = {}): Promise<FullDiffResult> {
  const [a, b] = await loadPair(opts);
  const sideOutputs = async (s: RevisionState) => (s.rev.oid ? outputsOf(s.lock) : workspaceOutputs(opts.cwd, s));
  const [oa, ob] = await Promise.all([sideOutputs(a), sideOutputs(b)]);
  const metricFile = (p: string) => a.metricOuts.has(p) || b.metricOuts.has(p);
  return {
    a: a.rev,
    b: b.rev,
    params: diffValues(a.params, b.params, { all: opts.all }),
    metrics: metricRows(a, b, opts.all),
    stages: diffStages(a.lock, b.lock),
    outputs: diffOutputs(oa, ob, metricFile),
    errors: errorsOf(a, b, (s) => s.metricErrors),
  };
}

/** The outputs the workspace's pipeline declares, hashed as they are now (missing ones left out). */
async function workspaceOutputs(cwd: string | undefined, s: RevisionState): Promise<Map<string, { stage: string; entry: LockEntry }>> {
  if (!s.pipeline) return new Map();
  return Workspace.use(cwd, async (ws) => {
    const outs = s.pipeline!.stages.flatMap((st) => st.outs.map((o) => ({ stage: st.name, out: o })));
    await ws.hasher.hashAll(outs.map((o) => o.out.path));
    const map = new Map<string, { stage: string; entry: LockEntry }>();
    for (const { stage, out } of outs) {
      const info = ws.hasher.hash(out.path);
      if (info) map.set(out.path, { stage, entry: lockEntry(info, out.cache) });
    }
    return map;
  });
}
