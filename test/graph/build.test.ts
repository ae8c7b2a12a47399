import { describe, expect, it } from 'vitest';
import type { Problem } from '../../core/errors.js';
import { buildGraph, closure, topoOrder, type Graph, type PathProbe } from '../../core/graph/build.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import type { Pipeline } from '../../core/pipeline/types.js';

/**
 * A pipeline from a compact description: stage name -> deps and outs, written to ml.yaml in the order given with four
 * lines per stage, so stage i (0-based) is declared on line 2 + 4 * i.
 */
function pipeline(stages: Record<string, { deps?: string[]; outs?: string[] }>): Pipeline {
  const lines = ['stages:'];
  for (const [name, s] of Object.entries(stages)) {
    lines.push(`  ${name}:`, `    cmd: run ${name}`, `    deps: [${(s.deps ?? []).join(', ')}]`, `    outs: [${(s.outs ?? []).join(', ')}]`);
  }
  const r = parsePipeline(`${lines.join('\n')}\n`, () => null);
  expect(r.problems).toEqual([]);
  return r.pipeline!;
}

/** Every dependency exists on disk unless listed in `missing` / `outside`. */
function probe(opts: { missing?: string[]; outside?: string[] } = {}): PathProbe {
  return (path) => (opts.outside?.includes(path) ? 'outside' : opts.missing?.includes(path) ? 'missing' : 'ok');
}

function graphOf(stages: Record<string, { deps?: string[]; outs?: string[] }>, p: PathProbe = probe()): Graph {
  const r = buildGraph(pipeline(stages), p);
  expect(r.problems).toEqual([]);
  return r.graph!;
}

function problemsOf(stages: Record<string, { deps?: string[]; outs?: string[] }>, p: PathProbe = probe()): Problem[] {
  const r = buildGraph(pipeline(stages), p);
  expect(r.graph).toBeUndefined();
  return r.problems;
}

const up = (g: Graph, name: string) => [...g.upstream.get(name)!].sort();
const down = (g: Graph, name: string) => [...g.downstream.get(name)!].sort();

describe('buildGraph: edges', () => {
  it('links a stage to the one producing the exact path it depends on', () => {
    const g = graphOf({ prepare: { outs: ['data/clean.csv'] }, train: { deps: ['data/clean.csv'], outs: ['model.pkl'] } });
    expect(up(g, 'train')).toEqual(['prepare']);
    expect(down(g, 'prepare')).toEqual(['train']);
    expect(up(g, 'prepare')).toEqual([]);
    expect(g.producers.get('data/clean.csv')).toBe('prepare');
    expect(g.producers.get('model.pkl')).toBe('train');
  });

  it('links a dependency on a file inside an output directory', () => {
    const g = graphOf({ prepare: { outs: ['data/prepared'] }, train: { deps: ['data/prepared/train.csv'] } });
    expect(up(g, 'train')).toEqual(['prepare']);
  });

  it('links a dependency on a directory holding an output', () => {
    const g = graphOf({ prepare: { outs: ['data/prepared/train.csv'] }, train: { deps: ['data'] } });
    expect(up(g, 'train')).toEqual(['prepare']);
  });

  it('does not link paths that merely share a prefix', () => {
    const g = graphOf({ prepare: { outs: ['data/train'] }, train: { deps: ['data/train.csv'] } });
    expect(up(g, 'train')).toEqual([]);
  });

  it('links one stage to several producers', () => {
    const g = graphOf({ a: { outs: ['x'] }, b: { outs: ['y'] }, c: { deps: ['x', 'y'] } });
    expect(up(g, 'c')).toEqual(['a', 'b']);
    expect(down(g, 'a')).toEqual(['c']);
  });

  it('accepts a dependency that is missing on disk when a stage produces it', () => {
    const g = graphOf({ a: { outs: ['x'] }, b: { deps: ['x'] } }, probe({ missing: ['x'] }));
    expect(up(g, 'b')).toEqual(['a']);
  });

  it('lists stage names in declaration order', () => {
    const g = graphOf({ train: { deps: ['d'] }, prepare: { outs: ['d'] } });
    expect(g.names).toEqual(['train', 'prepare']);
  });
});

