import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

// A diamond a -> b, a -> c, (b, c) -> d, declared out of topological order on purpose.
const DIAMOND = `stages:
  d:
    cmd: cat b.txt c.txt > d.txt
    deps: [b.txt, c.txt]
    outs: [d.txt]
  c:
    cmd: cat a.txt > c.txt
    deps: [a.txt]
    outs: [c.txt]
  b:
    cmd: cat a.txt > b.txt
    deps: [a.txt]
    outs: [b.txt]
  a:
    cmd: echo a > a.txt
    outs: [a.txt]
`;

// The diamond plus a stage downstream of d and one unrelated to it.
const DIAMOND_PLUS = `${DIAMOND}  report:
    cmd: cat d.txt > report.txt
    deps: [d.txt]
    outs: [report.txt]
  lone:
    cmd: echo lone > lone.txt
    outs: [lone.txt]
`;

const EDGES = ['a->b', 'a->c', 'b->d', 'c->d'];

describe('gitml dag', () => {
  it('--format mermaid draws a flowchart with one arrow per edge, labelled with the stage names', () => {
    const fx = makeFixture({ 'ml.yaml': DIAMOND });
    const r = fx.gitml('dag', '--format', 'mermaid');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('flowchart TD\n')).toBe(true);

    const label = new Map<string, string>();
    for (const m of r.stdout.matchAll(/^\s*(\w+)\["([^"]*)"\]\s*$/gm)) label.set(m[1]!, m[2]!);
    expect([...label.values()].sort()).toEqual(['a', 'b', 'c', 'd']);

    const arrows = r.stdout.split('\n').filter((l) => l.includes('-->'));
    expect(arrows).toHaveLength(4);
    const edges = arrows.map((l) => {
      const m = /^\s*(\w+)\s*-->\s*(\w+)\s*$/.exec(l);
      expect(m, l).not.toBeNull();
      return `${label.get(m![1]!)}->${label.get(m![2]!)}`;
    });
    expect(edges.sort()).toEqual(EDGES);
  });

  it('--format dot writes a digraph with a quoted line per edge', () => {
    const fx = makeFixture({ 'ml.yaml': DIAMOND });
    const r = fx.gitml('dag', '--format', 'dot');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^digraph \w+ \{/);
    expect(r.stdout.trimEnd().endsWith('}')).toBe(true);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    for (const e of EDGES) {
      const [from, to] = e.split('->');
      expect(lines).toContain(`"${from}" -> "${to}";`);
    }
    expect(lines.filter((l) => l.includes('->'))).toHaveLength(4);
  });

  it('--json is the same as --format json, like every other command; with another --format it is refused', () => {
    const fx = makeFixture({ 'ml.yaml': DIAMOND });
    const r = fx.gitml('dag', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(fx.gitml('dag', '--format', 'json').stdout);
    expect(JSON.parse(r.stdout).stages).toEqual(['a', 'c', 'b', 'd']);
    const both = fx.gitml('dag', '--json', '--format', 'dot');
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('error: --json and --format dot ask for different outputs; give one\n');
  });

  it('--format json gives the stages in topological order and the edges', () => {
    const fx = makeFixture({ 'ml.yaml': DIAMOND });
    const r = fx.gitml('dag', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const dag = JSON.parse(r.stdout) as { stages: string[]; edges: { from: string; to: string }[] };
    expect(Object.keys(dag).sort()).toEqual(['edges', 'stages']);
    expect([...dag.stages].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(dag.stages[0]).toBe('a');
    expect(dag.stages[3]).toBe('d');
    expect(dag.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(EDGES);
    for (const e of dag.edges) expect(dag.stages.indexOf(e.from)).toBeLessThan(dag.stages.indexOf(e.to));
  });

  it('draws an ascii tree by default, listing a shared stage once and marking it the second time', () => {
    const fx = makeFixture({ 'ml.yaml': DIAMOND });
    const r = fx.gitml('dag');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('a');
    const name = (l: string) => l.replace(/^[\s│├└─]+/, '');
    expect(lines.map(name).filter((n) => n === 'b' || n === 'c').sort()).toEqual(['b', 'c']);
    expect(lines.map(name).filter((n) => n === 'd')).toEqual(['d']);
    expect(lines.map(name).filter((n) => n === 'd (see above)')).toEqual(['d (see above)']);
    expect(lines.findIndex((l) => name(l) === 'd')).toBeLessThan(lines.findIndex((l) => name(l) === 'd (see above)'));
    // Children are drawn below and indented under their parent.
    for (const l of lines.slice(1)) expect(l).toMatch(/^[\s│]*[├└]── /);
  });

  it('with a stage name shows only that stage and its upstream', () => {
    const fx = makeFixture({ 'ml.yaml': DIAMOND_PLUS });
    const all = JSON.parse(fx.gitml('dag', '--format', 'json').stdout) as { stages: string[] };
    expect([...all.stages].sort()).toEqual(['a', 'b', 'c', 'd', 'lone', 'report']);

    const r = fx.gitml('dag', 'd', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const dag = JSON.parse(r.stdout) as { stages: string[]; edges: { from: string; to: string }[] };
    expect([...dag.stages].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(dag.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(EDGES);

    const ascii = fx.gitml('dag', 'd');
    expect(ascii.code, ascii.stderr).toBe(0);
    const names = new Set(ascii.stdout.trimEnd().split('\n').map((l) => l.replace(/^[\s│├└─]+/, '').replace(/ \(see above\)$/, '')));
    expect([...names].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rejects an unknown --format with exit 2', () => {
    const fx = makeFixture({ 'ml.yaml': DIAMOND });
    const r = fx.gitml('dag', '--format', 'svg');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('svg');
    expect(r.stdout).toBe('');
  });
});
