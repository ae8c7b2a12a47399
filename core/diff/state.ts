import { parse as parseYaml } from 'yaml';
import { InvalidPipelineError } from '../errors.js';
import type { Snapshot, Revision } from '../git/revision.js';
import { emptyLockfile, LOCKFILE, parseLockfile, type Lockfile } from '../lockfile/lockfile.js';
import { parsePipeline, PIPELINE_FILE } from '../pipeline/parse.js';
import { flattenKeys, pipelineParams } from '../pipeline/params.js';
import type { Out, Pipeline } from '../pipeline/types.js';

/** File -> dotted key -> value. */
export type FlatFiles = Record<string, Record<string, unknown>>;

/** What diffs compare at one revision: the pipeline, its lockfile, params and metrics. */
export interface RevisionState {
  rev: Revision;
  /** Absent when the revision has no ml.yaml. */
  pipeline?: Pipeline;
  lock: Lockfile;
  params: FlatFiles;
  metrics: FlatFiles;
  /** Metrics file -> why it could not be read. */
  metricErrors: Record<string, string>;
  /** Metrics declared in ml.yaml at this revision, by path. */
  metricOuts: Map<string, Out>;
}

/**
 * Reads the state of one revision. A metrics file kept in the cache (not in git) is read from the cache object the
 * lockfile names, through `readObject`, when it is there.
 */
export async function readRevisionState(snap: Snapshot, readObject?: (hash: string) => string | null): Promise<RevisionState> {
  const at = snap.rev.name;
  const lockText = await snap.read(LOCKFILE);
  const lock: Lockfile = lockText === null ? emptyLockfile() : parseLockfile(lockText, LOCKFILE, `at ${at}`);
  const pipelineText = await snap.read(PIPELINE_FILE);
  const pipeline =
    pipelineText === null
      ? undefined
      : await snap.withReadText((readText) => {
          const { pipeline, problems } = parsePipeline(pipelineText, readText);
          if (!pipeline) throw new InvalidPipelineError(problems.map((p) => ({ ...p, source: `at ${at}` })));
          return pipeline;
        });

  const params = await snap.withReadText((readText) =>
    pipelineParams(pipeline?.stages ?? [], readText, (problem) => {
      throw new InvalidPipelineError([{ ...problem, source: `at ${at}` }]);
    }),
  );

  const metrics: FlatFiles = {};
  const metricErrors: Record<string, string> = {};
  const metricOuts = new Map<string, Out>();
  for (const stage of pipeline?.stages ?? []) {
    for (const out of stage.outs) {
      if (out.kind !== 'metric') continue;
      metricOuts.set(out.path, out);
      let text = await snap.read(out.path);
      const hash = lock.stages[stage.name]?.outs[out.path]?.hash;
      if (text === null && hash && readObject && snap.rev.oid) text = readObject(hash);
      if (text === null) {
        metricErrors[out.path] = snap.rev.oid ? `not in ${at}` : `does not exist; run \`gitml repro ${stage.name}\``;
        continue;
      }
      const parsed = parseMetrics(text);
      if (typeof parsed === 'string') metricErrors[out.path] = parsed;
      else metrics[out.path] = parsed;
    }
  }
  return { rev: snap.rev, ...(pipeline ? { pipeline } : {}), lock, params, metrics, metricErrors, metricOuts };
}

/** A metrics file (JSON or YAML map) flattened to dotted keys, or why it cannot be read. */
export function parseMetrics(text: string): Record<string, unknown> | string {
  try {
    const data = parseYaml(text) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'is not a map of metrics';
    return flattenKeys(data);
  } catch (err) {
    return `is not valid JSON or YAML (${(err as Error).message.split('\n')[0]})`;
  }
}
