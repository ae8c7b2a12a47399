import { describe, expect, it } from 'vitest';
import type { Problem } from '../../core/errors.js';
import { MAX_YAML_DEPTH, readYaml } from '../../core/pipeline/yaml.js';

function problemsOf(text: string, file = 'ml.yaml'): Problem[] {
  const r = readYaml(text, file);
  if (r.ok) throw new Error(`expected problems, but it read as ${JSON.stringify(r.value)}`);
  return r.problems;
}

describe('readYaml', () => {
  it('reads a map, keeping integers beyond 2^53 digit for digit and the rest plain numbers', () => {
    const r = readYaml('small: 42\nbig: 12345678901234567890123\nneg: -9007199254740993\nnan: .nan\ninf: -.inf\nnone: null\n', 'p.yaml');
    expect(r.ok && r.value).toEqual({
      small: 42,
      big: 12345678901234567890123n,
      neg: -9007199254740993n,
      nan: NaN,
      inf: -Infinity,
      none: null,
    });
  });

  it('reports an alias with no anchor at the alias, instead of throwing', () => {
    expect(problemsOf('stages:\n  a:\n    cmd: *a\n')).toEqual([
      { file: 'ml.yaml', line: 3, col: 10, path: '', message: 'invalid YAML: alias `*a` names no anchor `&a` set before it' },
    ]);
    // An anchor set later does not count.
    expect(problemsOf('a: *x\nb: &x 1\n', 'params.yaml')).toMatchObject([{ file: 'params.yaml', line: 1, col: 4 }]);
  });

  it('resolves aliases to anchors set before them', () => {
    const r = readYaml('base: &b {lr: 1}\ncopy: *b\n', 'p.yaml');
    expect(r.ok && r.value).toEqual({ base: { lr: 1 }, copy: { lr: 1 } });
  });

  it('refuses aliases that expand exponentially ("billion laughs"), pointing at the first alias', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
    ])
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    const problems = problemsOf(`${laughs.join('\n')}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 2, col: 8 });
    expect(problems[0]!.message).toMatch(/^invalid YAML: aliases expand to more than 100 copies/);
  });

  it('answers 5,000 nested `[` with one located problem, in milliseconds', () => {
    const start = performance.now();
    const problems = problemsOf(`stages:\n  a: ${'['.repeat(5000)}\n`);
    expect(performance.now() - start).toBeLessThan(500);
    expect(problems).toEqual([
      {
        file: 'ml.yaml',
        line: 2,
        col: 6 + MAX_YAML_DEPTH,
        path: '',
        message: `invalid YAML: more than ${MAX_YAML_DEPTH} levels of nested \`[\` or \`{\``,
      },
    ]);
  });

  it('does not count brackets inside quoted strings as nesting', () => {
    const r = readYaml(`cmd: "${'['.repeat(500)}"\n`, 'ml.yaml');
    expect(r.ok && r.value).toEqual({ cmd: '['.repeat(500) });
  });

  it('reports deep block nesting as one problem, not one per level', () => {
    const text = `a:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}b:`).join('\n')} 1\n`;
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe('invalid YAML: the file nests too deeply to be read');
  });

  it('lists syntax errors in file order', () => {
    const problems = problemsOf('[\nstages:\n  a:\n    cmd: x\n    deps: y\n');
    const positions = problems.map((p) => [p.line!, p.col!] as const);
    expect(positions).toEqual([...positions].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  });

  it('explains a `${...}` in a flow list on a long line quickly', () => {
    const start = performance.now();
    const problems = problemsOf(`deps: [${'[x'.repeat(40)}, \${a}]\n`.repeat(50));
    expect(performance.now() - start).toBeLessThan(1000);
    expect(problems.length).toBeGreaterThan(0);
  });
});
