import { evaluateGates, type GatesResult } from '../ci/gates.js';
import type { Revision } from '../git/revision.js';
import { loadPair } from './diff.js';

export interface GateOptions {
  cwd?: string;
  /** The revision `max_drop` compares against; default HEAD. */
  base?: string;
  /** The revision whose metrics are gated; default the workspace. */
  head?: string;
}

export interface GateCommandResult extends GatesResult {
  base: Revision;
  head: Revision;
}

/** `gitml gate`: the gates ml.yaml declares on the head side, evaluated on the two sides' metrics. */
export async function gate(opts: GateOptions = {}): Promise<GateCommandResult> {
  const [base, head] = await loadPair({ cwd: opts.cwd, a: opts.base, b: opts.head });
  const out = (file: string) => head.metricOuts.get(file) ?? base.metricOuts.get(file);
  const result = evaluateGates({
    gates: head.pipeline?.gates ?? [],
    direction: (file, key) => out(file)?.better?.[key],
    head: head.metrics,
    base: base.metrics,
    headErrors: head.metricErrors,
    baseErrors: base.metricErrors,
  });
  return { base: base.rev, head: head.rev, ...result };
}
