import { describe, expect, it } from 'vitest';
import { buildGraph, type Graph } from '../../core/graph/build.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import type { PlanAction, PlannedStage } from '../../core/plan/plan-repro.js';
import { schedule, type ScheduleHooks, type ScheduleOptions, type StageOutcome } from '../../core/run/schedule.js';

/** A graph from stage name -> names of the stages it depends on (each stage outputs `<name>.out`). */
function graph(stages: Record<string, string[]>): Graph {
  const lines = ['stages:'];
  for (const [name, ups] of Object.entries(stages)) {
    lines.push(`  ${name}:`, `    cmd: run ${name}`, `    deps: [${ups.map((u) => `${u}.out`).join(', ')}]`, `    outs: [${name}.out]`);
  }
  const parsed = parsePipeline(`${lines.join('\n')}\n`, () => null);
  expect(parsed.problems).toEqual([]);
  const built = buildGraph(parsed.pipeline!, () => 'ok');
  expect(built.problems).toEqual([]);
  return built.graph!;
}

/** A plan running every stage of `g` in declaration order, except those given another action. */
function planFor(g: Graph, actions: Record<string, PlanAction> = {}): PlannedStage[] {
  return g.names.map((name) => ({ name, action: actions[name] ?? 'run', reasons: [] }));
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Stands in for running stages: each `run` stays pending until the test calls `finish`, so the test decides the
 * order in which stages end and can look at what is running in between.
 */
class FakeRunner implements ScheduleHooks {
  readonly started: string[] = [];
  readonly running = new Set<string>();
  readonly blocked: [string, string][] = [];
  readonly upToDate: string[] = [];
  readonly rechecked: string[] = [];
  maxRunning = 0;
  private readonly pending = new Map<string, { resolve: (ok: boolean) => void; reject: (err: unknown) => void }>();

  constructor(private readonly changed: (name: string) => boolean = () => true) {}

  run = (name: string): Promise<boolean> => {
    this.started.push(name);
    this.running.add(name);
    this.maxRunning = Math.max(this.maxRunning, this.running.size);
    return new Promise((resolve, reject) => this.pending.set(name, { resolve, reject }));
  };

  stillChanged = (name: string): boolean => {
    this.rechecked.push(name);
    return this.changed(name);
  };

  onBlocked = (name: string, failedUpstream: string): void => {
    this.blocked.push([name, failedUpstream]);
  };

  onUpToDate = (name: string): void => {
    this.upToDate.push(name);
  };

  readonly notStarted: string[] = [];
  onNotStarted = (name: string): void => {
    this.notStarted.push(name);
  };

  /** Ends a running stage (successfully unless `ok` is false) and lets the scheduler react. */
  async finish(name: string, ok = true): Promise<void> {
    const p = this.pending.get(name);
    if (!p || !this.running.has(name)) throw new Error(`stage ${name} is not running`);
    this.running.delete(name);
    p.resolve(ok);
    await settle();
  }

  async crash(name: string, err: Error): Promise<void> {
    this.running.delete(name);
    this.pending.get(name)!.reject(err);
    await settle();
  }
}

/** Starts the schedule and lets it start what it can; `done` tells whether it has finished. */
async function start(g: Graph, plan: PlannedStage[], runner: FakeRunner, opts: Partial<ScheduleOptions> = {}) {
  let done = false;
  const result = schedule(g, plan, runner, { jobs: 1, keepGoing: false, ...opts });
  void result.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return { result, done: () => done };
}

const outcomes = (m: Map<string, StageOutcome>) => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));

