import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

const PARAMS = `train:
  lr: 0.01
  epochs: 3
  opt:
    name: adam
seed: 42
`;

const OTHER = `model:
  depth: 4
`;

// `train` writes nested JSON metrics, `score` writes YAML metrics.
const PIPELINE = `stages:
  train:
    cmd: >-
      node -e "require('fs').mkdirSync('metrics', {recursive: true});
      require('fs').writeFileSync('metrics/eval.json', JSON.stringify({acc: {top1: 0.91, top5: 0.99}, loss: 0.25}))"
    params: [train.lr, {other.yaml: [model.depth]}]
    metrics: [metrics/eval.json]
  score:
    cmd: >-
      printf 'summary:\\n  f1: 0.5\\n  name: best\\n' > scores.yaml
    metrics: [scores.yaml]
`;

function fixture() {
  return makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': PARAMS, 'other.yaml': OTHER });
}

/** `key  value` rows under each file heading of the plain-text output. */
function parseGroups(stdout: string): Record<string, Record<string, string>> {
  const groups: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    if (!line.startsWith(' ')) groups[line.trim()] = current = {};
    else {
      const m = /^\s+(\S+)\s+(.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      current![m![1]!] = m![2]!;
    }
  }
  return groups;
}

describe('gitml params show', () => {
  it('lists every key of params.yaml flattened, and the keys of another params file a stage names', () => {
    const fx = fixture();
    const r = fx.gitml('params', 'show');
    expect(r.code, r.stderr).toBe(0);
    const groups = parseGroups(r.stdout);
    expect(groups['params.yaml']).toEqual({ 'train.lr': '0.01', 'train.epochs': '3', 'train.opt.name': 'adam', seed: '42' });
    expect(groups['other.yaml']).toMatchObject({ 'model.depth': '4' });
  });

  it('--json gives {file: {key: value}} with typed values', () => {
    const fx = fixture();
    const r = fx.gitml('params', 'show', '--json');
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(data).sort()).toEqual(['other.yaml', 'params.yaml']);
    expect(data['params.yaml']).toEqual({ 'train.lr': 0.01, 'train.epochs': 3, 'train.opt.name': 'adam', seed: 42 });
    expect(data['other.yaml']).toMatchObject({ 'model.depth': 4 });
  });
});

describe('gitml metrics show', () => {
  it('prints JSON and YAML metrics flattened to dotted keys after repro', () => {
    const fx = fixture();
    expect(fx.gitml('repro').code).toBe(0);
    const r = fx.gitml('metrics', 'show');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(parseGroups(r.stdout)).toEqual({
      'metrics/eval.json': { 'acc.top1': '0.91', 'acc.top5': '0.99', loss: '0.25' },
      'scores.yaml': { 'summary.f1': '0.5', 'summary.name': 'best' },
    });
  });

  it('rounds fractions to the declared precision (5 significant digits by default); counts and --json stay whole', () => {
    const fx = makeFixture({
      'ml.yaml': `stages:
  eval:
    cmd: >-
      echo '{"auc": 0.876543219, "n": 123456789}' > a.json &&
      echo '{"loss": 0.123456789}' > b.json
    metrics: [{path: a.json, precision: 3}, b.json]
`,
    });
    expect(fx.gitml('repro', '-q').code).toBe(0);
    expect(parseGroups(fx.gitml('metrics', 'show').stdout)).toEqual({
      'a.json': { auc: '0.877', n: '123456789' },
      'b.json': { loss: '0.12346' },
    });
    expect(JSON.parse(fx.gitml('metrics', 'show', '--json').stdout).metrics['a.json']).toEqual({ auc: 0.876543219, n: 123456789 });
  });

  it('--json gives {"metrics": {...}, "errors": {}}', () => {
    const fx = fixture();
    expect(fx.gitml('repro').code).toBe(0);
    const r = fx.gitml('metrics', 'show', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      metrics: {
        'metrics/eval.json': { 'acc.top1': 0.91, 'acc.top5': 0.99, loss: 0.25 },
        'scores.yaml': { 'summary.f1': 0.5, 'summary.name': 'best' },
      },
      errors: {},
    });
  });

  it('still prints the other metrics when a declared file is missing, and names the missing one', () => {
    const fx = fixture();
    expect(fx.gitml('repro').code).toBe(0);
    fx.remove('scores.yaml');

    const r = fx.gitml('metrics', 'show');
    expect(parseGroups(r.stdout)).toEqual({ 'metrics/eval.json': { 'acc.top1': '0.91', 'acc.top5': '0.99', loss: '0.25' } });
    expect(r.stderr).toContain('scores.yaml');

    const j = fx.gitml('metrics', 'show', '--json');
    const data = JSON.parse(j.stdout) as { metrics: Record<string, unknown>; errors: Record<string, string> };
    expect(Object.keys(data.metrics)).toEqual(['metrics/eval.json']);
    expect(Object.keys(data.errors)).toEqual(['scores.yaml']);
    expect(data.errors['scores.yaml']).toMatch(/does not exist/);
    expect(j.stderr).toContain('scores.yaml');
  });
});
