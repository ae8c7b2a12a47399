import type { StageStatus } from '../plan/stage-status.js';
import type { Progress } from '../util/progress.js';
import { Workspace } from '../workspace.js';
import { checkTargets } from '../graph/targets.js';

export interface StatusResult {
  stages: Record<string, StageStatus & { frozen?: true }>;
}

/** Says for each stage whether it is up to date with ml.yaml, params, its dependencies and outputs, and why not. */
export async function status(opts: { cwd?: string; targets?: string[]; progress?: Progress } = {}): Promise<StatusResult> {
  return Workspace.use(opts.cwd, async (ws) => {
    const lock = ws.readLock();
    const graph = ws.loadGraph(ws.loadPipeline(), lock);
    checkTargets(graph, opts.targets ?? []);
    const names = opts.targets?.length ? opts.targets : graph.names;
    const statuses = await ws.status(graph, lock, names, opts.progress);
    const stages: StatusResult['stages'] = {};
    for (const name of names)
      stages[name] = { ...statuses.get(name)!, ...(graph.stages.get(name)!.frozen ? { frozen: true as const } : {}) };
    return { stages };
  });
}
