import type { Graph } from '../graph/build.js';
import type { PlannedStage } from '../plan/plan-repro.js';

export type StageOutcome = 'ran' | 'up-to-date' | 'failed' | 'skipped';

export interface ScheduleHooks {
  /** Runs a stage to completion; resolves `true` on success. */
  run(name: string): Promise<boolean>;
  /** For `recheck` stages once their upstream finished: does the stage still need to run? */
  stillChanged(name: string): boolean;
  /** A stage is not run because an upstream stage failed. */
  onBlocked?(name: string, failedUpstream: string): void;
  onUpToDate?(name: string): void;
  /** A stage is not run because another stage failed and `keepGoing` is off. */
  onNotStarted?(name: string): void;
}

export interface ScheduleOptions {
  /** Most stages running at once. */
  jobs: number;
  /** After a failure keep running stages that do not depend on it. */
  keepGoing: boolean;
  /** Checked before starting each stage; once true, nothing new starts. */
  stopped?: () => boolean;
}

/**
 * Runs the planned stages in dependency order with up to `jobs` at once. A failure blocks its dependents; without
 * `keepGoing` it also stops new stages from starting, while the ones already running finish.
 */
export async function schedule(graph: Graph, plan: PlannedStage[], hooks: ScheduleHooks, opts: ScheduleOptions): Promise<Map<string, StageOutcome>> {
  const outcome = new Map<string, StageOutcome>();
  const todo = plan.filter((p) => p.action === 'run' || p.action === 'recheck');
  const planned = new Set(todo.map((p) => p.name));
  const running = new Set<string>();
  let failed = false;

  const upstreamOf = (name: string) => [...graph.upstream.get(name)!].filter((u) => planned.has(u));
  const blockedBy = (name: string) => upstreamOf(name).find((u) => outcome.get(u) === 'failed' || outcome.get(u) === 'skipped');

  return new Promise((resolve, reject) => {
    const pump = (): void => {
      const halt = (failed && !opts.keepGoing) || opts.stopped?.() === true;
      if (!halt) {
        for (const p of todo) {
          if (running.size >= opts.jobs) break;
          if (outcome.has(p.name) || running.has(p.name)) continue;
          const ups = upstreamOf(p.name);
          const bad = blockedBy(p.name);
          if (bad) {
            outcome.set(p.name, 'skipped');
            hooks.onBlocked?.(p.name, bad);
            continue;
          }
          if (ups.some((u) => !outcome.has(u))) continue;
          start(p);
        }
      }
      if (running.size === 0) {
        for (const p of todo) {
          if (outcome.has(p.name)) continue;
          outcome.set(p.name, 'skipped');
          const bad = blockedBy(p.name);
          if (bad) hooks.onBlocked?.(p.name, bad);
          else if (failed) hooks.onNotStarted?.(p.name);
        }
        resolve(outcome);
      }
    };

    const start = (p: PlannedStage): void => {
      if (p.action === 'recheck' && !hooks.stillChanged(p.name)) {
        outcome.set(p.name, 'up-to-date');
        hooks.onUpToDate?.(p.name);
        return;
      }
      running.add(p.name);
      hooks.run(p.name).then(
        (ok) => {
          running.delete(p.name);
          outcome.set(p.name, ok ? 'ran' : 'failed');
          if (!ok) failed = true;
          pump();
        },
        (err: unknown) => {
          running.delete(p.name);
          reject(err);
        },
      );
    };

    pump();
  });
}