describe('schedule', () => {
  it('runs independent stages at most `jobs` at a time, and all of them', async () => {
    const g = graph({ a: [], b: [], c: [], d: [] });
    const runner = new FakeRunner();
    const s = await start(g, planFor(g), runner, { jobs: 2 });
    expect(runner.started).toEqual(['a', 'b']);

    await runner.finish('b');
    expect(runner.started).toEqual(['a', 'b', 'c']);
    await runner.finish('a');
    expect(runner.started).toEqual(['a', 'b', 'c', 'd']);
    expect(s.done()).toBe(false);
    await runner.finish('d');
    await runner.finish('c');

    expect(outcomes(await s.result)).toEqual({ a: 'ran', b: 'ran', c: 'ran', d: 'ran' });
    expect(runner.maxRunning).toBe(2);
  });

  it('runs stages one at a time with jobs 1', async () => {
    const g = graph({ a: [], b: [], c: [] });
    const runner = new FakeRunner();
    const s = await start(g, planFor(g), runner, { jobs: 1 });
    for (const name of ['a', 'b', 'c']) {
      expect(runner.started.at(-1)).toBe(name);
      await runner.finish(name);
    }
    await s.result;
    expect(runner.maxRunning).toBe(1);
  });

  it('starts a stage only after everything upstream of it finished', async () => {
    const g = graph({ prepare: [], features: ['prepare'], lint: [], train: ['prepare', 'features'] });
    const runner = new FakeRunner();
    const s = await start(g, planFor(g), runner, { jobs: 4 });
    expect(runner.started).toEqual(['prepare', 'lint']);

    await runner.finish('prepare');
    expect(runner.started).toEqual(['prepare', 'lint', 'features']);
    await runner.finish('features');
    expect(runner.started).toEqual(['prepare', 'lint', 'features', 'train']);
    await runner.finish('train');
    expect(s.done()).toBe(false);
    await runner.finish('lint');
    expect(outcomes(await s.result)).toEqual({ features: 'ran', lint: 'ran', prepare: 'ran', train: 'ran' });
  });

  it('does not wait for upstream stages that are not in the plan', async () => {
    const g = graph({ prepare: [], train: ['prepare'] });
    const runner = new FakeRunner();
    const s = await start(g, planFor(g, { prepare: 'up-to-date' }), runner);
    expect(runner.started).toEqual(['train']);
    await runner.finish('train');
    expect(outcomes(await s.result)).toEqual({ train: 'ran' });
  });

  it('runs neither up-to-date nor frozen stages', async () => {
    const g = graph({ a: [], b: [], c: [] });
    const runner = new FakeRunner();
    const s = await start(g, planFor(g, { a: 'up-to-date', c: 'frozen' }), runner);
    await runner.finish('b');
    expect(outcomes(await s.result)).toEqual({ b: 'ran' });
    expect(runner.started).toEqual(['b']);
  });

  it('resolves at once with an empty plan', async () => {
    const g = graph({ a: [] });
    const runner = new FakeRunner();
    expect((await schedule(g, [], runner, { jobs: 2, keepGoing: false })).size).toBe(0);
    expect(runner.started).toEqual([]);
  });

  describe('failures', () => {
    it('with keepGoing, skips the dependents of a failed stage and still runs independent ones', async () => {
      const g = graph({ prepare: [], train: ['prepare'], evaluate: ['train'], lint: [] });
      const runner = new FakeRunner();
      const s = await start(g, planFor(g), runner, { jobs: 1, keepGoing: true });
      await runner.finish('prepare', false);
      expect(runner.blocked).toEqual([
        ['train', 'prepare'],
        ['evaluate', 'train'],
      ]);
      expect(runner.started).toEqual(['prepare', 'lint']);
      await runner.finish('lint');
      expect(outcomes(await s.result)).toEqual({ evaluate: 'skipped', lint: 'ran', prepare: 'failed', train: 'skipped' });
    });

    it('without keepGoing, starts nothing new after a failure and skips what did not start', async () => {
      const g = graph({ prepare: [], train: ['prepare'], lint: [], docs: [] });
      const runner = new FakeRunner();
      const s = await start(g, planFor(g), runner, { jobs: 1, keepGoing: false });
      await runner.finish('prepare', false);
      expect(runner.started).toEqual(['prepare']);
      expect(outcomes(await s.result)).toEqual({ docs: 'skipped', lint: 'skipped', prepare: 'failed', train: 'skipped' });
      // Each skipped stage is reported: blocked by its failed upstream, or not started because of the failure.
      expect(runner.blocked).toEqual([['train', 'prepare']]);
      expect(runner.notStarted).toEqual(['lint', 'docs']);
    });

    it('without keepGoing, lets stages already running finish', async () => {
      const g = graph({ a: [], b: [], c: [] });
      const runner = new FakeRunner();
      const s = await start(g, planFor(g), runner, { jobs: 2, keepGoing: false });
      expect(runner.started).toEqual(['a', 'b']);
      await runner.finish('a', false);
      expect(runner.started).toEqual(['a', 'b']);
      expect(s.done()).toBe(false);
      await runner.finish('b');
      expect(outcomes(await s.result)).toEqual({ a: 'failed', b: 'ran', c: 'skipped' });
    });

    it('rejects when running a stage throws', async () => {
      const g = graph({ a: [] });
      const runner = new FakeRunner();
      const s = await start(g, planFor(g), runner);
      await runner.crash('a', new Error('disk full'));
      await expect(s.result).rejects.toThrow('disk full');
    });
  });

  describe('recheck', () => {
    it('reports a recheck stage up to date when its inputs came out unchanged, without running it', async () => {
      const g = graph({ prepare: [], train: ['prepare'], evaluate: ['train'] });
      const runner = new FakeRunner((name) => name !== 'train');
      const s = await start(g, planFor(g, { train: 'recheck', evaluate: 'recheck' }), runner);
      expect(runner.rechecked).toEqual([]);
      await runner.finish('prepare');
      expect(runner.rechecked).toEqual(['train', 'evaluate']);
      expect(runner.upToDate).toEqual(['train']);
      // evaluate still reads as changed here, so it runs.
      expect(runner.started).toEqual(['prepare', 'evaluate']);
      await runner.finish('evaluate');
      expect(outcomes(await s.result)).toEqual({ evaluate: 'ran', prepare: 'ran', train: 'up-to-date' });
    });

    it('runs a recheck stage whose inputs changed', async () => {
      const g = graph({ prepare: [], train: ['prepare'] });
      const runner = new FakeRunner();
      const s = await start(g, planFor(g, { train: 'recheck' }), runner);
      await runner.finish('prepare');
      expect(runner.started).toEqual(['prepare', 'train']);
      await runner.finish('train');
      expect(outcomes(await s.result)).toEqual({ prepare: 'ran', train: 'ran' });
      expect(runner.upToDate).toEqual([]);
    });
  });

  it('starts nothing new once stopped() is true', async () => {
    const g = graph({ a: [], b: [], c: [] });
    const runner = new FakeRunner();
    let stop = false;
    const s = await start(g, planFor(g), runner, { jobs: 1, stopped: () => stop });
    stop = true;
    await runner.finish('a');
    expect(runner.started).toEqual(['a']);
    expect(outcomes(await s.result)).toEqual({ a: 'ran', b: 'skipped', c: 'skipped' });
  });
});
