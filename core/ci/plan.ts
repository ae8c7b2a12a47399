import { RunCache, type RunRecord } from '../cache/run-cache.js';
import { topoOrder, type Graph } from '../graph/build.js';
import type { HashInfo, Manifest } from '../hash/hash-path.js';
import type { LockEntry, Lockfile, StageLock } from '../lockfile/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import { lockKeyRecord, stageKeyRecord, type StageKeyRecord } from '../plan/stage-key.js';
import { stageStatus } from '../plan/stage-status.js';
import { compareStrings } from '../util/canonical.js';
import { isWithin } from '../util/paths.js';
import { NoGpuRunnerError, RunnerConflictError } from './errors.js';

/**
 * - `run`: must run in CI; nothing stored gives its outputs.
 * - `restore`: its key has a run-cache entry whose objects are all at hand (local cache or remote).
 * - `up-to-date`: its key is the one ml.lock.json records, and the recorded outputs are at hand.
 * - `frozen`: never runs.
 */
export type CiAction = 'run' | 'restore' | 'up-to-date' | 'frozen';

export interface CiStagePlan {
  name: string;
  action: CiAction;
  /** Why it runs (or, with a base, what changed against it); empty for an up-to-date stage with no base changes. */
  reasons: string[];
  /** The stage key (`blake3:...`); `null` when it cannot be known before an upstream runs, or for a frozen stage. */
  key: string | null;
}

/** A GitHub Actions `runs-on` value: one label, or labels a runner must carry all of. */
export type RunsOn = string | string[];

export interface CiGroup {
  /** The group's first stage in topological order. */
  name: string;
  /** In topological order. */
  stages: string[];
  runs_on: RunsOn;
  /** The union of its stages' resources: the largest `gpu`, every label (sorted). */
  resources: { gpu: number; labels: string[] };
}

export interface CiPlan {
  has_work: boolean;
  /** Every stage, in topological order. */
  stages: CiStagePlan[];
  /** Stages that must run, split into groups that can run in parallel; ordered by their first stage. */
  groups: CiGroup[];
}

/**
 * What the planner asks of the world, supplied by the caller (the CLI reads the workspace, the cache and the remote;
 * tests pass maps). Lookups that may touch a remote are asynchronous.
 */
export interface CiLookups {
  /** A path's content hash in the workspace (a git-tracked input, a committed metrics file), or `null` when absent. */
  workspaceHash(path: string): HashInfo | null;
  /** Whether every object behind this entry (for a directory: its manifest and files) is in the local cache or on the remote. */
  stored(entry: LockEntry): Promise<boolean>;
  /** The run-cache record of a stage key, from the local run-cache or the remote's; `undefined` when neither has it. */
  runRecord(key: string): Promise<RunRecord | undefined>;
  /** A directory's manifest, from the local cache or the remote; `undefined` when neither has it. */
  manifest(hash: string): Promise<Manifest | undefined>;
  /** The stage key of a record (the hash of its canonical bytes, `serializeStageKey`). */
  stageKey(record: StageKeyRecord): string;
  /** The hash of a directory with this content (the hash of `serializeManifest`). */
  treeHash(manifest: Manifest): string;
}

export interface CiPlanInputs {
  graph: Graph;
  /** The head's ml.lock.json. */
  lock: Lockfile;
  /** The base revision's ml.lock.json: what changed against it is added to the reasons. */
  baseLock?: Lockfile;
  /** `ci.runners` of .ml/config.yaml. */
  runners?: Record<string, RunsOn>;
  lookups: CiLookups;
}

export const DEFAULT_RUNNER = 'ubuntu-latest';

/** The hashes a stage's outputs will have in CI, or `null` when it must run first. */
type Produced = Record<string, LockEntry> | null;

/**
 * Decides, stage by stage in topological order, what CI must do, then groups the stages that must run. Never treats
 * an output missing from the workspace as a reason by itself: CI checks out only what git tracks.
 */
