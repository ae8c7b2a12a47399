import { availableParallelism } from 'node:os';
import { CorruptObjectError, InterruptedError, MAX_SHOWN_PROBLEMS, StageFailedError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import { checkTargets } from '../graph/targets.js';
import type { HashInfo } from '../hash/hash-path.js';
import { toStageLock } from '../lockfile/entry.js';
import type { Lockfile } from '../lockfile/lockfile.js';
import { planRepro, selectStages, type PlannedStage } from '../plan/plan-repro.js';
import { serializeStageKey, stageKeyRecord } from '../plan/stage-key.js';
import { RunCache } from '../cache/run-cache.js';
import type { Progress } from '../util/progress.js';
import { updateIgnored } from '../run/gitignore.js';
import { acquireWorkspaceGuard, takeOverStaleGuard } from '../run/guard.js';
import { ProcessGroup } from '../run/processes.js';
import { mergeReproState, readReproState, writeReproState, type ReproStateEntry } from '../run/repro-state.js';
import { runStage } from '../run/run-stage.js';
import { schedule, type StageOutcome } from '../run/schedule.js';
import { Workspace } from '../workspace.js';

export interface ReproOptions {
  /** Directory inside the workspace. @default process.cwd() */
  cwd?: string;
  /** Stages to reproduce (with their upstream, or downstream with `downstream`); empty for all. */
  targets?: string[];
  /** Run selected stages even when nothing changed. @default false */
  force?: boolean;
  /** Print the plan and run nothing. @default false */
  dry?: boolean;
  /** After a failure, keep running stages that do not depend on it. @default false */
  keepGoing?: boolean;
  /** With targets: run them and everything downstream of them. @default false */
  downstream?: boolean;
  /** Stages running at once. @default the number of CPU cores */
  jobs?: number;
  /** Running commands; the caller stops them on Ctrl-C or SIGTERM. */
  processes?: ProcessGroup;
  /** Receives progress lines and stage output. */
  print?: (line: string) => void;
  /** Look stages up in the run-cache before running them. @default true */
  runCache?: boolean;
  /** Shows progress of hashing and caching. */
  progress?: Progress;
  /** Receives the summary once the run ends, also when a stage failed or the run was interrupted. */
  onSummary?: (summary: ReproSummary) => void;
  /** Milliseconds from a fixed point, for durations. @default performance.now */
  now?: () => number;
}

/** What happened to one stage of the plan. */
export type StageResult = 'ran' | 'restored' | 'up-to-date' | 'frozen' | 'failed' | 'skipped';

export interface ReproSummary {
  /** Every planned stage in plan order, with how long it took when it ran or was restored. */
  stages: { name: string; result: StageResult; seconds?: number }[];
  /** Stages no longer in ml.yaml whose lockfile entries were dropped. */
  removed: string[];
  /** Wall-clock time of the whole run. */
  seconds: number;
}

export interface ReproResult {
  plan: PlannedStage[];
  outcomes: Map<string, StageOutcome>;
  summary?: ReproSummary;
}

/**
 * Brings the workspace up to date with ml.yaml: runs changed stages and, once their upstream has run, the stages
 * whose inputs then differ. Each successful stage is cached and recorded in ml.lock.json on its own, so an interrupted
 * or failed run keeps everything that finished.
 */
export async function repro(opts: ReproOptions = {}): Promise<ReproResult> {
  return Workspace.use(opts.cwd, (ws) => reproIn(ws, opts));
}

async function reproIn(ws: Workspace, opts: ReproOptions): Promise<ReproResult> {
  const print = opts.print ?? (() => {});
  const now = opts.now ?? (() => performance.now());
  const startedAt = now();
  // Stage commands a killed gitml left running must stop before the workspace is hashed, not only before stages run.
  if (!opts.dry) takeOverStaleGuard(ws.root);
  const pipeline = ws.loadPipeline();
  const lock = ws.readLock();
  const graph = ws.loadGraph(pipeline, lock);
  checkTargets(graph, opts.targets ?? []);
  await ws.hashStages(graph, lock, selectStages(graph, opts), opts.progress);
  const statusOf = ws.statusOf(graph, lock);

  const plan = planRepro(graph, statusOf, opts);
  if (opts.dry) return { plan, outcomes: new Map() };

  const processes = opts.processes ?? new ProcessGroup();
  const runCache = new RunCache(ws.root, ws.cache);
  const useRunCache = opts.runCache !== false && !opts.force;
  const release = acquireWorkspaceGuard(ws.root, { processes });
  const results = new Map<string, { result: StageResult; seconds?: number }>();
  /** Stages whose outputs this run made, by stage key: what `gitml report` says ran or was restored. */
  const made = new Map<string, ReproStateEntry>();
  try {
    const removed = dropRemovedStages(ws, graph, lock, print);
    for (const p of plan) if (p.action === 'up-to-date') print(`Stage \`${p.name}\` is up to date`);
    for (const p of plan) if (p.action === 'frozen') print(`Stage \`${p.name}\` is frozen, not running it`);

    const failed: string[] = [];
    const reasonsOf = new Map(plan.map((p) => [p.name, p.reasons]));
    const outcomes = await schedule(
      graph,
      plan,
      {
        stillChanged: (name) => statusOf(name).changed,
        onUpToDate: (name) => print(`Stage \`${name}\` is up to date (its inputs came out unchanged)`),
        onBlocked: (name, up) => print(`Stage \`${name}\` skipped: upstream \`${up}\` did not complete`),
        onNotStarted: (name) => print(`Stage \`${name}\` not started: stopping after a failure (--keep-going runs it)`),
        run: async (name) => {
          const began = now();
          const done = (result: StageResult, key?: string) => {
            const ms = now() - began;
            results.set(name, { result, seconds: ms / 1000 });
            if (key && (result === 'ran' || result === 'restored')) made.set(name, { result, key, duration_ms: Math.round(ms) });
          };
          const stage = graph.stages.get(name)!;
          await ws.hasher.hashAll(stage.deps);
          const deps = new Map<string, HashInfo>();
          for (const dep of stage.deps) {
            const info = ws.hasher.hash(dep);
            if (!info) {
              failed.push(name);
              print(`Stage \`${name}\` failed: dependency \`${dep}\` does not exist`);
              done('failed');
              return false;
            }
            deps.set(dep, info);
          }

          const key = ws.hasher.hashBytes(Buffer.from(serializeStageKey(stageKeyRecord(stage, deps))));
          const hit = useRunCache && RunCache.eligible(stage) ? runCache.lookup(key) : undefined;
          if (hit) {
            const outs = new Map<string, HashInfo>();
            try {
              for (const out of stage.outs) {
                const entry = hit.outs[out.path]!;
                // Uncached outputs are committed to git, so they are always real files, never links.
                await ws.cache.restore(out.path, entry, ws.hasher, { copy: !out.cache, stage: name });
                outs.set(out.path, { hash: entry.hash, size: entry.size, ...(entry.nfiles !== undefined ? { nfiles: entry.nfiles } : {}) });
              }
            } catch (err) {
              // A corrupt object is quarantined and never installed; running the stage makes the outputs afresh
              // (and puts good objects back in the cache), which is what the run-cache would have saved time on.
              if (!(err instanceof CorruptObjectError)) throw err;
              print(`Stage \`${name}\` not restored from run-cache: ${corruptList(err)}`);
              outs.clear();
            }
            if (outs.size === stage.outs.length) {
              await commit(ws, graph, lock, name, deps, outs, opts.progress);
              print(`Stage \`${name}\` restored from run-cache`);
              done('restored', key);
              return true;
            }
          }

          print(`Running stage \`${name}\` (${reasonsOf.get(name)!.join('; ')})`);
          for (const out of stage.outs) if (out.persist) ws.cache.unprotect(out.path);
          const result = await runStage({ root: ws.root, stage, deps, hasher: ws.hasher, processes, print, progress: opts.progress });
          if (processes.stopping) return false;
          if (!result.ok) {
            failed.push(name);
            done('failed');
            print(`Stage \`${name}\` failed: ${result.message}`);
            if (result.tail.length) {
              print(`  last lines of .ml/logs/${name}.log:`);
              for (const line of result.tail) print(`  | ${line}`);
            }
            return false;
          }
          if (RunCache.eligible(stage)) {
            // Uncached outputs (metrics) are stored too, so that a run-cache hit can restore every output.
            for (const out of stage.outs) if (!out.cache) ws.cache.save(out.path, result.outs.get(out.path)!, { copy: true });
          }
          await commit(ws, graph, lock, name, deps, result.outs, opts.progress);
          if (RunCache.eligible(stage)) runCache.save(key, { outs: lock.stages[name]!.outs, duration_ms: Math.round(now() - began) });
          print(`Stage \`${name}\` done`);
          done('ran', key);
          return true;
        },
      },
      {
        jobs: Math.max(1, opts.jobs ?? ws.config.jobs ?? availableParallelism()),
        keepGoing: opts.keepGoing ?? false,
        stopped: () => processes.stopping !== undefined,
      },
    );

    if (made.size) writeReproState(ws.root, mergeReproState(readReproState(ws.root), made));
    const summary: ReproSummary = {
      stages: plan.map((p) => ({ name: p.name, ...(results.get(p.name) ?? { result: fallbackResult(p, outcomes.get(p.name)) }) })),
      removed,
      seconds: (now() - startedAt) / 1000,
    };
    opts.onSummary?.(summary);
    if (processes.stopping) throw new InterruptedError(processes.stopping === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
    if (failed.length) throw new StageFailedError(failed);
    return { plan, outcomes, summary };
  } finally {
    release();
  }
}

/** A stage the run hook never finished: what the plan or the scheduler decided for it. */
function fallbackResult(p: PlannedStage, outcome: StageOutcome | undefined): StageResult {
  if (p.action === 'frozen') return 'frozen';
  if (outcome === 'failed') return 'failed';
  if (outcome === 'skipped' || (outcome === undefined && p.action !== 'up-to-date')) return 'skipped';
  return 'up-to-date';
}

/**
 * Drops the lockfile entries of stages no longer in ml.yaml, and the .gitignore lines of their cached outputs, so
 * that `gc` can collect their objects. Looks at the whole pipeline, not the stages this run selected.
 */
function dropRemovedStages(ws: Workspace, graph: Graph, lock: Lockfile, print: (line: string) => void): string[] {
  const removed = Object.keys(lock.stages).filter((name) => !graph.stages.has(name));
  if (!removed.length) return [];
  const outputs = cachedOutputs(graph);
  const stillOutputs = new Set(graph.producers.keys());
  const drop = removed.flatMap((name) =>
    Object.entries(lock.stages[name]!.outs)
      .filter(([path, entry]) => entry.cache !== false && !stillOutputs.has(path))
      .map(([path]) => path),
  );
  for (const name of removed) delete lock.stages[name];
  ws.writeLock(lock);
  const unignored = updateIgnored(ws.root, { add: [], drop, outputs });
  for (const name of removed) print(`Removed stage \`${name}\` from ml.lock.json: it is no longer in ml.yaml`);
  if (unignored.length) print(`Removed from .gitignore: ${unignored.map((l) => l.trim()).join(', ')}`);
  print(`Their cached objects are no longer referenced here; \`gitml gc\` can collect them once no commit needs them.`);
  return removed;
}

/**
 * Saves a finished stage's cached outputs, records it in the lockfile (written atomically), and in hardlink or
 * symlink mode turns the outputs into links to the cache.
 */
async function commit(
  ws: Workspace,
  graph: Graph,
  lock: Lockfile,
  name: string,
  deps: Map<string, HashInfo>,
  outs: Map<string, HashInfo>,
  progress?: Progress,
): Promise<void> {
  const stage = graph.stages.get(name)!;
  for (const out of stage.outs) if (out.cache) ws.cache.save(out.path, outs.get(out.path)!, { progress });
  lock.stages[name] = toStageLock(stage, deps, outs);
  ws.writeLock(lock);
  for (const out of stage.outs) if (out.cache) await ws.cache.restore(out.path, lock.stages[name]!.outs[out.path]!, ws.hasher, { relink: true });
  updateIgnored(ws.root, { add: stage.outs.filter((o) => o.cache).map((o) => o.path), outputs: cachedOutputs(graph) });
}

/** Every cached output of the pipeline: the `.gitignore` lines that are ours. */
function cachedOutputs(graph: Graph): string[] {
  return [...graph.stages.values()].flatMap((s) => s.outs.filter((o) => o.cache).map((o) => o.path));
}

/** The corrupt objects of an error, one short phrase each. */
function corruptList(err: CorruptObjectError): string {
  const shown = err.objects.slice(0, MAX_SHOWN_PROBLEMS).map((o) => `${o.path} is corrupt in the cache (moved to ${o.quarantined})`);
  const more = err.objects.length - shown.length;
  return `${shown.join(', ')}${more ? `, and ${more} more files` : ''}; running it instead`;
}
