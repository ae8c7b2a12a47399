import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

// Outputs are metrics (cache: false) so git carries them and a merged checkout is complete.
const PIPELINE = `
stages:
  a:
    cmd: cat a-in.txt a-in.txt > a.json
    deps: [a-in.txt]
    metrics: [a.json]
  b:
    cmd: cat b-in.txt b-in.txt > b.json
    deps: [b-in.txt]
    metrics: [b.json]
`;

describe('ml.lock.json under git', () => {
  it('merges without conflict when two branches changed different stages', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'a-in.txt': '1\n', 'b-in.txt': '2\n' });
    expect(fx.gitml('repro').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'base');

    fx.git('checkout', '-qb', 'exp-a');
    fx.write('a-in.txt', '10\n');
    expect(fx.gitml('repro').code).toBe(0);
    fx.git('commit', '-qam', 'change a');
    const aHash = fx.lock().stages.a.outs['a.json'].hash;

    fx.git('checkout', '-q', 'main');
    fx.write('b-in.txt', '20\n');
    expect(fx.gitml('repro').code).toBe(0);
    fx.git('commit', '-qam', 'change b');
    const bHash = fx.lock().stages.b.outs['b.json'].hash;

    fx.git('merge', '-q', '--no-edit', 'exp-a'); // throws on conflict
    const merged = fx.lock();
    expect(merged.stages.a.outs['a.json'].hash).toBe(aHash);
    expect(merged.stages.b.outs['b.json'].hash).toBe(bHash);
    const status = JSON.parse(fx.gitml('status', '--json').stdout);
    expect(status.stages).toEqual({ a: { changed: false, reasons: [] }, b: { changed: false, reasons: [] } });
  });

  it('is written with sorted keys and a stable layout, whatever order stages ran in', () => {
    const one = makeFixture({ 'ml.yaml': PIPELINE, 'a-in.txt': '1\n', 'b-in.txt': '2\n' });
    const two = makeFixture({ 'ml.yaml': PIPELINE, 'a-in.txt': '1\n', 'b-in.txt': '2\n' });
    one.gitml('repro', 'a');
    one.gitml('repro', 'b');
    two.gitml('repro', 'b');
    two.gitml('repro', 'a');
    expect(one.read('ml.lock.json')).toBe(two.read('ml.lock.json'));
    expect(one.read('ml.lock.json')).toMatch(/^\{\n {2}"schema": "1",\n {2}"stages": \{\n {4}"a": \{\n {6}"cmd": \[/);
  });
});
