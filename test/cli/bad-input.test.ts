import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, REPO_ROOT, type CliResult } from '../helpers/fixture.js';

const PIPELINE = `stages:
  train:
    cmd: echo \${train.lr} > model.txt
    params: [train.name, train.x]
    outs: [model.txt]
`;

/** A failure a user can act on: exit 2, no stack trace, and the message lines that were printed. */
function badInput(r: CliResult): string[] {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain('internal error');
  return r.stderr.trimEnd().split('\n');
}

describe('hostile or broken input files', () => {
  it('an alias with no anchor in ml.yaml is one located error', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: *a\n' });
    expect(badInput(fx.gitml('status'))).toEqual(['ml.yaml:3:10: invalid YAML: alias `*a` names no anchor `&a` set before it']);
  });

  it('an alias with no anchor in params.yaml is located in params.yaml', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: *lr\n  name: x\n  x: 0\n' });
    expect(badInput(fx.gitml('repro'))[0]).toBe('params.yaml:2:7: invalid YAML: alias `*lr` names no anchor `&lr` set before it');
    expect(fx.exists('model.txt')).toBe(false);
  });

  it('an alias with no anchor in .ml/config.yaml is located there', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: 1\n  name: x\n  x: 0\n', '.ml/config.yaml': 'jobs: *n\n' });
    expect(badInput(fx.gitml('status'))).toEqual(['.ml/config.yaml:1:7: invalid YAML: alias `*n` names no anchor `&n` set before it']);
  });

  it('5,000 nested `[` is one line, answered quickly', () => {
    const fx = makeFixture({ 'ml.yaml': `stages:\n  a: ${'['.repeat(5000)}\n` });
    const start = Date.now();
    const lines = badInput(fx.gitml('status'));
    expect(Date.now() - start).toBeLessThan(5000);
    expect(lines).toEqual(['ml.yaml:2:106: invalid YAML: more than 100 levels of nested `[` or `{`']);
  });

  it('an unclosed `${` is a located error, not a command run with it', () => {
    const fx = makeFixture({
      'ml.yaml': PIPELINE.replace('${train.lr}', '${train.lr'),
      'params.yaml': 'train:\n  lr: 1\n  name: x\n  x: 0\n',
    });
    expect(badInput(fx.gitml('repro'))).toEqual([
      'ml.yaml:3:10: stages.train.cmd: `${train.lr > model.txt` has no closing `}` (write `\\${` for a literal `${`)',
    ]);
    expect(fx.exists('model.txt')).toBe(false);
  });

  it('one YAML slip prints its first ten errors, how many more, and a hint', () => {
    const demo = readFileSync(join(REPO_ROOT, 'ml.yaml'), 'utf8');
    const fx = makeFixture({ 'ml.yaml': `[${demo}` });
    const lines = badInput(fx.gitml('status'));
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(lines[0]).toMatch(/^ml\.yaml:\d+:\d+: invalid YAML: /);
    expect(lines.at(-2)).toMatch(/^\.\.\. and \d+ more problems in ml\.yaml$/);
    expect(lines.at(-1)).toMatch(/^hint: the first YAML syntax error is usually the cause/);
  });

  it('a lockfile syntax error names line and column', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: 1\n  name: x\n  x: 0\n' });
    expect(fx.gitml('repro').code).toBe(0);
    const text = fx.read('ml.lock.json');
    fx.write('ml.lock.json', text.replace('"size": ', '"size": x'));
    const lines = badInput(fx.gitml('status'));
    const line = text.split('\n').findIndex((l) => l.includes('"size": ')) + 1;
    expect(lines[0]).toMatch(new RegExp(`^error: ml\\.lock\\.json:${line}:\\d+: not valid JSON \\(expected a value, found \`x\`\\)`));
  });

  it('a size of 1e400 in the lockfile is rejected with its key and position, and the file is left as it was', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: 1\n  name: x\n  x: 0\n' });
    expect(fx.gitml('repro').code).toBe(0);
    const text = fx.read('ml.lock.json').replace(/"size": \d+/, '"size": 1e400');
    fx.write('ml.lock.json', text);
    const line = text.split('\n').findIndex((l) => l.includes('1e400')) + 1;
    const col = text.split('\n')[line - 1]!.indexOf('1e400') + 1;
    expect(badInput(fx.gitml('repro'))[0]).toMatch(
      `error: ml.lock.json:${line}:${col}: stages.train.outs.model.txt.size: number out of range`,
    );
    expect(fx.read('ml.lock.json')).toBe(text);
  });
});

