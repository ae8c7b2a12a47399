import { describe, expect, it } from 'vitest';
import { buildGraph, type Graph } from '../../core/graph/build.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import { planRepro, type PlannedStage, type ReproPlanOptions } from '../../core/plan/plan-repro.js';
import type { StageStatus } from '../../core/plan/stage-status.js';

/**
 * prepare -> train -> evaluate, with `lint` on its own. Declared out of order on purpose.
 */
const PIPELINE = [
  'stages:',
  '  evaluate:',
  '    cmd: python evaluate.py',
  '    deps: [model.pkl, data/test.csv]',
  '    metrics: [score.json]',
  '  lint:',
  '    cmd: ruff check',
  '  train:',
  '    cmd: python train.py',
  '    deps: [data/train.csv]',
  '    outs: [model.pkl]',
  '  prepare:',
  '    cmd: python prepare.py',
  '    outs: [data]',
  '',
].join('\n');

function graph(text = PIPELINE): Graph {
  const parsed = parsePipeline(text, () => null);
  expect(parsed.problems).toEqual([]);
  const built = buildGraph(parsed.pipeline!, () => 'ok');
  expect(built.problems).toEqual([]);
  return built.graph!;
}

/** A status function where the stages listed in `changed` have changed (with the given reasons) and the rest have not. */
function statuses(changed: Record<string, string[]> = {}): (name: string) => StageStatus {
  return (name) => (Object.hasOwn(changed, name) ? { changed: true, reasons: changed[name]! } : { changed: false, reasons: [] });
}

/** The plan as `name: action` strings, which read well in failures. */
function actions(plan: PlannedStage[]): string[] {
  return plan.map((p) => `${p.name}: ${p.action}`);
}

function plan(changed: Record<string, string[]>, opts: ReproPlanOptions = {}, g = graph()): PlannedStage[] {
  return planRepro(g, statuses(changed), opts);
}

describe('planRepro', () => {
  it('plans every stage in dependency order when there are no targets', () => {
    expect(actions(plan({}))).toEqual(['lint: up-to-date', 'prepare: up-to-date', 'train: up-to-date', 'evaluate: up-to-date']);
  });

  it('runs a changed stage with its status reasons', () => {
    const p = plan({ lint: ['command changed'] });
    expect(p.find((s) => s.name === 'lint')).toEqual({ name: 'lint', action: 'run', reasons: ['command changed'] });
    expect(actions(p)).toEqual(['lint: run', 'prepare: up-to-date', 'train: up-to-date', 'evaluate: up-to-date']);
  });

  it('selects a target and everything upstream of it', () => {
    expect(actions(plan({}, { targets: ['train'] }))).toEqual(['prepare: up-to-date', 'train: up-to-date']);
  });

  it('selects a target and everything downstream of it with downstream', () => {
    expect(actions(plan({}, { targets: ['train'], downstream: true }))).toEqual(['train: up-to-date', 'evaluate: up-to-date']);
  });

  it('treats an empty target list like no targets', () => {
    expect(plan({}, { targets: [] })).toHaveLength(4);
  });

  it('rechecks an unchanged stage downstream of a changed one, naming what it waits for', () => {
    const p = plan({ prepare: ['dep `raw.csv` modified'] });
    expect(p).toEqual([
      { name: 'lint', action: 'up-to-date', reasons: [] },
      { name: 'prepare', action: 'run', reasons: ['dep `raw.csv` modified'] },
      { name: 'train', action: 'recheck', reasons: ['upstream `prepare` runs first'] },
      // evaluate reads data/test.csv from prepare as well as model.pkl from train.
      { name: 'evaluate', action: 'recheck', reasons: ['upstream `prepare` runs first', 'upstream `train` runs first'] },
    ]);
  });

  it('runs a stage that changed itself even when upstream also runs', () => {
    const p = plan({ prepare: ['never run'], train: ['command changed'] });
    expect(actions(p)).toEqual(['lint: up-to-date', 'prepare: run', 'train: run', 'evaluate: recheck']);
  });

  it('does not recheck stages upstream of the change', () => {
    expect(actions(plan({ evaluate: ['out `score.json` missing'] }))).toEqual(['lint: up-to-date', 'prepare: up-to-date', 'train: up-to-date', 'evaluate: run']);
  });

  it('runs every selected stage with force, keeping real reasons and saying `forced` otherwise', () => {
    const p = plan({ train: ['command changed'] }, { force: true, targets: ['train'] });
    expect(p).toEqual([
      { name: 'prepare', action: 'run', reasons: ['forced'] },
      { name: 'train', action: 'run', reasons: ['command changed'] },
    ]);
  });

  it('never runs a frozen stage, not even with force, and does not recheck below it', () => {
    const frozen = PIPELINE.replace('    outs: [data]\n', '    outs: [data]\n    frozen: true\n');
    const asked: string[] = [];
    const p = planRepro(
      graph(frozen),
      (name) => {
        asked.push(name);
        return { changed: name === 'prepare', reasons: name === 'prepare' ? ['command changed'] : [] };
      },
      {},
    );
    expect(actions(p)).toEqual(['lint: up-to-date', 'prepare: frozen', 'train: up-to-date', 'evaluate: up-to-date']);
    expect(p.find((s) => s.name === 'prepare')!.reasons).toEqual(['frozen']);
    expect(asked).not.toContain('prepare');

    const forced = planRepro(graph(frozen), statuses(), { force: true });
    expect(actions(forced)).toEqual(['lint: run', 'prepare: frozen', 'train: run', 'evaluate: run']);
  });
});
