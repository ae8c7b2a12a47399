import { beforeAll, describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

// `train` turns lr into a model file and two metrics: accuracy rises and loss falls with lr.
const PIPELINE = `stages:
  train:
    cmd: >-
      node -e "const lr = \${train.lr}; require('fs').mkdirSync('out', {recursive: true});
      require('fs').writeFileSync('out/model.txt', 'lr=' + lr);
      require('fs').writeFileSync('out/eval.json', JSON.stringify({acc: 0.5 + lr, loss: 1 - lr, n: 100}))"
    outs: [out/model.txt]
    metrics:
      - path: out/eval.json
        better: {acc: higher, loss: lower}
        precision: 3
`;

let fx: Fixture;

beforeAll(() => {
  fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: 0.1\n  batch: 32\n' });
  expect(fx.gitml('repro', '-q').code).toBe(0);
  fx.git('add', '-A');
  fx.git('commit', '-q', '-m', 'lr 0.1');
  fx.write('params.yaml', 'train:\n  lr: 0.2\n  batch: 32\n');
  expect(fx.gitml('repro', '-q').code).toBe(0);
  fx.git('commit', '-q', '-am', 'lr 0.2');
  fx.git('tag', 'v2');
  fx.write('params.yaml', 'train:\n  lr: 0.05\n  batch: 64\n'); // edited, not reproduced
});

describe('gitml metrics diff', () => {
  it('compares HEAD~1 with HEAD with directions and precision', () => {
    const r = fx.gitml('metrics', 'diff', 'HEAD~1', 'HEAD');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'Path           Key   HEAD~1  HEAD  Change  Change %  Better?',
      'out/eval.json  acc      0.6   0.7    +0.1    +16.7%  better',
      'out/eval.json  loss     0.9   0.8    -0.1    -11.1%  better',
    ]);
  });

  it('prints JSON with old, new, change, relative change and verdict', () => {
    const r = fx.gitml('metrics', 'diff', 'HEAD~1', 'v2', '--json');
    const out = JSON.parse(r.stdout);
    expect(out.a.name).toBe('HEAD~1');
    expect(out.b.commit).toBe(fx.git('rev-parse', 'v2').trim());
    expect(out.diff['out/eval.json'].acc).toMatchObject({ old: 0.6, new: 0.7, verdict: 'better' });
    expect(out.diff['out/eval.json'].acc.relative).toBeCloseTo(0.1 / 0.6);
  });

  it('prints a GitHub markdown table', () => {
    const lines = fx.gitml('metrics', 'diff', 'HEAD~1', '--md').stdout.split('\n');
    // The workspace was not reproduced after the last edit, so its metrics equal HEAD's.
    expect(lines[0]).toBe('| Path | Key | HEAD~1 | workspace | Change | Change % | Better? |');
    expect(lines[1]).toBe('| --- | --- | ---: | ---: | ---: | ---: | --- |');
    expect(lines).toContain('| out/eval.json | acc | 0.6 | 0.7 | +0.1 | +16.7% | better |');
  });

  it('shows a metric missing at one side and still prints the rest', () => {
    fx.write('out/eval.json', JSON.stringify({ acc: 0.4, n: 100 }));
    try {
      const r = fx.gitml('metrics', 'diff');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/out\/eval\.json\s+acc\s+0\.7\s+0\.4\s+-0\.3\s+-42\.9%\s+worse/);
      expect(r.stdout).toMatch(/out\/eval\.json\s+loss\s+0\.8\s+missing/);
      fx.remove('out/eval.json');
      const gone = fx.gitml('metrics', 'diff');
      expect(gone.code).toBe(0);
      expect(gone.stdout).toMatch(/acc\s+0\.7\s+missing/);
      expect(gone.stderr).toContain('out/eval.json (workspace): does not exist; run `gitml repro train`');
    } finally {
      fx.git('checkout', '--', 'out/eval.json');
    }
  });

  it('says when nothing changed, and names a bad revision', () => {
    expect(fx.gitml('metrics', 'diff', 'HEAD', 'v2').stdout).toMatch(
      /^No metrics changed between HEAD \([0-9a-f]{7}\) and v2 \([0-9a-f]{7}\)\./,
    );
    const bad = fx.gitml('metrics', 'diff', 'v3');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown revision `v3`; did you mean `v2`?');
  });
});

describe('gitml params diff', () => {
  it('defaults to HEAD against the workspace', () => {
    const r = fx.gitml('params', 'diff');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'Path         Key          HEAD  workspace  Change  Change %',
      'params.yaml  train.batch    32         64     +32     +100%',
      'params.yaml  train.lr      0.2       0.05   -0.15      -75%',
    ]);
    expect(JSON.parse(fx.gitml('params', 'diff', 'HEAD~1', 'HEAD', '--json', '--all').stdout).diff['params.yaml']).toEqual({
      'train.batch': { old: 32, new: 32, change: 0, relative: 0 },
      'train.lr': { old: 0.1, new: 0.2, change: 0.2 - 0.1, relative: (0.2 - 0.1) / 0.1 },
    });
  });
});

describe('gitml diff', () => {
  it('lists params, metrics, changed stages and changed outputs', () => {
    const r = fx.gitml('diff', 'HEAD~1', 'HEAD', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out.params['params.yaml'])).toEqual(['train.lr']);
    expect(Object.keys(out.metrics['out/eval.json'])).toEqual(['acc', 'loss']);
    expect(out.stages).toEqual([{ stage: 'train', change: 'modified', parts: ['cmd', 'params', 'outs'] }]);
    expect(out.outputs.map((o: { path: string; change: string }) => [o.path, o.change])).toEqual([['out/model.txt', 'modified']]);
  });

  it('hashes workspace outputs as they are on disk', () => {
    const before = fx.gitml('diff', '--json');
    expect(JSON.parse(before.stdout).outputs).toEqual([]);
    fx.write('out/model.txt', 'edited by hand');
    const after = fx.gitml('diff');
    expect(after.stdout).toMatch(/Outputs:\n\s+Path\s+Stage\s+Change\s+Old\s+New\n\s+out\/model\.txt\s+train\s+modified/);
    fx.gitml('checkout', '-q');
  });

  it('prints markdown sections for a pull request comment', () => {
    const md = fx.gitml('diff', 'HEAD~1', 'HEAD', '--md').stdout;
    expect(md).toContain('## HEAD~1 → HEAD');
    expect(md).toContain('### Metrics\n\n| Path | Key | HEAD~1 | HEAD |');
    expect(md).toContain('| train | modified | cmd, params, outs |');
  });
});
