import type { DagInput } from '../../reporters/dag.js';
import { closure, topoOrder } from '../graph/build.js';
import { Workspace } from '../workspace.js';
import { checkTargets } from '../graph/targets.js';

/** The stage graph as nodes in topological order and data-flow edges; `targets` narrow it to them and their upstream. */
export async function dag(opts: { cwd?: string; targets?: string[] } = {}): Promise<DagInput> {
  const ws = await Workspace.open(opts.cwd ?? process.cwd());
  const graph = ws.loadGraph();
  checkTargets(graph, opts.targets ?? []);
  const only = opts.targets?.length ? closure(graph, opts.targets, 'up') : undefined;
  const nodes = topoOrder(graph, only);
  const keep = new Set(nodes);
  const edges = nodes.flatMap((to) => [...graph.upstream.get(to)!].filter((from) => keep.has(from)).map((from) => ({ from, to })));
  return { nodes, edges };
}
