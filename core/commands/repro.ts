import { availableParallelism } from 'node:os';
import { InterruptedError, StageFailedError, UnknownStageError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import type { HashInfo } from '../hash/hash-path.js';
import { toStageLock } from '../lockfile/entry.js';
import type { Lockfile } from '../lockfile/lockfile.js';
import { planRepro, type PlannedStage } from '../plan/plan-repro.js';
import { stageStatus, type StageStatus } from '../plan/stage-status.js';
import { ignoreOutputs } from '../run/gitignore.js';
import { acquireWorkspaceGuard } from '../run/guard.js';
import { ProcessGroup } from '../run/processes.js';
import { runStage } from '../run/run-stage.js';
import { schedule, type StageOutcome } from '../run/schedule.js';
import { suggest } from '../util/suggest.js';
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
}

export interface ReproResult {
  plan: PlannedStage[];
  outcomes: Map<string, StageOutcome>;
}

/**
 * Brings the workspace up to date with ml.yaml: runs changed stages and, once their upstream has run, the stages
 * whose inputs then differ. Each successful stage is cached and recorded in ml.lock.json on its own, so an interrupted
 * or failed run keeps everything that finished.
 */
export async function repro(opts: ReproOptions = {}): Promise<ReproResult> {
  const print = opts.print ?? (() => {});
  const ws = await Workspace.open(opts.cwd ?? process.cwd());
  const pipeline = ws.loadPipeline();
  const lock = ws.readLock();
  const graph = ws.loadGraph(pipeline, lock);
  checkTargets(graph, opts.targets ?? []);
  const statusOf = (name: string): StageStatus => stageStatus(graph.stages.get(name)!, lock.stages[name], (p) => ws.hasher.hash(p));

  const plan = planRepro(graph, statusOf, opts);
  if (opts.dry) return { plan, outcomes: new Map() };

  const processes = opts.processes ?? new ProcessGroup();
  const release = acquireWorkspaceGuard(ws.root);
  try {
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
          const stage = graph.stages.get(name)!;
          const reasons = reasonsOf.get(name)!;
          print(`Running stage \`${name}\` (${reasons.join('; ')})`);
          const result = await runStage({ root: ws.root, stage, hasher: ws.hasher, processes, print });
          if (processes.stopping) return false;
          if (!result.ok) {
            failed.push(name);
            print(`Stage \`${name}\` failed: ${result.message}`);
            if (result.tail.length) {
              print(`  last lines of .ml/logs/${name}.log:`);
              for (const line of result.tail) print(`  | ${line}`);
            }
            return false;
          }
          commit(ws, graph, lock, name, result.deps, result.outs);
          print(`Stage \`${name}\` done`);
          return true;
        },
      },
      { jobs: Math.max(1, opts.jobs ?? availableParallelism()), keepGoing: opts.keepGoing ?? false, stopped: () => processes.stopping !== undefined },
    );

    if (processes.stopping) throw new InterruptedError(processes.stopping === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
    if (failed.length) throw new StageFailedError(failed);
    return { plan, outcomes };
  } finally {
    release();
  }
}

/** Saves a finished stage's outputs to the cache, then records it in the lockfile (written atomically). */
function commit(ws: Workspace, graph: Graph, lock: Lockfile, name: string, deps: Map<string, HashInfo>, outs: Map<string, HashInfo>): void {
  const stage = graph.stages.get(name)!;
  for (const out of stage.outs) if (out.cache) ws.cache.save(out.path, outs.get(out.path)!);
  lock.stages[name] = toStageLock(stage, deps, outs);
  // Entries of stages no longer in ml.yaml are dropped, so the lockfile describes exactly this pipeline.
  for (const old of Object.keys(lock.stages)) if (!graph.stages.has(old)) delete lock.stages[old];
  ws.writeLock(lock);
  ignoreOutputs(ws.root, stage.outs.filter((o) => o.cache).map((o) => o.path));
}

export function checkTargets(graph: Graph, targets: string[]): void {
  for (const t of targets) {
    if (!graph.stages.has(t)) throw new UnknownStageError(t, suggest(t, graph.names), graph.names);
  }
}
