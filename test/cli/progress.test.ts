import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

describe('progress on long work', () => {
  it('repro reports hashing and caching a large output after its command ends, and nothing with -q', () => {
    const gen = 'stages:\n  gen:\n    cmd: mkdir -p data && for i in $(seq 1 1200); do echo $i > data/$i.txt; done\n    outs: [data]\n';
    const fx = makeFixture({ 'ml.yaml': gen });
    const r = fx.gitml('repro');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('hashing 1200 files...');
    expect(r.stderr).toMatch(/caching data\.\.\.\ncaching data: done in \d+\.\d s/);
    const quiet = makeFixture({ 'ml.yaml': gen }).gitml('-q', 'repro');
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('prints a start and an end line when not on a terminal, and nothing with -q', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  gen:\n    cmd: mkdir -p data && for i in $(seq 1 1200); do echo $i > data/$i.txt; done\n    outs: [data]\n' });
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.remove('.ml/state/stat'); // forget every hash, so status reads all 1,200 files again

    const r = fx.gitml('status');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('hashing 1200 files...');
    expect(r.stderr).toMatch(/hashing 1200 files: done in \d+\.\d s/);
    expect(r.stderr).not.toContain('\r'); // no bar redrawn in a log

    fx.remove('.ml/state/stat');
    expect(fx.gitml('-q', 'status').stderr).toBe('');

    fx.remove('data');
    const co = fx.gitml('checkout');
    expect(co.stderr).toContain('checking out data...');
    expect(co.stdout).toContain('restored data');
  });
});
