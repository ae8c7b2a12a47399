import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WORKFLOW } from '../../core/commands/ci-init.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, any>;

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}

describe('the reusable workflow', () => {
  const wf = read('.github/workflows/pull-request.yml');

  it('is called from other repositories, plan -> run matrix -> report', () => {
    expect(Object.keys(wf.on)).toEqual(['workflow_call']);
    expect(Object.keys(wf.jobs)).toEqual(['plan', 'run', 'report']);
    expect(wf.jobs.run.needs).toBe('plan');
    expect(wf.jobs.run.strategy.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    expect(wf.jobs.run['runs-on']).toBe('${{ matrix.runs_on }}');
    expect(wf.jobs.run.if).toContain("needs.plan.outputs.has_work == 'true'");
    expect(wf.jobs.report.needs).toEqual(['plan', 'run']);
  });

  it('uses only inputs the actions declare, and every required one', () => {
    const steps = Object.values(wf.jobs).flatMap((job: any) => job.steps as Step[]);
    const ours = steps.filter((s) => s.uses?.startsWith('gitml/gitml/actions/'));
    expect(ours.map((s) => s.uses)).toEqual(['gitml/gitml/actions/plan@v0', 'gitml/gitml/actions/run@v0', 'gitml/gitml/actions/report@v0']);
    for (const step of ours) {
      const verb = step.uses!.split('/')[3]!.split('@')[0]!;
      const action = read(`actions/${verb}/action.yml`);
      const declared = Object.keys(action.inputs);
      expect(Object.keys(step.with ?? {}).filter((k) => !declared.includes(k)), `unknown inputs of ${verb}`).toEqual([]);
      const required = Object.entries(action.inputs as Record<string, { required?: boolean }>).filter(([, v]) => v.required).map(([k]) => k);
      expect(required.filter((k) => !(k in (step.with ?? {}))), `missing inputs of ${verb}`).toEqual([]);
    }
  });

  it('reads only outputs the plan action declares', () => {
    const declared = Object.keys(read('actions/plan/action.yml').outputs);
    const used = [...JSON.stringify(wf).matchAll(/steps\.plan\.outputs\.(\w+)/g)].map((m) => m[1]);
    expect(used.filter((o) => !declared.includes(o!))).toEqual([]);
  });
});

describe('the user workflow', () => {
  it('is the one the README shows, and calls the reusable workflow in this repository', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```yaml\n' + WORKFLOW + '```');
    const uses = (parse(WORKFLOW) as { jobs: { gitml: { uses: string } } }).jobs.gitml.uses;
    expect(uses).toBe('gitml/gitml/.github/workflows/pull-request.yml@v0');
    expect(Object.keys(read('.github/workflows/pull-request.yml').on)).toEqual(['workflow_call']);
  });
});
