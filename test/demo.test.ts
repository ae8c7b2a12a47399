import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, REPO_ROOT } from './helpers/fixture.js';

/** The commands of the README's "Two commands" block, comments dropped. */
function readmeCommands(): string[] {
  const block = /## Two commands\n\n```sh\n([^`]*)```/.exec(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))?.[1] ?? '';
  return block
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

describe('the root demo pipeline', () => {
  it("the README's second command runs the repository's own CLI, with nothing to install first", () => {
    const [install, run] = readmeCommands();
    expect(install).toBe('npm install');
    // Not `npx gitml`: inside this repository npx installs the package into its cache before running it.
    expect(run).toBe('./bin/gitml repro');
    expect(existsSync(join(REPO_ROOT, run!.split(' ')[0]!))).toBe(true);
  });

  it("reproduces the committed ml.lock.json and metrics exactly from a clean copy, run with the README's second command", () => {
    const fx = makeFixture();
    for (const path of ['ml.yaml', 'params.yaml', 'ml.lock.json', 'data/raw', 'data/expectations.yaml'])
      cpSync(join(REPO_ROOT, path), join(fx.dir, path), { recursive: true });

    const status = JSON.parse(fx.gitml('status', '--json').stdout);
    expect(status.stages.ingest.reasons).toEqual([
      'out `data/customers.parquet` not in the workspace',
    ]);
    expect(status.stages.ingest.missing).toEqual([{ path: 'data/customers.parquet', restore: 'repro' }]);

    // The README's command, with its bin/ taken from this checkout: the fixture holds the pipeline, not gitml.
    const [bin, ...args] = readmeCommands()[1]!.split(' ');
    const r = spawnSync(join(REPO_ROOT, bin!), args, { cwd: fx.dir, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // Built-in steps ran in worker threads of that one process.
    expect(fx.read('.ml/logs/ingest.log')).toContain('(in a worker thread)');
    expect(fx.read('ml.lock.json')).toBe(readFileSync(join(REPO_ROOT, 'ml.lock.json'), 'utf8'));
    // Built-in steps and scripts alike: every committed output is rebuilt byte for byte.
    for (const path of [
      'metrics/eval.json',
      'metrics/roc.json',
      'metrics/train.json',
      'metrics/accept.json',
      'plots/confusion.json',
      'plots/importance.json',
      'plots/history.json',
      'reports/profile.json',
      'reports/profile.html',
      'reports/validation.json',
      'models/transform.json',
      'models/churn.signature.json',
    ])
      expect(fx.read(path), path).toBe(readFileSync(join(REPO_ROOT, path), 'utf8'));

    const metrics = JSON.parse(fx.gitml('metrics', 'show', '--json').stdout);
    expect(metrics.metrics['metrics/eval.json'].accuracy).toBeGreaterThan(0.7);

    // The library example predicts with the ONNX file the package stage wrote.
    const example = spawnSync(process.execPath, [join(REPO_ROOT, 'examples/library/predict.mjs'), join(fx.dir, 'models/churn.onnx')], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(example.status, example.stdout + example.stderr).toBe(0);
    const version = JSON.parse(fx.read('models/churn.signature.json')).model_version;
    expect(example.stdout).toContain(`churn ${version}: binary over 0, 1; inputs tenure_months (FP64)`);
    expect(example.stdout).toMatch(/customer 1: churned=[01] \(p=0\.\d{3}\)\n[\s\S]*batch of 2: labels [01], [01]/);
  });
});
