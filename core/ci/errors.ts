import { GitmlError } from '../errors.js';

/** A group of stages needs a GPU, and `ci.runners` in .ml/config.yaml names no `gpu` runner to send it to. */
export class NoGpuRunnerError extends GitmlError {
  constructor(stage: string, where: string, gpu: number) {
    super(
      'E_CI_NO_GPU_RUNNER',
      `stage \`${stage}\` needs a GPU (resources.gpu: ${gpu} at ${where}) but .ml/config.yaml has no \`ci.runners.gpu\`; ` +
        'add the labels of a GPU runner, e.g. `ci: {runners: {gpu: [self-hosted, linux, gpu]}}`',
      { data: { stage, gpu } },
    );
  }
}

/** A group's `resources.labels` name two different runners of `ci.runners`, and one group runs on one runner. */
export class RunnerConflictError extends GitmlError {
  constructor(group: string, runners: string[]) {
    super(
      'E_CI_RUNNER_CONFLICT',
      `the stages of group \`${group}\` ask for runners ${runners.map((r) => `\`${r}\``).join(' and ')} (resources.labels in ml.yaml), ` +
        'but a group runs on one runner; give .ml/config.yaml `ci.runners` one entry that serves them all, or change the labels',
      { data: { group, runners } },
    );
  }
}

/** `.github/workflows/gitml.yml` exists and `ci init` was not told to replace it. */
export class WorkflowExistsError extends GitmlError {
  constructor(file: string) {
    super('E_CI_WORKFLOW_EXISTS', `${file} already exists; run \`gitml ci init --force\` to overwrite it`, { data: { file } });
  }
}
