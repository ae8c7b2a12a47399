import { predict } from '../../commands/predict.js';
import type { PredictWith } from '../../generated/steps.js';
import type { StepContext } from '../registry.js';

/** `gitml/model/predict`: `gitml predict` as a pipeline stage, so that batch scoring is reproduced like the rest. */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as PredictWith;
  const r = await predict({ cwd: ctx.cwd, model: w.model, inputs: [w.input], output: w.output, ...(w.batch ? { batch: w.batch } : {}), ...(w.id !== undefined ? { id: w.id } : {}) });
  ctx.log(`predict: ${r.rows} rows of ${w.input} by ${r.signature.name} (version ${r.signature.model_version}) -> ${w.output} in ${r.seconds.toFixed(2)} s`);
}
