import { GitmlError } from '../errors.js';

/** Bad data or settings found while a built-in step runs: the stage fails (exit 1) with this message. */
export class StepError extends GitmlError {
  constructor(step: string, message: string, data: Record<string, unknown> = {}) {
    super('E_STEP_FAILED', `${step}: ${message}`, { data: { step, ...data }, exitCode: 1 });
  }
}
