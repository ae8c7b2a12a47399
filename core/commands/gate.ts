import { evaluateRevisionGates, type GatesResult } from '../ci/gates.js';
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
  return { base: base.rev, head: head.rev, ...evaluateRevisionGates(base, head) };
}
