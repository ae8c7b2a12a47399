import { GitmlError } from '../../../errors.js';

/** One bad setting: the key (`learning_rate`) and what is wrong with it. */
export interface GbdtSettingProblem {
  path: string;
  message: string;
}

/** Settings out of range or of the wrong type; `problems` lists every one found, not only the first. */
export class GbdtSettingsError extends GitmlError {
  readonly problems: GbdtSettingProblem[];
  constructor(problems: GbdtSettingProblem[]) {
    super('E_GBDT_SETTINGS', `invalid gbdt settings: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { data: { problems } });
    this.problems = problems;
  }
}

/** A task gradient-boosted trees do not do (anomaly detection). */
export class GbdtTaskError extends GitmlError {
  constructor(task: string) {
    super(
      'E_GBDT_TASK',
      `gbdt does not do the task \`${task}\`; it does binary, multiclass and regression (for anomaly detection use the autoencoder model)`,
      { data: { task } },
    );
  }
}

/** Training or scoring data the model cannot use: labels out of range, sizes that disagree, bad weights. */
export class GbdtDataError extends GitmlError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('E_GBDT_DATA', message, { data });
  }
}

/** A saved model that is not a gbdt model this version can read. */
export class GbdtModelFormatError extends GitmlError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('E_GBDT_MODEL', `not a valid gbdt model: ${message}`, { data });
  }
}
