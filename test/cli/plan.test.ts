import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { makeFixture, runCli, type Fixture } from '../helpers/fixture.js';

/**
 * prepare -> data/ -> train -> model.bin -> evaluate; embed (a GPU stage) on its own. A directory remote holds what
 * `push --run-cache` sent; plans are made in fresh clones, which have no cache and no cached outputs.
 */
const PIPELINE = `stages:
  prepare:
    cmd: mkdir -p data && tr a-z A-Z < raw.txt > data/train.txt && cp raw.txt data/test.txt
    deps: [raw.txt]
    outs: [data]
  train:
    cmd: cat params.yaml data/train.txt > model.bin
    deps: [data/train.txt]
    params: [train.lr]
    outs: [model.bin]
  evaluate:
    cmd: >-
      wc -c < model.bin | tr -d ' ' > score.txt && echo '{"size": 1}' > metrics.json
    deps: [model.bin]
    outs: [score.txt]
    metrics: [metrics.json]
  embed:
    cmd: tr a-z A-Z < notes.txt > emb.txt
    deps: [notes.txt]
    outs: [emb.txt]
    resources: {gpu: 1}
`;
const EMBED_AT = `ml.yaml:${PIPELINE.split("\n").indexOf("  embed:") + 1}:3`;

const GPU_RUNNERS = '\nci:\n  runners:\n    gpu: [self-hosted, linux, gpu]\n    default: ubuntu-24.04\n';

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A repository that ran its pipeline, pushed outputs and run-cache entries to a directory remote, and committed. */
function origin(): Fixture {
  const remote = makeFixture({}, { git: false }).dir;
  const a = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: 0.1\n', 'raw.txt': 'abc\n', 'notes.txt': 'n\n' });
  ok(a, 'repro');
  ok(a, 'remote', 'add', 'origin', remote, '--default');
  ok(a, 'push', '--run-cache');
  a.git('add', '-A');
  a.git('commit', '-qm', 'pipeline, results and remote');
  return a;
}

/** What CI checks out: the committed files only. */
function clone(a: Fixture): Fixture {
  const b = makeFixture({}, { git: false });
  b.git('clone', '-q', a.dir, '.');
  return b;
}

interface PlanJson {
  base: { name: string; oid: string } | null;
  head: { name: string; oid: string };
  has_work: boolean;
  stages: { name: string; action: string; reasons: string[]; key: string | null }[];
  groups: { name: string; stages: string[]; runs_on: string | string[]; resources: { gpu: number; labels: string[] } }[];
}

const planJson = (fx: Fixture, ...args: string[]): PlanJson => JSON.parse(ok(fx, 'plan', '--json', ...args));
const actions = (p: PlanJson) => Object.fromEntries(p.stages.map((s) => [s.name, s.action]));