describe('topoOrder', () => {
  it('puts every stage after its upstream', () => {
    const g = graphOf({
      evaluate: { deps: ['model', 'test.csv'], outs: ['score'] },
      train: { deps: ['train.csv'], outs: ['model'] },
      prepare: { outs: ['train.csv', 'test.csv'] },
    });
    expect(topoOrder(g)).toEqual(['prepare', 'train', 'evaluate']);
  });

  it('keeps declaration order for independent stages', () => {
    const g = graphOf({ c: {}, a: {}, b: {} });
    expect(topoOrder(g)).toEqual(['c', 'a', 'b']);
  });

  it('keeps declaration order among stages that become ready together', () => {
    // c waits for b and d waits for a; a finishes first, yet c is declared first and comes first.
    const g = graphOf({ c: { deps: ['b.out'] }, d: { deps: ['a.out'] }, a: { outs: ['a.out'] }, b: { outs: ['b.out'] } });
    expect(topoOrder(g)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('orders only the given subset, ignoring edges to stages outside it', () => {
    const g = graphOf({ a: { outs: ['x'] }, b: { deps: ['x'], outs: ['y'] }, c: { deps: ['y'] } });
    expect(topoOrder(g, new Set(['c', 'b']))).toEqual(['b', 'c']);
    expect(topoOrder(g, new Set(['c', 'a']))).toEqual(['a', 'c']);
  });
});

describe('closure', () => {
  const g = () =>
    graphOf({
      prepare: { outs: ['data'] },
      features: { deps: ['data'], outs: ['feats'] },
      train: { deps: ['feats'], outs: ['model'] },
      evaluate: { deps: ['model', 'data'], outs: ['score'] },
      lint: {},
    });

  it('collects everything upstream of the names, including them', () => {
    expect([...closure(g(), ['train'], 'up')].sort()).toEqual(['features', 'prepare', 'train']);
    expect([...closure(g(), ['lint'], 'up')]).toEqual(['lint']);
  });

  it('collects everything downstream of the names, including them', () => {
    expect([...closure(g(), ['features'], 'down')].sort()).toEqual(['evaluate', 'features', 'train']);
    expect([...closure(g(), ['prepare'], 'down')].sort()).toEqual(['evaluate', 'features', 'prepare', 'train']);
  });

  it('unions the closures of several names', () => {
    expect([...closure(g(), ['features', 'lint'], 'up')].sort()).toEqual(['features', 'lint', 'prepare']);
  });
});

describe('buildGraph: problems', () => {
  it('reports a two-stage cycle in data-flow order', () => {
    const problems = problemsOf({ a: { deps: ['b.out'], outs: ['a.out'] }, b: { deps: ['a.out'], outs: ['b.out'] } });
    expect(problems).toEqual([{ file: 'ml.yaml', line: 2, col: 3, path: 'stages.a', message: 'the stages form a cycle: a -> b -> a' }]);
  });

  it('reports a three-stage cycle in data-flow order', () => {
    // a feeds b, b feeds c, c feeds a.
    const problems = problemsOf({ a: { deps: ['c.out'], outs: ['a.out'] }, b: { deps: ['a.out'], outs: ['b.out'] }, c: { deps: ['b.out'], outs: ['c.out'] } });
    expect(problems.map((p) => p.message)).toEqual(['the stages form a cycle: a -> b -> c -> a']);
  });

  it('reports a cycle among later stages, starting at the first stage of the cycle it finds', () => {
    const problems = problemsOf({ ok: { outs: ['ok.out'] }, x: { deps: ['y.out', 'ok.out'], outs: ['x.out'] }, y: { deps: ['x.out'], outs: ['y.out'] } });
    expect(problems).toEqual([{ file: 'ml.yaml', line: 6, col: 3, path: 'stages.x', message: 'the stages form a cycle: x -> y -> x' }]);
  });

  it('reports an output declared by two stages, at the second', () => {
    const problems = problemsOf({ a: { outs: ['model.pkl'] }, b: { outs: ['model.pkl'] } });
    expect(problems).toEqual([
      { file: 'ml.yaml', line: 6, col: 3, path: 'stages.b', message: 'output `model.pkl` is also declared by stage `a`; each path has one producer' },
    ]);
  });

  it('reports an output nested inside another output', () => {
    const problems = problemsOf({ a: { outs: ['data'] }, b: { outs: ['data/train.csv'] } });
    expect(problems).toEqual([
      { file: 'ml.yaml', line: 6, col: 3, path: 'stages.b', message: 'output `data/train.csv` lies inside output `data` of stage `a`; outputs may not overlap' },
    ]);
  });

  it('reports a dependency that is missing and that no stage produces', () => {
    const problems = problemsOf({ a: { deps: ['raw.csv'] } }, probe({ missing: ['raw.csv'] }));
    expect(problems).toEqual([{ file: 'ml.yaml', line: 2, col: 3, path: 'stages.a', message: 'dependency `raw.csv` does not exist and no stage produces it' }]);
  });

  it('accepts a missing dependency the lockfile recorded for that stage, so status can call it deleted', () => {
    const stages = { a: { deps: ['raw.csv'] }, b: { deps: ['raw.csv'] } };
    const recorded = (stage: string, dep: string) => stage === 'a' && dep === 'raw.csv';
    const r = buildGraph(pipeline(stages), probe({ missing: ['raw.csv'] }), { recorded });
    expect(r.problems.map((p) => [p.path, p.message])).toEqual([['stages.b', 'dependency `raw.csv` does not exist and no stage produces it']]);
    const ok = buildGraph(pipeline({ a: { deps: ['raw.csv'] } }), probe({ missing: ['raw.csv'] }), { recorded });
    expect(ok.problems).toEqual([]);
    expect(ok.graph!.names).toEqual(['a']);
  });

  it('reports a dependency that resolves outside the workspace', () => {
    const problems = problemsOf({ a: { deps: ['link/x.csv'] } }, probe({ outside: ['link/x.csv'] }));
    expect(problems).toEqual([
      { file: 'ml.yaml', line: 2, col: 3, path: 'stages.a', message: 'dependency `link/x.csv` resolves outside the workspace (through a symlink)' },
    ]);
  });

  it('reports an output that resolves outside the workspace', () => {
    const problems = problemsOf({ a: { outs: ['link/out'] } }, probe({ outside: ['link/out'] }));
    expect(problems.map((p) => p.message)).toEqual(['output `link/out` resolves outside the workspace (through a symlink)']);
  });

  it('reports a stage depending on its own output, without calling it a cycle', () => {
    const problems = problemsOf({ a: { deps: ['model.pkl'], outs: ['model.pkl'] } });
    expect(problems).toEqual([{ file: 'ml.yaml', line: 2, col: 3, path: 'stages.a', message: '`model.pkl` is both a dependency and an output of this stage' }]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      { a: { deps: ['gone'], outs: ['x'] }, b: { outs: ['x'] }, c: { deps: ['d.out'], outs: ['c.out'] }, d: { deps: ['c.out'], outs: ['d.out'] } },
      probe({ missing: ['gone'] }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      'output `x` is also declared by stage `a`; each path has one producer',
      'dependency `gone` does not exist and no stage produces it',
      'the stages form a cycle: c -> d -> c',
    ]);
  });
});
