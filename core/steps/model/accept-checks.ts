/**
 * The acceptance checks of `gitml/model/accept`: `METRIC OP VALUE` lines such as `accuracy >= 0.8`, `rmse <= 3.5` or
 * `per_class.cat.recall >= 0.7`. Pure.
 */

export type CheckOp = '>=' | '<=' | '>' | '<';

export interface AcceptCheck {
  /** As written. */
  text: string;
  /** A dotted key of the metrics `gitml/model/evaluate` writes. */
  metric: string;
  op: CheckOp;
  value: number;
}

export interface CheckResult extends AcceptCheck {
  /** The measured value; absent when the metrics have no such key. */
  actual?: number;
  passed: boolean;
}

const PATTERN = /^\s*([A-Za-z_][\w.-]*)\s*(>=|<=|>|<)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

/** Reads one check, or says what is wrong with it. */
export function parseCheck(text: string): AcceptCheck | { error: string } {
  const m = PATTERN.exec(text);
  if (!m) return { error: `\`${text}\` is not a check: write METRIC OP NUMBER, e.g. \`accuracy >= 0.8\` or \`rmse <= 3.5\`` };
  return { text: text.trim(), metric: m[1]!, op: m[2] as CheckOp, value: Number(m[3]) };
}

/** Each check against the metrics (flattened to dotted keys). A metric the model does not have fails, saying so. */
export function runChecks(checks: readonly AcceptCheck[], metrics: Readonly<Record<string, unknown>>): CheckResult[] {
  return checks.map((c) => {
    const v = metrics[c.metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) return { ...c, passed: false };
    const passed = c.op === '>=' ? v >= c.value : c.op === '<=' ? v <= c.value : c.op === '>' ? v > c.value : v < c.value;
    return { ...c, actual: v, passed };
  });
}

/** One line per failed check: `recall = 0.61, needs >= 0.7`. */
export function describeFailure(r: CheckResult): string {
  return r.actual === undefined ? `${r.metric}: no such metric for this model` : `${r.metric} = ${Number(r.actual.toPrecision(6))}, needs ${r.op} ${r.value}`;
}
