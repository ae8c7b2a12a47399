import { closure, topoOrder, type Graph } from '../graph/build.js';
import type { StageStatus } from './stage-status.js';

/**
 * - `run`: changed now (or forced).
 * - `recheck`: unchanged now, but an upstream stage will run first; decided again once it has, so a stage whose
 *   inputs come out identical does not run.
 * - `up-to-date`, `frozen`: nothing to do.
 */
export type PlanAction = 'run' | 'recheck' | 'up-to-date' | 'frozen';

export interface PlannedStage {
  name: string;
  action: PlanAction;
  /** Why it runs: the status reasons, `forced`, or the upstream stages it waits for. */
  reasons: string[];
}

export interface ReproPlanOptions {
  /** Stages named on the command line; empty means the whole pipeline. */
  targets?: string[];
  /** Run the selected stages even when unchanged (frozen stages still never run). */
  force?: boolean;
  /** Select the targets and everything downstream of them instead of everything upstream. */
  downstream?: boolean;
}

/** The stages `repro` considers: all, or the targets with their upstream (or downstream). */
export function selectStages(graph: Graph, opts: ReproPlanOptions = {}): Set<string> {
  const targets = opts.targets ?? [];
  return targets.length ? closure(graph, targets, opts.downstream ? 'down' : 'up') : new Set(graph.names);
}

/** Decides what `repro` does, in topological order. Pure: `statusOf` is supplied by the caller. */
export function planRepro(graph: Graph, statusOf: (name: string) => StageStatus, opts: ReproPlanOptions = {}): PlannedStage[] {
  const selected = selectStages(graph, opts);
  const plan: PlannedStage[] = [];
  const willRun = new Set<string>();
  for (const name of topoOrder(graph, selected)) {
    const stage = graph.stages.get(name)!;
    if (stage.frozen) {
      plan.push({ name, action: 'frozen', reasons: ['frozen'] });
      continue;
    }
    const status = statusOf(name);
    if (opts.force) {
      plan.push({ name, action: 'run', reasons: status.changed ? status.reasons : ['forced'] });
    } else if (status.changed) {
      plan.push({ name, action: 'run', reasons: status.reasons });
    } else {
      const waiting = [...graph.upstream.get(name)!].filter((u) => willRun.has(u));
      if (!waiting.length) {
        plan.push({ name, action: 'up-to-date', reasons: [] });
        continue;
      }
      plan.push({ name, action: 'recheck', reasons: waiting.map((u) => `upstream \`${u}\` runs first`) });
    }
    willRun.add(name);
  }
  return plan;
}
