import { directionOf, type Direction } from '../diff/diff.js';
import type { FlatFiles, RevisionState } from '../diff/state.js';
import type { GateSpec } from '../pipeline/types.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One bound of a gate, checked. */
export interface GateCheck {
  kind: 'min' | 'max' | 'max_drop';
  /** The value the metric is held to: the floor, the ceiling, or for `max_drop` the base value moved by the allowed drop. */
  bound?: number;
  /** Whether the metric must stay at or above (`>=`) or at or below (`<=`) the bound. */
  op: '>=' | '<=';
  /** `max_drop` as written: `0.01` or `2%`. */
  limit?: string;
  status: CheckStatus;
  message: string;
}

export interface GateResult {
  metric: string;
  file: string;
  key: string;
  /** The head value; absent when the head side has no number there. */
  value?: number;
  /** The base value; absent when the base side has no number there. */
  base?: number;
  direction?: Direction;
  checks: GateCheck[];
  verdict: 'pass' | 'fail';
  /** One sentence: why it passed or failed. */
  message: string;
}

export interface GatesResult {
  gates: GateResult[];
  /** `pass` also when there are no gates. */
  verdict: 'pass' | 'fail';
  failed: number;
}

export interface GateInputs {
  gates: GateSpec[];
  /** Which way is better for a metric, as `better:` declares it. */
  direction: (file: string, key: string) => Direction | undefined;
  head: FlatFiles;
  base: FlatFiles;
  /** Metrics file -> why it could not be read, on each side (used in messages). */
  headErrors?: Record<string, string>;
  baseErrors?: Record<string, string>;
}

/**
 * Metric values come from decimal text, so a difference like 0.91 - 0.90 is not exactly 0.01 in binary; a check
 * counts a value within a few ulps of its bound as on the bound.
 */
function within(value: number, op: '>=' | '<=', bound: number): boolean {
  const slack = 8 * Number.EPSILON * Math.max(1, Math.abs(value), Math.abs(bound));
  return op === '>=' ? value >= bound - slack : value <= bound + slack;
}

/** The absolute bounds, checked in this order: `min` is a floor, `max` a ceiling. */
const ABSOLUTE_BOUNDS = ['min', 'max'] as const;
const BOUND_OP = { min: { op: '>=', broken: '<' }, max: { op: '<=', broken: '>' } } as const;

function numberAt(files: FlatFiles, file: string, key: string): { value?: number; why?: string } {
  const data = files[file];
  if (!data) return { why: 'file missing' };
  if (!(key in data)) return { why: 'key missing' };
  const v = data[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) return { why: `not a finite number (${JSON.stringify(v)})` };
  return { value: v };
}

/**
 * The gates the head's `ml.yaml` declares, checked on two revisions' metrics, directions taken from the head's
 * `better:` (the base's for a file only the base declares). What `gitml gate` and `gitml report` decide on. Pure.
 */
export function evaluateRevisionGates(base: RevisionState, head: RevisionState): GatesResult {
  const out = (file: string) => head.metricOuts.get(file) ?? base.metricOuts.get(file);
  return evaluateGates({
    gates: head.pipeline?.gates ?? [],
    direction: (file, key) => directionOf(out(file)?.better, key),
    head: head.metrics,
    base: base.metrics,
    headErrors: head.metricErrors,
    baseErrors: base.metricErrors,
  });
}

/** Evaluates every gate against the head and base metric values. Pure. */
export function evaluateGates(inputs: GateInputs): GatesResult {
  const gates = inputs.gates.map((g) => evaluateGate(g, inputs));
  const failed = gates.filter((g) => g.verdict === 'fail').length;
  return { gates, verdict: failed ? 'fail' : 'pass', failed };
}

function evaluateGate(g: GateSpec, inputs: GateInputs): GateResult {
  const direction = inputs.direction(g.file, g.key);
  const head = numberAt(inputs.head, g.file, g.key);
  const base = numberAt(inputs.base, g.file, g.key);
  const result: GateResult = {
    metric: g.metric,
    file: g.file,
    key: g.key,
    ...(head.value !== undefined ? { value: head.value } : {}),
    ...(base.value !== undefined ? { base: base.value } : {}),
    ...(direction ? { direction } : {}),
    checks: [],
    verdict: 'pass',
    message: '',
  };
  const limit = g.maxDrop
    ? g.maxDrop.relative
      ? `${Number((g.maxDrop.amount * 100).toPrecision(12))}%`
      : String(g.maxDrop.amount)
    : undefined;

  if (head.value === undefined) {
    const why = head.why === 'file missing' && inputs.headErrors?.[g.file] ? `${g.file} ${inputs.headErrors[g.file]}` : head.why;
    const missing = `missing on the head side: ${why}`;
    for (const kind of ABSOLUTE_BOUNDS) {
      const bound = g[kind];
      if (bound !== undefined) result.checks.push({ kind, bound, op: BOUND_OP[kind].op, status: 'fail', message: missing });
    }
    if (g.maxDrop)
      result.checks.push({ kind: 'max_drop', op: direction === 'lower' ? '<=' : '>=', limit: limit!, status: 'fail', message: missing });
    return { ...result, verdict: 'fail', message: `${g.metric} is ${missing}` };
  }
  const value = head.value;
  for (const kind of ABSOLUTE_BOUNDS) {
    const bound = g[kind];
    if (bound === undefined) continue;
    const { op, broken } = BOUND_OP[kind];
    const ok = within(value, op, bound);
    result.checks.push({ kind, bound, op, status: ok ? 'pass' : 'fail', message: `${value} ${ok ? op : broken} ${kind} ${bound}` });
  }
  if (g.maxDrop) result.checks.push(dropCheck(value, base, g.maxDrop, limit!, direction, inputs.baseErrors?.[g.file]));

  const failed = result.checks.filter((c) => c.status === 'fail');
  const skipped = result.checks.filter((c) => c.status === 'skip');
  result.verdict = failed.length ? 'fail' : 'pass';
  const parts = (failed.length ? failed : result.checks.filter((c) => c.status === 'pass')).map((c) => c.message);
  result.message = [...parts, ...skipped.map((c) => c.message)].join('; ');
  return result;
}

function dropCheck(
  value: number,
  base: { value?: number; why?: string },
  maxDrop: NonNullable<GateSpec['maxDrop']>,
  limit: string,
  direction: Direction | undefined,
  baseError: string | undefined,
): GateCheck {
  const op = direction === 'lower' ? '<=' : '>=';
  // The parser refuses this; a hand-built spec still gets a clear answer rather than a guess at the direction.
  if (!direction) return { kind: 'max_drop', op, limit, status: 'fail', message: 'max_drop needs a `better:` direction for this metric' };
  if (base.value === undefined) {
    const why = base.why === 'file missing' && baseError ? baseError : base.why;
    return { kind: 'max_drop', op, limit, status: 'skip', message: `max_drop ${limit} skipped: missing on the base side (${why})` };
  }
  const allowed = maxDrop.relative ? maxDrop.amount * Math.abs(base.value) : maxDrop.amount;
  const bound = direction === 'higher' ? base.value - allowed : base.value + allowed;
  const ok = within(value, op, bound);
  const worse = direction === 'higher' ? base.value - value : value - base.value;
  const moved = worse > 0 ? `${direction === 'higher' ? 'dropped' : 'rose'} ${Number(worse.toPrecision(6))}` : 'did not worsen';
  return {
    kind: 'max_drop',
    bound,
    op,
    limit,
    status: ok ? 'pass' : 'fail',
    message: `${moved} from base ${base.value} (max_drop ${limit}${ok ? '' : ', exceeded'})`,
  };
}
