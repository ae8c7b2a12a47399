import { GitmlError } from '../../../errors.js';

/**
 * Labels, predictions or weights that cannot be scored together: lengths that differ, a class index out of range,
 * a non-finite prediction, a negative weight. The message names the input and the first offending row.
 */
export class MetricsInputError extends GitmlError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('E_METRICS_INPUT', message, { data, exitCode: 1 });
  }
}
