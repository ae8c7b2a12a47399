import * as core from '@actions/core';
import { parsePlan, toMatrix } from '../shared/plan.js';
import { baseInput, commonInputs, runAction } from '../shared/inputs.js';

/** `plan`: which stages this commit must run, as a matrix of independent groups for the `run` jobs. */
runAction(async () => {
  const { gitml } = commonInputs();
  const base = baseInput();
  const { stdout } = await gitml(['plan', '--json', ...(base ? ['--base', base] : [])]);
  const plan = parsePlan(stdout, 'gitml plan --json');
  core.setOutput('plan', JSON.stringify(plan));
  core.setOutput('matrix', JSON.stringify(toMatrix(plan)));
  core.setOutput('has_work', String(plan.has_work));
  const rows = plan.stages.map((s) => [s.name, s.action, s.reasons.join('; ')]);
  await core.summary
    .addHeading('gitml plan', 3)
    .addRaw(plan.has_work ? `${plan.groups.length} group(s) to run.` : 'Nothing to run: every stage is up to date or in the run-cache.', true)
    .addTable([[{ data: 'stage', header: true }, { data: 'action', header: true }, { data: 'why', header: true }], ...rows])
    .write();
});
