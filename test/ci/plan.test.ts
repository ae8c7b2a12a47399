import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../core/cache/run-cache.js';
import { planCi, type CiLookups, type CiPlan, type RunsOn } from '../../core/ci/plan.js';
import { buildGraph, topoOrder, type Graph } from '../../core/graph/build.js';
import { serializeManifest, type HashInfo, type Manifest } from '../../core/hash/hash-path.js';
import { toStageLock } from '../../core/lockfile/entry.js';
import { emptyLockfile, type LockEntry, type Lockfile } from '../../core/lockfile/lockfile.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import { serializeStageKey, stageKeyRecord } from '../../core/plan/stage-key.js';

/**
 * prepare -> data/ -> train -> model.pkl -> evaluate and finetune (a GPU stage); lint on its own, on a docker runner.
 * The world (workspace files, stored objects, manifests, run-cache records) is in memory; `simulate` plays `repro`
 * over it, so a lockfile and run-cache are as a real run leaves them.
 */
const PIPELINE = (opts: { frozenTrain?: boolean } = {}) => `stages:
  lint:
    cmd: ruff check
    deps: [src.py]
    outs: [lint.txt]
    resources: {labels: [docker]}
  prepare:
    cmd: python prepare.py
    deps: [raw.csv]
    outs: [data]
  train:
    cmd: python train.py
    deps: [data/train.csv]
    params: [lr]
    outs: [model.pkl]
    metrics: [metrics.json]${opts.frozenTrain ? '\n    frozen: true' : ''}
  evaluate:
    cmd: python evaluate.py
    deps: [model.pkl, data/test.csv]
    metrics: [score.json]
  finetune:
    cmd: python finetune.py
    deps: [model.pkl]
    outs: [ft.pkl]
    resources: {gpu: 1}
`;

const RUNNERS: Record<string, RunsOn> = { gpu: ['self-hosted', 'gpu'], docker: 'docker-runner', default: 'ubuntu-22.04' };

const sha = (s: string) => `blake3:${createHash('sha256').update(s).digest('hex')}`;
const stageKey = (record: Parameters<CiLookups['stageKey']>[0]) => sha(serializeStageKey(record));
const treeHash = (m: Manifest) => sha(serializeManifest(m));

interface World {
  /** What a CI checkout holds: git-tracked inputs and committed metrics. */
  files: Map<string, HashInfo>;
  /** Objects in the local cache or on the remote. */
  stored: Set<string>;
  manifests: Map<string, Manifest>;
  runs: Map<string, RunRecord>;
}

function world(): World {
  const files = new Map<string, HashInfo>(['src.py', 'raw.csv'].map((p) => [p, { hash: sha(`${p}:v1`), size: 2 }]));
  return { files, stored: new Set(), manifests: new Map(), runs: new Map() };
}

function graph(lr: number, opts: { frozenTrain?: boolean } = {}): Graph {
  const parsed = parsePipeline(PIPELINE(opts), (p) => (p === 'params.yaml' ? `lr: ${lr}\n` : null));
  expect(parsed.problems).toEqual([]);
  return buildGraph(parsed.pipeline!, () => 'ok').graph!;
}

/** Runs every stage as `repro` would: outputs that depend on the stage key, lock entries, run-cache records. */
function simulate(g: Graph, w: World): Lockfile {
  const lock = emptyLockfile();
  const outsOf = new Map<string, HashInfo>();
  for (const name of topoOrder(g)) {
    const stage = g.stages.get(name)!;
    const deps = new Map<string, HashInfo>();
    for (const d of stage.deps) {
      const inside = [...outsOf.keys()].find((o) => d.startsWith(`${o}/`));
      if (inside) {
        const f = w.manifests.get(outsOf.get(inside)!.hash)!.files.find((x) => x.path === d.slice(inside.length + 1))!;
        deps.set(d, { hash: f.hash, size: f.size });
      } else deps.set(d, outsOf.get(d) ?? w.files.get(d)!);
    }
    const key = stageKey(stageKeyRecord(stage, deps));
    const outs = new Map<string, HashInfo>();
    for (const o of stage.outs) {
      let info: HashInfo;
      if (o.path === 'data') {
        const manifest: Manifest = { files: ['test.csv', 'train.csv'].map((f) => ({ path: f, hash: sha(`${f}:${key}`), size: 3 })) };
        info = { hash: treeHash(manifest), size: 6, nfiles: 2 };
        w.manifests.set(info.hash, manifest);
        for (const f of manifest.files) w.stored.add(f.hash);
      } else info = { hash: sha(`${o.path}:${key}`), size: 3 };
      w.stored.add(info.hash);
      // Uncached outputs are committed to git: the checkout has them.
      if (!o.cache) w.files.set(o.path, info);
      outs.set(o.path, info);
      outsOf.set(o.path, info);
    }
    lock.stages[name] = toStageLock(stage, deps, outs);
    if (stage.outs.length) w.runs.set(key, { outs: lock.stages[name]!.outs });
  }
  return lock;
}

