import * as core from '@actions/core';
import { commonInputs, remoteArgs, runAction } from '../shared/inputs.js';
import { parseStages } from '../shared/plan.js';

/**
 * `run`: one group of the plan's matrix. Fetches what the remote has (outputs and run-cache entries), reproduces the
 * group's stages, and pushes their outputs and run-cache entries back, which is how the report job gets them.
 */
runAction(async () => {
  const { gitml } = commonInputs();
  const stages = parseStages(core.getInput('stages', { required: true }));
  const remote = remoteArgs();
  await core.group('gitml pull --run-cache', async () => {
    const pulled = await gitml(['pull', '--run-cache', ...remote], { echo: true, allowFailure: true });
    // A lockfile may name objects nobody pushed; the stages that need them run instead of being restored.
    if (pulled.code !== 0) core.warning(`gitml pull exited with ${pulled.code}; what could not be fetched will be rebuilt`);
  });
  await core.group(`gitml repro ${stages.join(' ')}`, () => gitml(['repro', ...stages], { echo: true }));
  await core.group('gitml push --run-cache', () => gitml(['push', '--run-cache', ...remote], { echo: true }));
});