export async function planCi(inputs: CiPlanInputs): Promise<CiPlan> {
  const { graph, lock, lookups } = inputs;
  const order = topoOrder(graph);
  const produced = new Map<string, Produced>();
  const stages: CiStagePlan[] = [];

  for (const name of order) {
    const stage = graph.stages.get(name)!;
    const locked = lock.stages[name];
    if (stage.frozen) {
      produced.set(name, locked?.outs ?? null);
      stages.push({ name, action: 'frozen', reasons: ['frozen'], key: null });
      continue;
    }
    const deps = await resolveDeps(stage, graph, produced, lookups);
    const decision = deps.unknown.length
      ? { action: 'run' as const, key: null, outs: null, why: deps.unknown }
      : await decide(stage, locked, lookups.stageKey(stageKeyRecord(stage, deps.known)), lookups);
    produced.set(name, decision.outs);

    // What the stage's definition and dependencies changed against the lock entry, in status's words.
    const depHash = (d: string) => deps.known.get(d) ?? null;
    const against = (entry: StageLock | undefined, outs: Produced) =>
      stageStatus(stage, entry, (p) => (stage.deps.includes(p) ? depHashOr(entry, p, depHash, deps.unknownPaths) : outHashOr(entry, p, outs)))
        .reasons;
    const reasons = decision.action === 'run' ? [...against(locked, null), ...decision.why] : [];
    if (decision.action === 'run' && !reasons.length) reasons.push('its definition differs from ml.lock.json');
    if (inputs.baseLock) {
      // The causes (definition, params, dependencies), not the outputs that follow from them.
      const base = against(inputs.baseLock.stages[name], null).filter((r) => r !== 'always changed');
      reasons.push(...base.map((r) => `against base: ${r === 'never run' ? 'not in its ml.lock.json' : r}`));
    }
    stages.push({ name, action: decision.action, reasons, key: decision.key });
  }

  const groups = groupStages(graph, order, stages, inputs.runners ?? {});
  return { has_work: groups.length > 0, stages, groups };
}

/**
 * For status's comparison: the hash a dependency will have; one that waits on an upstream stage reads as unchanged
 * (the upstream's own reason says it runs).
 */
function depHashOr(entry: StageLock | undefined, path: string, known: (p: string) => HashInfo | null, waiting: Set<string>): HashInfo | null {
  if (waiting.has(path)) return entry?.deps[path] ?? null;
  return known(path);
}

/** For status's comparison: the outputs as they will be, so that only added and removed outputs are reasons. */
function outHashOr(entry: StageLock | undefined, path: string, outs: Produced): HashInfo | null {
  return outs?.[path] ?? entry?.outs[path] ?? null;
}

interface ResolvedDeps {
  known: Map<string, HashInfo>;
  /** Why some dependency's hash cannot be known yet. */
  unknown: string[];
  unknownPaths: Set<string>;
}

/**
 * Each dependency's hash as CI will see it: from the workspace when no stage produces it, else from what the
 * producing stage will output (its lock entry or run-cache record). A producer that must run leaves it unknown.
 */
async function resolveDeps(stage: Stage, graph: Graph, produced: Map<string, Produced>, lookups: CiLookups): Promise<ResolvedDeps> {
  const known = new Map<string, HashInfo>();
  const unknown: string[] = [];
  const unknownPaths = new Set<string>();
  const waitOn = (dep: string, why: string) => {
    unknownPaths.add(dep);
    if (!unknown.includes(why)) unknown.push(why);
  };
  for (const dep of stage.deps) {
    const overlapping = [...graph.producers].filter(([out, s]) => s !== stage.name && (isWithin(dep, out) || isWithin(out, dep)));
    if (!overlapping.length) {
      const info = lookups.workspaceHash(dep);
      if (info) known.set(dep, info);
      else waitOn(dep, `dep \`${dep}\` does not exist and no stage produces it`);
      continue;
    }
    const waiting = overlapping.filter(([out, s]) => !produced.get(s)?.[out]);
    if (waiting.length) {
      for (const [out, s] of waiting) {
        const upstream = graph.stages.get(s)!;
        if (!upstream.frozen) waitOn(dep, `upstream \`${s}\` runs`);
        else waitOn(dep, `frozen upstream \`${s}\` has no \`${out}\` in ml.lock.json`);
      }
      continue;
    }
    const outHash = (out: string, s: string) => produced.get(s)![out]!;
    const [out, producer] = overlapping[0]!;
    const entry = outHash(out, producer);
    if (overlapping.length === 1 && out === dep) {
      known.set(dep, entry);
      continue;
    }
    // The workspace already holds exactly what the producers will output (a checkout was done): hash it there.
    const here = overlapping.every(([o, s]) => lookups.workspaceHash(o)?.hash === outHash(o, s).hash) ? lookups.workspaceHash(dep) : null;
    if (here) {
      known.set(dep, here);
      continue;
    }
    if (overlapping.length === 1 && isWithin(dep, out)) {
      const inside = await insideOutput(entry, dep.slice(out.length + 1), lookups);
      if (typeof inside !== 'string') {
        known.set(dep, inside);
        continue;
      }
      waitOn(dep, `dep \`${dep}\` ${inside} (output \`${out}\` of \`${producer}\`)`);
      continue;
    }
    const names = overlapping.map(([o]) => `\`${o}\``).join(', ');
    waitOn(dep, `dep \`${dep}\` holds ${names}, which ${overlapping.length === 1 ? 'is' : 'are'} not in the workspace to hash it with`);
  }
  return { known, unknown, unknownPaths };
}

