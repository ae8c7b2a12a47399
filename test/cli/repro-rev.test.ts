import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

// A deterministic model from the data, and a metrics file from the model.
const PIPELINE = (extra = '') => `stages:
  train:
    cmd: mkdir -p models && cat data.txt data.txt > models/model.bin
    deps: [data.txt]
    outs: [models/model.bin]
  evaluate:
    cmd: >-
      echo "{\\"size\\": $(wc -c < models/model.bin)}" > eval.json
    deps: [models/model.bin]
    metrics: [{path: eval.json, better: {size: higher}}]
${extra}`;

// A stage whose output changes on every run.
const NOISY = `  stamp:
    cmd: date +%s%N > stamp.txt
    outs: [stamp.txt]
`;

function committed(extra = '') {
  const fx = makeFixture({ 'ml.yaml': PIPELINE(extra), 'data.txt': 'abc\n' });
  expect(fx.gitml('repro', '-q').code).toBe(0);
  fx.git('add', '-A');
  fx.git('commit', '-qm', 'first');
  return fx;
}

describe('gitml repro --rev', () => {
  it('rebuilds an older commit in a scratch workspace and finds every output identical', () => {
    const fx = committed();
    fx.write('data.txt', 'abcdef\n');
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.git('commit', '-qam', 'more data');
    fx.write('data.txt', 'uncommitted\n');
    const before = fx.read('models/model.bin');

    const r = fx.gitml('repro', '--rev', 'HEAD~1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/models\/model\.bin\s+train\s+identical/);
    expect(r.stdout).toMatch(/eval\.json\s+size\s+8\s+8\s+0\s+0%\s+same/);
    expect(r.stdout).toMatch(/HEAD~1 \([0-9a-f]{7}\) reproduced: every output is bit-identical\./);
    // The user's working tree, index and branch are untouched; the scratch workspace is gone.
    expect(fx.read('data.txt')).toBe('uncommitted\n');
    expect(fx.read('models/model.bin')).toBe(before);
    expect(fx.git('status', '--porcelain')).toBe(' M data.txt\n');
    expect(existsSync(join(fx.dir, '.ml/tmp'))).toBe(true);
    expect(fx.gitml('status').stdout).toContain('train: changed');
  });

  it('exits 1 naming an output that does not rebuild bit-identically, and keeps the scratch workspace', () => {
    const fx = committed(NOISY);
    const r = fx.gitml('repro', '--rev', 'HEAD');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/stamp\.txt\s+stamp\s+DIFFERS/);
    expect(r.stdout).toMatch(/models\/model\.bin\s+train\s+identical/);
    expect(r.stderr).toContain('1 output of HEAD');
    expect(r.stderr).toContain('did not rebuild bit-identically: stamp.txt');
    const kept = /kept at (\S+)\./.exec(r.stderr)?.[1];
    expect(kept && existsSync(join(kept, 'stamp.txt'))).toBe(true);
  });

  it('reports a declared nondeterministic output without failing', () => {
    const fx = committed(NOISY.replace('outs: [stamp.txt]', 'outs: [{path: stamp.txt, nondeterministic: true}]'));
    const r = fx.gitml('repro', '--rev', 'HEAD', '--keep');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stamp\.txt\s+stamp\s+differs \(nondeterministic\)/);
    expect(r.stdout).toContain('every output is bit-identical or declared nondeterministic');
    expect(r.stderr).toMatch(/scratch workspace is kept at .*\.ml\/tmp\/repro-[0-9a-f]{7}/);
  });

  it('fails clearly for a bad revision or a failing stage', () => {
    const fx = committed();
    expect(fx.gitml('repro', '--rev', 'nope').stderr).toContain('unknown revision `nope`');
    expect(fx.gitml('repro', '--rev', 'HEAD', 'train').code).toBe(2);
    fx.write('ml.yaml', PIPELINE().replace('cat data.txt data.txt', 'exit 3;'));
    fx.git('commit', '-qam', 'broken');
    const r = fx.gitml('repro', '--rev', 'HEAD');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stage failed: train while rebuilding HEAD; the scratch workspace is kept at/);
  });
});