describe('parameters that JSON cannot hold', () => {
  it('NaN, infinity, null and big integers stay distinct in the lockfile and in status', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: .inf\n  name: "5"\n  x: .nan\n' });
    expect(fx.gitml('repro').code).toBe(0);
    expect(fx.read('model.txt')).toBe('Infinity\n');
    expect(fx.lock().stages.train.params['params.yaml']).toEqual({
      'train.lr': { $float: 'inf' },
      'train.name': '5',
      'train.x': { $float: 'nan' },
    });
    expect(fx.gitml('status').stdout).toContain('up to date');

    fx.write('params.yaml', 'train:\n  lr: -.inf\n  name: 5\n  x: null\n');
    const status = fx.gitml('status');
    expect(status.stdout).toContain('param `train.lr` changed `Infinity -> -Infinity`');
    expect(status.stdout).toContain('param `train.x` changed `NaN -> null`');
    expect(status.stdout).toContain('param `train.name` changed `"5" -> 5`');

    fx.write('params.yaml', 'train:\n  lr: 12345678901234567890123\n  name: "5"\n  x: 0\n');
    expect(fx.gitml('repro').code).toBe(0);
    expect(fx.read('model.txt')).toBe('12345678901234567890123\n');
    expect(fx.lock().stages.train.params['params.yaml']['train.lr']).toEqual({ $int: '12345678901234567890123' });
    fx.write('params.yaml', 'train:\n  lr: 12345678901234567890124\n  name: "5"\n  x: 0\n');
    expect(fx.gitml('status').stdout).toContain('param `train.lr` changed `12345678901234567890123 -> 12345678901234567890124`');
  });

  it('params diff shows a string that became a number with its quotes, and --json keeps NaN apart from null', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: 1\n  name: "5"\n  x: .nan\n' });
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'params');
    fx.write('params.yaml', 'train:\n  lr: 1\n  name: 5\n  x: null\n');
    const table = fx.gitml('params', 'diff');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/train\.name\s+"5"\s+5\s/);
    expect(table.stdout).toMatch(/train\.x\s+NaN\s+null\s/);
    const json = JSON.parse(fx.gitml('params', 'diff', '--json').stdout);
    expect(json.diff['params.yaml']).toEqual({ 'train.name': { old: '5', new: 5 }, 'train.x': { old: { $float: 'nan' }, new: null } });
  });
});

describe('experiments and big integers', () => {
  it('exp run -S rewrites the key it sets and keeps every digit of the others', () => {
    const fx = makeFixture({
      'ml.yaml': 'stages:\n  run:\n    cmd: echo ${seed} ${lr} > out.txt\n    outs: [out.txt]\n',
      'params.yaml': 'seed: 12345678901234567890123\nlr: 1\n',
    });
    expect(fx.gitml('init').code).toBe(0);
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'baseline');
    const r = fx.gitml('exp', 'run', '-S', 'lr=2', '-n', 'e');
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(fx.gitml('exp', 'show', '--json').stdout) as {
      name: string;
      params: Record<string, Record<string, unknown>>;
    }[];
    expect(rows.find((row) => row.name === 'e')!.params['params.yaml']).toEqual({ lr: 2, seed: { $int: '12345678901234567890123' } });
  });
});
