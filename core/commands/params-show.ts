import { DEFAULT_PARAMS_FILE } from '../pipeline/parse.js';
import { flattenKeys, readParamsFile } from '../pipeline/params.js';
import { InvalidPipelineError } from '../errors.js';
import { Workspace } from '../workspace.js';

/** Every parameter in params.yaml and the params files stages name: file -> dotted key -> value. */
export async function paramsShow(opts: { cwd?: string } = {}): Promise<Record<string, Record<string, unknown>>> {
  const ws = await Workspace.open(opts.cwd ?? process.cwd());
  const pipeline = ws.loadPipeline();
  const files = new Set<string>();
  if (ws.readText(DEFAULT_PARAMS_FILE) !== null) files.add(DEFAULT_PARAMS_FILE);
  for (const stage of pipeline.stages) for (const file of Object.keys(stage.params)) files.add(file);
  const out: Record<string, Record<string, unknown>> = {};
  for (const file of [...files].sort()) {
    const parsed = readParamsFile(file, ws.readText);
    if ('problem' in parsed) throw new InvalidPipelineError([parsed.problem]);
    out[file] = flattenKeys(parsed.value);
  }
  return out;
}
