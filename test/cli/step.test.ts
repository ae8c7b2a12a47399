import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

describe('gitml step and the stage environment', () => {
  it('puts this gitml first on PATH for stage commands, on the Node that runs the pipeline', () => {
    const fx = makeFixture({
      'ml.yaml':
        'stages:\n  who:\n    cmd: gitml --version > version.txt && echo "$GITML_NODE" > node.txt\n    outs: [version.txt, node.txt]\n',
    });
    const r = fx.gitml('repro', '-q');
    expect(r.code, r.stderr).toBe(0);
    expect(fx.read('version.txt').trim()).toBe(fx.gitml('--version').stdout.trim());
    expect(fx.read('node.txt').trim()).toBe(process.execPath);
  });

  it('names an unknown step and checks settings given by hand', () => {
    const fx = makeFixture({});
    const unknown = fx.gitml('step', 'sort');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown step `sort`; the steps are ingest, profile, validate, clean, features, split');
    const bad = fx.gitml('step', 'profile', '--with', '{"input": "x.csv"}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('with (profile): missing `output`');
    expect(fx.gitml('step', 'profile', '--with', '{nope').stderr).toContain('--with must be a JSON object');
  });

  it('points a step error about a setting at where ml.yaml sets it, in a worker thread and in a process alike', () => {
    const fx = makeFixture({
      't.csv': 'a,b\n1,x\n2,y\n',
      'ml.yaml': 'stages:\n  feat:\n    uses: gitml/data/features\n    with:\n      input: t.csv\n      output: out.csv\n      transform: tr.json\n      standardize: [a, c]\n',
    });
    const message = 'error: ml.yaml:8:7: features: standardize: column `c` does not exist; the columns are a, b';
    const inWorker = fx.gitml('repro');
    expect(inWorker.code).toBe(1);
    expect(inWorker.stdout + inWorker.stderr).toContain(message);
    fx.write('ml.yaml', fx.read('ml.yaml').replace('    with:', '    env: {GITML_STEP_ISOLATION: process}\n    with:'));
    expect(fx.gitml('repro').stdout).toContain(message.replace('8:7', '9:7'));
    // Run by hand there is no ml.yaml to point at.
    const byHand = fx.gitml('step', 'features', '--with', JSON.stringify({ input: 't.csv', output: 'o.csv', transform: 'tr.json', standardize: ['c'] }));
    expect(byHand.stderr).toContain('error: features: standardize: column `c` does not exist');
  });

  it('reads numbers in settings as the stage runner encodes them (NaN, integers beyond 2^53)', () => {
    const fx = makeFixture({});
    const settings = { input: 'x.csv', outputs: { train: 'a.csv', test: 'b.csv' }, fractions: { train: { $float: 'nan' }, test: 0.5 }, seed: { $int: '7' } };
    const r = fx.gitml('step', 'split', '--with', JSON.stringify(settings));
    expect(r.code).toBe(2);
    // Checked as the numbers they stand for, not as maps.
    expect(r.stderr).toContain('with (split): fractions.train: must be > 0');
    expect(r.stderr).not.toContain('got a map');
  });
});