/** The hash of a path inside a directory output, from the directory's manifest; a string says why there is none. */
async function insideOutput(entry: LockEntry, rel: string, lookups: CiLookups): Promise<HashInfo | string> {
  if (entry.nfiles === undefined) return 'is inside a file';
  const manifest = await lookups.manifest(entry.hash);
  if (!manifest) return 'cannot be hashed: the directory listing is in neither the cache nor the remote';
  const file = manifest.files.find((f) => f.path === rel);
  if (file) return { hash: file.hash, size: file.size };
  const files = manifest.files.filter((f) => f.path.startsWith(`${rel}/`)).map((f) => ({ ...f, path: f.path.slice(rel.length + 1) }));
  if (!files.length) return 'is not in it';
  return { hash: lookups.treeHash({ files }), size: files.reduce((n, f) => n + f.size, 0), nfiles: files.length };
}

interface Decision {
  action: 'run' | 'restore' | 'up-to-date';
  key: string | null;
  outs: Produced;
  /** Reasons beyond what changed against the lock entry. */
  why: string[];
}

/** With the key known: up to date when it is the lock entry's and the outputs are at hand, else the run-cache, else run. */
async function decide(stage: Stage, locked: StageLock | undefined, key: string, lookups: CiLookups): Promise<Decision> {
  const why: string[] = [];
  if (locked && !stage.alwaysChanged && key === lookups.stageKey(lockKeyRecord(locked))) {
    const absent = await unavailable(locked.outs, lookups, true);
    if (!absent.length) return { action: 'up-to-date', key, outs: locked.outs, why };
    why.push(...absent.map((p) => `out \`${p}\` is in neither the cache nor the remote`));
  }
  if (RunCache.eligible(stage)) {
    const record = await lookups.runRecord(key);
    const missing = stage.outs.filter((o) => !record?.outs[o.path]).map((o) => o.path);
    if (!record || missing.length) why.push('no run-cache entry');
    else {
      // Like the local run-cache, an entry counts only with every object it names (uncached outputs too).
      const absent = await unavailable(record.outs, lookups, false);
      if (!absent.length) return { action: 'restore', key, outs: record.outs, why: [] };
      why.push(`run-cache entry incomplete: ${absent.map((p) => `\`${p}\``).join(', ')} in neither the cache nor the remote`);
    }
  }
  return { action: 'run', key, outs: null, why };
}

/** Outputs whose objects are nowhere; with `workspace`, an uncached output the workspace holds as recorded is there. */
async function unavailable(outs: Record<string, LockEntry>, lookups: CiLookups, workspace: boolean): Promise<string[]> {
  const absent: string[] = [];
  for (const [path, entry] of Object.entries(outs).sort(([a], [b]) => compareStrings(a, b))) {
    if (workspace && entry.cache === false && lookups.workspaceHash(path)?.hash === entry.hash) continue;
    if (!(await lookups.stored(entry))) absent.push(path);
  }
  return absent;
}

/**
 * The stages that must run, split into the weakly connected parts of the dependency graph among them: a stage and
 * the running stages that need it go together; parts share nothing and run in parallel.
 */
export function groupStages(graph: Graph, order: string[], stages: CiStagePlan[], runners: Record<string, RunsOn>): CiGroup[] {
  const running = new Set(stages.filter((s) => s.action === 'run').map((s) => s.name));
  const groupOf = new Map<string, string>();
  const groups: CiGroup[] = [];
  for (const name of order) {
    if (!running.has(name) || groupOf.has(name)) continue;
    const members = new Set<string>();
    const todo = [name];
    while (todo.length) {
      const n = todo.pop()!;
      if (members.has(n)) continue;
      members.add(n);
      for (const m of [...graph.upstream.get(n)!, ...graph.downstream.get(n)!]) if (running.has(m)) todo.push(m);
    }
    for (const m of members) groupOf.set(m, name);
    const names = order.filter((n) => members.has(n));
    const list = names.map((n) => graph.stages.get(n)!);
    const resources = {
      gpu: Math.max(0, ...list.map((s) => s.resources.gpu)),
      labels: [...new Set(list.flatMap((s) => s.resources.labels))].sort(compareStrings),
    };
    groups.push({ name, stages: names, runs_on: runsOn(name, list, resources, runners), resources });
  }
  return groups;
}

/** `gpu` for a group needing a GPU, the runner its labels name, else `default`. */
function runsOn(group: string, stages: Stage[], resources: CiGroup['resources'], runners: Record<string, RunsOn>): RunsOn {
  if (resources.gpu > 0) {
    if (runners.gpu !== undefined) return runners.gpu;
    const needs = stages.find((s) => s.resources.gpu === resources.gpu)!;
    throw new NoGpuRunnerError(needs.name, `ml.yaml:${needs.origin.line}:${needs.origin.col}`, resources.gpu);
  }
  const named = resources.labels.filter((l) => l !== 'default' && Object.hasOwn(runners, l));
  if (named.length > 1) throw new RunnerConflictError(group, named);
  if (named.length) return runners[named[0]!]!;
  return runners.default ?? DEFAULT_RUNNER;
}
