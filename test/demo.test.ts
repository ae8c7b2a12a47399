import { cpSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, REPO_ROOT } from './helpers/fixture.js';

describe('the root demo pipeline', () => {
  it('reproduces the committed ml.lock.json and metrics exactly from a clean copy', () => {
    const fx = makeFixture();
    for (const path of ['ml.yaml', 'params.yaml', 'ml.lock.json', 'demo', 'data/raw', 'data/expectations.yaml'])
      cpSync(join(REPO_ROOT, path), join(fx.dir, path), { recursive: true });
    // The demo scripts import nodejs-polars, installed with gitml itself.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(fx.dir, 'node_modules'));

    const status = JSON.parse(fx.gitml('status', '--json').stdout);
    expect(status.stages.ingest.reasons).toEqual(['out `data/customers.parquet` not in the workspace nor in the cache, and no remote is set; `gitml repro` rebuilds it']);

    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fx.read('ml.lock.json')).toBe(readFileSync(join(REPO_ROOT, 'ml.lock.json'), 'utf8'));
    // Built-in steps and scripts alike: every committed output is rebuilt byte for byte.
    for (const path of [
      'metrics/eval.json',
      'metrics/roc.json',
      'reports/profile.json',
      'reports/profile.html',
      'reports/validation.json',
      'models/transform.json',
    ])
      expect(fx.read(path), path).toBe(readFileSync(join(REPO_ROOT, path), 'utf8'));

    const metrics = JSON.parse(fx.gitml('metrics', 'show', '--json').stdout);
    expect(metrics.metrics['metrics/eval.json'].accuracy).toBeGreaterThan(0.7);
  });
});
