import { UnknownStageError } from '../errors.js';
import { suggest } from '../util/suggest.js';
import type { Graph } from './build.js';

/** Throws for the first name in `targets` that is no stage of `graph`, suggesting the closest one. */
export function checkTargets(graph: Graph, targets: string[]): void {
  for (const t of targets) {
    if (!graph.stages.has(t)) throw new UnknownStageError(t, suggest(t, graph.names), graph.names);
  }
}