function lookups(w: World): CiLookups {
  return {
    workspaceHash: (p) => w.files.get(p) ?? null,
    stored: async (e: LockEntry) =>
      w.stored.has(e.hash) && (e.nfiles === undefined || (w.manifests.get(e.hash)?.files.every((f) => w.stored.has(f.hash)) ?? false)),
    runRecord: async (key) => w.runs.get(key),
    manifest: async (hash) => (w.stored.has(hash) ? w.manifests.get(hash) : undefined),
    stageKey,
    treeHash,
  };
}

const actions = (p: CiPlan) => Object.fromEntries(p.stages.map((s) => [s.name, s.action]));
const reasonsOf = (p: CiPlan, name: string) => p.stages.find((s) => s.name === name)!.reasons;

describe('planCi', () => {
  it('a pipeline whose lockfile matches and whose outputs are stored has nothing to run, though the workspace lacks every cached output', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    const plan = await planCi({ graph: graph(0.1), lock, runners: RUNNERS, lookups: lookups(w) });
    expect(plan.stages.map((s) => s.name)).toEqual(['lint', 'prepare', 'train', 'evaluate', 'finetune']);
    expect(new Set(plan.stages.map((s) => s.action))).toEqual(new Set(['up-to-date']));
    expect(plan.stages.every((s) => s.key?.startsWith('blake3:') && s.reasons.length === 0)).toBe(true);
    expect(plan).toMatchObject({ has_work: false, groups: [] });
  });

  it('a changed param runs that stage and, with unknown keys, everything downstream, as one group on the GPU runner', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    const plan = await planCi({ graph: graph(0.2), lock, runners: RUNNERS, lookups: lookups(w) });
    expect(actions(plan)).toEqual({ lint: 'up-to-date', prepare: 'up-to-date', train: 'run', evaluate: 'run', finetune: 'run' });
    expect(reasonsOf(plan, 'train')).toEqual(['param `lr` changed `0.1 -> 0.2`', 'no run-cache entry']);
    expect(reasonsOf(plan, 'evaluate')).toEqual(['upstream `train` runs']);
    expect(plan.stages.find((s) => s.name === 'train')!.key).toMatch(/^blake3:/);
    expect(plan.stages.find((s) => s.name === 'evaluate')!.key).toBeNull();
    expect(plan.groups).toEqual([
      { name: 'train', stages: ['train', 'evaluate', 'finetune'], runs_on: ['self-hosted', 'gpu'], resources: { gpu: 1, labels: [] } },
    ]);
    expect(plan.has_work).toBe(true);
  });

  it('two independent changes make two groups; labels that name a runner pick it, and groups follow topological order', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    w.files.set('src.py', { hash: sha('src.py:v2'), size: 2 });
    const plan = await planCi({ graph: graph(0.2), lock, runners: RUNNERS, lookups: lookups(w) });
    expect(plan.groups.map((g) => [g.name, g.stages, g.runs_on])).toEqual([
      ['lint', ['lint'], 'docker-runner'],
      ['train', ['train', 'evaluate', 'finetune'], ['self-hosted', 'gpu']],
    ]);
    expect(plan.groups[0]!.resources).toEqual({ gpu: 0, labels: ['docker'] });
    expect(reasonsOf(plan, 'lint')).toEqual(['dep `src.py` modified', 'no run-cache entry']);
  });

  it('a changed input upstream joins the stages below it in one group; without runners a CPU group goes to ubuntu-latest', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    w.files.set('raw.csv', { hash: sha('raw.csv:v2'), size: 2 });
    const g = graph(0.1);
    g.stages.get('finetune')!.resources.gpu = 0;
    const plan = await planCi({ graph: g, lock, lookups: lookups(w) });
    expect(plan.groups).toEqual([
      { name: 'prepare', stages: ['prepare', 'train', 'evaluate', 'finetune'], runs_on: 'ubuntu-latest', resources: { gpu: 0, labels: [] } },
    ]);
  });

  it('a key the run-cache has, with every object stored, is restored, and the stages below take the restored hashes', async () => {
    const w = world();
    simulate(graph(0.2), w);
    const lock = simulate(graph(0.1), w);
    const plan = await planCi({ graph: graph(0.2), lock, runners: RUNNERS, lookups: lookups(w) });
    expect(actions(plan)).toEqual({ lint: 'up-to-date', prepare: 'up-to-date', train: 'restore', evaluate: 'restore', finetune: 'restore' });
    expect(plan.stages.filter((s) => s.action === 'restore').every((s) => s.reasons.length === 0)).toBe(true);
    expect(plan.has_work).toBe(false);
  });

  it('a run-cache entry missing an object is no restore: the stage runs and says which output is nowhere', async () => {
    const w = world();
    simulate(graph(0.2), w);
    const restored = simulate(graph(0.2), { ...w, files: new Map(w.files) });
    w.stored.delete(restored.stages.train!.outs['model.pkl']!.hash);
    const lock = simulate(graph(0.1), w);
    const plan = await planCi({ graph: graph(0.2), lock, runners: RUNNERS, lookups: lookups(w) });
    expect(actions(plan).train).toBe('run');
    expect(reasonsOf(plan, 'train')).toContain('run-cache entry incomplete: `model.pkl` in neither the cache nor the remote');
  });

  it('an up-to-date key whose outputs are nowhere runs; a committed metrics file counts when the checkout holds it as recorded', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    w.stored.delete(lock.stages.train!.outs['metrics.json']!.hash);
    expect(actions(await planCi({ graph: graph(0.1), lock, runners: RUNNERS, lookups: lookups(w) })).train).toBe('up-to-date');
    w.stored.delete(lock.stages.lint!.outs['lint.txt']!.hash);
    const plan = await planCi({ graph: graph(0.1), lock, runners: RUNNERS, lookups: lookups(w) });
    expect(actions(plan).lint).toBe('run');
    expect(reasonsOf(plan, 'lint')).toContain('out `lint.txt` is in neither the cache nor the remote');
  });

  it('a frozen stage never runs, and the stages below it use its recorded outputs', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    const plan = await planCi({ graph: graph(0.2, { frozenTrain: true }), lock, runners: RUNNERS, lookups: lookups(w) });
    expect(actions(plan)).toEqual({ lint: 'up-to-date', prepare: 'up-to-date', train: 'frozen', evaluate: 'up-to-date', finetune: 'up-to-date' });
    expect(plan.stages.find((s) => s.name === 'train')).toEqual({ name: 'train', action: 'frozen', reasons: ['frozen'], key: null });
    expect(plan.has_work).toBe(false);
  });

  it('an input missing from the checkout runs the stage and says so', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    w.files.delete('src.py');
    const plan = await planCi({ graph: graph(0.1), lock, runners: RUNNERS, lookups: lookups(w) });
    expect(plan.stages[0]).toMatchObject({ name: 'lint', action: 'run', key: null });
    expect(reasonsOf(plan, 'lint')).toContain('dep `src.py` does not exist and no stage produces it');
  });

  it('with a base lockfile, what changed against it joins the reasons without changing the decision', async () => {
    const w = world();
    const base = simulate(graph(0.05), w);
    const lock = simulate(graph(0.1), w);
    const plan = await planCi({ graph: graph(0.1), lock, baseLock: base, runners: RUNNERS, lookups: lookups(w) });
    expect(new Set(plan.stages.map((s) => s.action))).toEqual(new Set(['up-to-date']));
    expect(reasonsOf(plan, 'train')).toEqual(['against base: param `lr` changed `0.05 -> 0.1`']);
    expect(reasonsOf(plan, 'evaluate')).toEqual(['against base: dep `model.pkl` modified']);
    expect(reasonsOf(plan, 'lint')).toEqual([]);
  });

  it('a GPU group with no gpu runner is an error naming .ml/config.yaml and the stage', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    const run = planCi({ graph: graph(0.2), lock, runners: { default: 'x' }, lookups: lookups(w) });
    await expect(run).rejects.toMatchObject({ code: 'E_CI_NO_GPU_RUNNER' });
    await expect(run).rejects.toThrow(/stage `finetune` needs a GPU \(resources.gpu: 1 at ml.yaml:\d+:\d+\) but .ml\/config.yaml has no `ci.runners.gpu`/);
  });

  it('a group whose labels name two runners is an error', async () => {
    const w = world();
    const lock = simulate(graph(0.1), w);
    w.files.set('src.py', { hash: sha('src.py:v2'), size: 2 });
    const g = graph(0.1);
    g.stages.get('lint')!.resources.labels = ['docker', 'highmem'];
    const run = planCi({ graph: g, lock, runners: { ...RUNNERS, highmem: 'big' }, lookups: lookups(w) });
    await expect(run).rejects.toMatchObject({ code: 'E_CI_RUNNER_CONFLICT', data: { group: 'lint', runners: ['docker', 'highmem'] } });
  });
});
