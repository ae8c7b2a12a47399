import { InvalidPipelineError } from '../errors.js';
import { pipelineParams } from '../pipeline/params.js';
import { Workspace } from '../workspace.js';

/** Every parameter in params.yaml and the params files stages name: file -> dotted key -> value. */
export async function paramsShow(opts: { cwd?: string } = {}): Promise<Record<string, Record<string, unknown>>> {
  const ws = await Workspace.open(opts.cwd ?? process.cwd());
  return pipelineParams(ws.loadPipeline().stages, ws.readText, (problem) => {
    throw new InvalidPipelineError([problem]);
  });
}
