import { describe, expect, it } from 'vitest';
import { InvalidPlanFileError } from '../../core/report/errors.js';
import { parsePlanFile } from '../../core/report/plan-file.js';

function problems(text: string): string {
  try {
    parsePlanFile(text, 'plan.json');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPlanFileError);
    expect((err as InvalidPlanFileError).code).toBe('E_PLAN_FILE_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('parsePlanFile', () => {
  it('reads the name, action and reasons of each stage and ignores the rest', () => {
    const text = JSON.stringify({
      has_work: true,
      stages: [
        { name: 'train', action: 'run', reasons: ['param `train.lr` changed'] },
        { name: 'prepare', action: 'up-to-date' },
      ],
      groups: [{ name: 'g1', stages: ['train'], runs_on: ['ubuntu-latest'] }],
    });
    expect(parsePlanFile(text, 'plan.json')).toEqual([
      { name: 'train', action: 'run', reasons: ['param `train.lr` changed'] },
      { name: 'prepare', action: 'up-to-date', reasons: [] },
    ]);
  });

  it('says where JSON syntax goes wrong', () => {
    expect(problems('{\n  "stages": [\n    {"name": "train",}\n  ]\n}\n')).toMatch(/^plan\.json:3:22: not valid JSON \(.*\)\nhint: --plan takes the JSON that `gitml plan --json` prints$/);
  });

  it('lists every bad stage with its line and column', () => {
    const text = '{\n  "stages": [\n    {"name": "train", "action": "go"},\n    {"name": "eval", "action": "run", "reasons": [1]},\n    {"name": "train", "action": "run"}\n  ]\n}\n';
    expect(problems(text).split('\n')).toEqual([
      'plan.json:3:33: stages[0].action: expected one of run, restore, up-to-date, frozen, found "go"',
      'plan.json:4:50: stages[1].reasons: expected a list of strings',
      'hint: --plan takes the JSON that `gitml plan --json` prints',
    ]);
    expect(problems('{"stages": [{"name": "a", "action": "run"}, {"name": "a", "action": "run"}]}')).toContain(
      'plan.json:1:54: stages[1].name: stage `a` is listed twice',
    );
  });

  it('rejects a file that is not a plan', () => {
    expect(problems('[]')).toMatch(/^plan\.json:1:1: expected an object with `stages`/);
    expect(problems('{"has_work": false, "stages": {}}')).toMatch(/^plan\.json:1:31: stages: expected a list of stages/);
  });
});
