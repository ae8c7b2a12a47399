import type { Problem } from '../errors.js';
import { PIPELINE_FILE } from '../pipeline/parse.js';
import type { Pipeline, Stage } from '../pipeline/types.js';
import { isWithin } from '../util/paths.js';

/** What the filesystem says about a dependency path; injected so that building the graph stays pure. */
export type PathProbe = (path: string) => 'ok' | 'missing' | 'outside';

export interface Graph {
  /** Stage names in declaration order. */
  names: string[];
  stages: Map<string, Stage>;
  /** stage -> stages it depends on. */
  upstream: Map<string, Set<string>>;
  /** stage -> stages that depend on it. */
  downstream: Map<string, Set<string>>;
  /** Output path -> the stage that declares it. */
  producers: Map<string, string>;
}

export interface BuildGraphOptions {
  /**
   * Whether the lockfile recorded this dependency of this stage. A recorded dependency that is now missing was
   * deleted: `status` reports that as a reason instead of refusing the whole graph.
   */
  recorded?: (stage: string, dep: string) => boolean;
}

/**
 * Links stages from outputs to dependencies: a dependency on an output path, a path inside an output directory, or a
 * directory holding an output makes the producing stage upstream. Returns every problem at once: outputs declared
 * twice or nested, dependencies nothing produces that do not exist, paths leaving the workspace, and cycles.
 */
export function buildGraph(pipeline: Pipeline, probe: PathProbe, opts: BuildGraphOptions = {}): { graph?: Graph; problems: Problem[] } {
  const problems: Problem[] = [];
  const stages = new Map(pipeline.stages.map((s) => [s.name, s]));
  const at = (s: Stage, message: string): Problem => ({ file: PIPELINE_FILE, ...s.origin, path: `stages.${s.name}`, message });

  const producers = new Map<string, string>();
  const outs = pipeline.stages.flatMap((s) => s.outs.map((o) => ({ stage: s, path: o.path })));
  for (const o of outs) {
    const other = producers.get(o.path);
    if (other !== undefined) problems.push(at(o.stage, `output \`${o.path}\` is also declared by stage \`${other}\`; each path has one producer`));
    else producers.set(o.path, o.stage.name);
  }
  for (const a of outs) {
    for (const b of outs) {
      if (a.path !== b.path && isWithin(a.path, b.path)) {
        problems.push(at(a.stage, `output \`${a.path}\` lies inside output \`${b.path}\` of stage \`${b.stage.name}\`; outputs may not overlap`));
      }
    }
  }
  for (const o of outs) {
    if (probe(o.path) === 'outside') problems.push(at(o.stage, `output \`${o.path}\` resolves outside the workspace (through a symlink)`));
  }

  const upstream = new Map(pipeline.stages.map((s) => [s.name, new Set<string>()]));
  const downstream = new Map(pipeline.stages.map((s) => [s.name, new Set<string>()]));
  for (const stage of pipeline.stages) {
    for (const dep of stage.deps) {
      let produced = false;
      for (const o of outs) {
        if (!isWithin(dep, o.path) && !isWithin(o.path, dep)) continue;
        produced = true;
        if (o.stage.name === stage.name) {
          problems.push(at(stage, `\`${dep}\` is both a dependency and an output of this stage`));
          continue;
        }
        upstream.get(stage.name)!.add(o.stage.name);
        downstream.get(o.stage.name)!.add(stage.name);
      }
      const found = probe(dep);
      if (found === 'outside') problems.push(at(stage, `dependency \`${dep}\` resolves outside the workspace (through a symlink)`));
      else if (found === 'missing' && !produced && !opts.recorded?.(stage.name, dep)) {
        problems.push(at(stage, `dependency \`${dep}\` does not exist and no stage produces it`));
      }
    }
  }

  const cycle = findCycle(pipeline.stages.map((s) => s.name), upstream);
  if (cycle) {
    const first = stages.get(cycle[0]!)!;
    problems.push(at(first, `the stages form a cycle: ${cycle.join(' -> ')}`));
  }
  if (problems.length) return { problems };
  return { graph: { names: pipeline.stages.map((s) => s.name), stages, upstream, downstream, producers }, problems };
}

/** Returns one cycle as `[a, b, ..., a]` following data flow (producer first), or undefined. */
function findCycle(names: string[], upstream: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 'active');
    stack.push(name);
    for (const up of upstream.get(name) ?? []) {
      if (state.get(up) === 'active') {
        const loop = stack.slice(stack.indexOf(up));
        // The stack follows dependencies backwards; reverse it so the arrows read as data flow.
        return [...loop, up].reverse();
      }
      if (!state.has(up)) {
        const found = visit(up);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of names) {
    if (!state.has(name)) {
      const found = visit(name);
      if (found) return found;
    }
  }
  return undefined;
}

/** Stages in an order where every stage follows its upstream; ties keep declaration order. */
export function topoOrder(graph: Graph, only?: Set<string>): string[] {
  const names = only ? graph.names.filter((n) => only.has(n)) : graph.names;
  const remaining = new Map(names.map((n) => [n, [...graph.upstream.get(n)!].filter((u) => !only || only.has(u)).length]));
  const order: string[] = [];
  const index = new Map(graph.names.map((n, i) => [n, i]));
  let ready = names.filter((n) => remaining.get(n) === 0);
  while (ready.length) {
    const next: string[] = [];
    for (const name of ready) {
      order.push(name);
      for (const down of graph.downstream.get(name)!) {
        if (!remaining.has(down)) continue;
        const left = remaining.get(down)! - 1;
        remaining.set(down, left);
        if (left === 0) next.push(down);
      }
    }
    ready = next.sort((a, b) => index.get(a)! - index.get(b)!);
  }
  return order;
}

/** `names` and everything upstream (`direction: 'up'`) or downstream of them. */
export function closure(graph: Graph, names: Iterable<string>, direction: 'up' | 'down'): Set<string> {
  const edges = direction === 'up' ? graph.upstream : graph.downstream;
  const seen = new Set<string>();
  const walk = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const m of edges.get(n) ?? []) walk(m);
  };
  for (const n of names) walk(n);
  return seen;
}