describe('gitml plan', () => {
  it('in a fresh clone after repro and push --run-cache, nothing runs: the lockfile matches and the remote has the outputs', () => {
    const a = origin();
    const b = clone(a);
    expect(b.exists('model.bin')).toBe(false);
    const p = planJson(b);
    expect(Object.keys(p)).toEqual(['base', 'head', 'has_work', 'stages', 'groups']);
    expect(p).toMatchObject({ base: null, head: { name: 'HEAD', oid: a.git('rev-parse', 'HEAD').trim() }, has_work: false, groups: [] });
    expect(actions(p)).toEqual({ prepare: 'up-to-date', embed: 'up-to-date', train: 'up-to-date', evaluate: 'up-to-date' });
    expect(p.stages.every((s) => /^blake3:[0-9a-f]{64}$/.test(s.key!))).toBe(true);
    expect(ok(b, 'plan')).toContain('Nothing to run');
    expect(ok(b, 'plan', '--matrix')).toBe('{"include":[]}\n');
    // Without the remote the outputs are nowhere: every stage with cached outputs must run.
    b.write('.ml/config.local.yaml', GPU_RUNNERS);
    const local = planJson(b, '--no-remote');
    expect(actions(local).prepare).toBe('run');
    expect(local.stages[0]!.reasons).toContain('out `data` is in neither the cache nor the remote');
  });

  it('a changed param runs that stage and the one below it as one group; --base adds what changed against the base', () => {
    const b = clone(origin());
    b.write('params.yaml', 'train:\n  lr: 0.2\n');
    const p = planJson(b, '--base', 'HEAD');
    expect(actions(p)).toEqual({ prepare: 'up-to-date', embed: 'up-to-date', train: 'run', evaluate: 'run' });
    expect(p.base).toEqual({ name: 'HEAD', oid: b.git('rev-parse', 'HEAD').trim() });
    expect(p.stages.find((s) => s.name === 'train')!.reasons).toEqual([
      'param `train.lr` changed `0.1 -> 0.2`',
      'no run-cache entry',
      'against base: param `train.lr` changed `0.1 -> 0.2`',
    ]);
    expect(p.stages.find((s) => s.name === 'evaluate')).toMatchObject({ reasons: ['upstream `train` runs'], key: null });
    expect(p.groups).toEqual([{ name: 'train', stages: ['train', 'evaluate'], runs_on: 'ubuntu-latest', resources: { gpu: 0, labels: [] } }]);
    const text = ok(b, 'plan');
    expect(text).toMatch(/^train +run +param `train.lr` changed `0.1 -> 0.2`; no run-cache entry$/m);
    expect(text).toContain('  train: train, evaluate (runs on ubuntu-latest)');
  });

  it('two independent changes make two groups, the GPU one on the gpu runner; --matrix prints just the matrix on one line', () => {
    const b = clone(origin());
    b.write('.ml/config.yaml', b.read('.ml/config.yaml') + GPU_RUNNERS);
    b.write('params.yaml', 'train:\n  lr: 0.2\n');
    b.write('notes.txt', 'changed\n');
    const p = planJson(b);
    expect(p.groups.map((g) => [g.name, g.stages, g.runs_on, g.resources.gpu])).toEqual([
      ['embed', ['embed'], ['self-hosted', 'linux', 'gpu'], 1],
      ['train', ['train', 'evaluate'], 'ubuntu-24.04', 0],
    ]);
    expect(ok(b, 'plan', '--matrix')).toBe(
      '{"include":[{"name":"embed","stages":["embed"],"runs_on":["self-hosted","linux","gpu"]},{"name":"train","stages":["train","evaluate"],"runs_on":"ubuntu-24.04"}]}\n',
    );
  });

  it('a GPU stage that must run with no gpu runner configured is an error naming .ml/config.yaml and the stage', () => {
    const b = clone(origin());
    b.write('notes.txt', 'changed\n');
    const r = b.gitml('plan', '--matrix');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`stage \`embed\` needs a GPU (resources.gpu: 1 at ${EMBED_AT}) but .ml/config.yaml has no \`ci.runners.gpu\``);
  });

  it('a result another job pushed to the remote run-cache is restored, not run, and so is what depends on it', () => {
    const a = origin();
    a.write('raw.txt', 'xyz\n');
    ok(a, 'repro');
    ok(a, 'push', '--run-cache');
    a.git('checkout', '--', '.');
    const b = clone(a);
    b.write('raw.txt', 'xyz\n');
    const p = planJson(b);
    // evaluate's entry names metrics.json, which git tracks: push sent its object with the entry all the same.
    expect(actions(p)).toEqual({ prepare: 'restore', embed: 'up-to-date', train: 'restore', evaluate: 'restore' });
    expect(p.has_work).toBe(false);
    expect(p.groups).toEqual([]);
    b.write('.ml/config.local.yaml', GPU_RUNNERS);
    expect(actions(planJson(b, '--no-remote')).prepare).toBe('run');
    // And repro restores all of it from there, running nothing.
    ok(b, 'pull', '--run-cache');
    const repro = b.gitml('repro');
    expect(repro.stdout).not.toMatch(/^Running/m);
    expect(repro.stdout).toMatch(/0 ran, 3 restored from the run-cache/);
  });

  it('ci.runners with a bad value is reported with file, line and column', () => {
    const b = clone(origin());
    b.write('.ml/config.yaml', b.read('.ml/config.yaml') + '\nci:\n  runners:\n    gpu: 3\n');
    const r = b.gitml('plan');
    expect(r.code).toBe(2);
    const line = b.read('.ml/config.yaml').split('\n').indexOf('    gpu: 3') + 1;
    expect(r.stderr).toContain(`.ml/config.yaml:${line}:10: ci.runners.gpu:`);
    expect(b.gitml('plan', '--json', '--matrix')).toMatchObject({ code: 2, stderr: expect.stringContaining('choose one of --json and --matrix') });
  });
});

