import { cpSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, REPO_ROOT } from './helpers/fixture.js';

describe('the root demo pipeline', () => {
  it('reproduces the committed ml.lock.json and metrics exactly from a clean copy', () => {
    const fx = makeFixture();
    for (const path of ['ml.yaml', 'params.yaml', 'ml.lock.json', 'demo', 'data/raw']) cpSync(join(REPO_ROOT, path), join(fx.dir, path), { recursive: true });
    // The demo scripts import `yaml`, installed with gitml itself.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(fx.dir, 'node_modules'));

    const status = JSON.parse(fx.gitml('status', '--json').stdout);
    expect(status.stages.prepare.reasons).toEqual(['out `data/prepared` missing']);

    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fx.read('ml.lock.json')).toBe(readFileSync(join(REPO_ROOT, 'ml.lock.json'), 'utf8'));
    expect(fx.read('metrics/eval.json')).toBe(readFileSync(join(REPO_ROOT, 'metrics/eval.json'), 'utf8'));

    const metrics = JSON.parse(fx.gitml('metrics', 'show', '--json').stdout);
    expect(metrics.metrics['metrics/eval.json'].accuracy).toBeGreaterThan(0.7);
  });
});
