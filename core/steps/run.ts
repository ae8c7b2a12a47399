import { GitmlError, InvalidPipelineError } from '../errors.js';
import { formatKeyPath } from '../pipeline/locate.js';
import { findStepByName, STEP_NAMES, type StepContext } from './registry.js';
import { decodeSpecial } from '../util/canonical.js';

/**
 * Runs a built-in step with its `with:` settings (JSON, as `gitml step` receives them from the stage runner). The
 * settings are checked again here, so a step run by hand gets the same errors as one declared in ml.yaml.
 */
export async function runStep(name: string, withJson: string, ctx: StepContext): Promise<void> {
  const step = findStepByName(name);
  if (!step) throw new GitmlError('E_USAGE', `unknown step \`${name}\`; the steps are ${STEP_NAMES.join(', ')}`);
  let withMap: unknown;
  try {
    // The stage runner writes settings with canonicalJson: NaN and infinities come as `{"$float": ...}`.
    withMap = decodeSpecial(JSON.parse(withJson));
  } catch (err) {
    throw new GitmlError('E_USAGE', `--with must be a JSON object: ${(err as Error).message}`);
  }
  const issues = step.check(withMap);
  if (issues.length)
    throw new InvalidPipelineError(issues.map((i) => ({ file: `with (${step.name})`, path: formatKeyPath(i.path), message: i.message })));
  const mod = await step.load();
  try {
    await mod.run(withMap as Record<string, unknown>, ctx);
  } catch (err) {
    throw located(err);
  }
}

/**
 * A step error about one setting (`data.key`, a top-level `with:` key) says where that setting is written, from the
 * locations the stage runner passes in `GITML_STEP_AT`; run by hand, the error is as it was.
 */
function located(err: unknown): unknown {
  if (!(err instanceof GitmlError) || typeof err.data.key !== 'string') return err;
  let at: unknown;
  try {
    at = JSON.parse(process.env.GITML_STEP_AT ?? '{}');
  } catch {
    return err;
  }
  const where = (at as Record<string, unknown>)[err.data.key];
  if (typeof where !== 'string') return err;
  return new GitmlError(err.code, `${where}: ${err.message}`, { data: { ...err.data, at: where }, exitCode: err.exitCode, cause: err });
}