describe('gitml ci init', () => {
  const WORKFLOW = `name: gitml
on:
  pull_request:
permissions:
  contents: read
  pull-requests: write
  checks: write
jobs:
  gitml:
    uses: gitml/gitml/.github/workflows/pull-request.yml@v0
    secrets: inherit
`;

  it('writes the workflow and default runners (keeping the config as it was), refuses a second time, and --force overwrites', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n', '.ml/config.yaml': '# shared settings\njobs: 2 # two at a time\n' });
    const out = ok(fx, 'ci', 'init');
    expect(out).toContain('Wrote .github/workflows/gitml.yml\nWrote .ml/config.yaml\n');
    expect(out).toContain('gitml remote add');
    expect(fx.read('.github/workflows/gitml.yml')).toBe(WORKFLOW);
    expect(fx.read('.ml/config.yaml')).toBe(
      '# shared settings\njobs: 2 # two at a time\nci:\n  runners:\n    gpu: [ self-hosted, linux, gpu ]\n    default: ubuntu-latest\n',
    );

    fx.write('.github/workflows/gitml.yml', 'edited\n');
    const again = fx.gitml('ci', 'init');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('.github/workflows/gitml.yml already exists; run `gitml ci init --force` to overwrite it');
    expect(fx.read('.github/workflows/gitml.yml')).toBe('edited\n');

    fx.write('.ml/config.yaml', 'ci:\n  runners:\n    default: my-runner\n');
    const forced = ok(fx, 'ci', 'init', '--force');
    expect(forced).toContain('Replaced .github/workflows/gitml.yml\n');
    expect(forced).not.toContain('.ml/config.yaml\n\n');
    expect(fx.read('.github/workflows/gitml.yml')).toBe(WORKFLOW);
    expect(fx.read('.ml/config.yaml')).toBe('ci:\n  runners:\n    default: my-runner\n');
  });

  it('for a pipeline below the repository root, writes a workflow of its own at the root, passing its directory', () => {
    const fx = makeFixture({ 'ml/churn/ml.yaml': 'stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n' });
    const out = ok({ ...fx, gitml: (...args: string[]) => runCli(join(fx.dir, 'ml/churn'), args) }, 'ci', 'init');
    expect(out).toContain('Wrote ../../.github/workflows/gitml-ml-churn.yml\n');
    const workflow = fx.read('.github/workflows/gitml-ml-churn.yml');
    expect(workflow).toContain('name: gitml (ml/churn)\n');
    expect(workflow.endsWith('    secrets: inherit\n    with:\n      working-directory: "ml/churn"\n')).toBe(true);
    expect(fx.exists('ml/churn/.github')).toBe(false);
    expect(fx.exists('ml/churn/.ml/config.yaml')).toBe(true);
  });

  it('does not mention adding a remote when one is configured, and refuses a config it cannot read, writing nothing', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n' });
    ok(fx, 'remote', 'add', 'origin', '/tmp/somewhere-remote', '--default');
    expect(ok(fx, 'ci', 'init')).not.toContain('gitml remote add');

    const bad = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: echo a\n', '.ml/config.yaml': 'ci:\n  runners: [a]\n' });
    const r = bad.gitml('ci', 'init');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.ml/config.yaml:2:12: ci.runners:');
    expect(bad.exists('.github/workflows/gitml.yml')).toBe(false);
  });
});
