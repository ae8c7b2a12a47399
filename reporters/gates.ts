import type { GateCheck, GateResult } from '../core/ci/gates.js';
import type { GateCommandResult } from '../core/commands/gate.js';
import { formatCell, renderTable, type TableFormat } from './diff.js';

export const NO_GATES = 'No gates declared in ml.yaml.';

function num(v: number | undefined): string {
  return v === undefined ? 'missing' : formatCell(v);
}

function bound(c: GateCheck): string {
  if (c.kind === 'max_drop') return c.bound === undefined ? `max_drop ${c.limit}` : `${c.op} ${num(c.bound)} (max_drop ${c.limit})`;
  return `${c.op} ${num(c.bound)}`;
}

function verdictWord(g: GateResult): string {
  const skipped = g.checks.some((c) => c.status === 'skip');
  return g.verdict === 'fail' ? 'FAIL' : skipped ? 'pass (relative check skipped)' : 'pass';
}

/** The closing line: how many gates passed, and which failed. */
export function gatesVerdictLine(r: GateCommandResult): string {
  if (!r.gates.length) return NO_GATES;
  const n = r.gates.length;
  if (r.verdict === 'pass') return `Gates passed: ${n} of ${n} (head ${r.head.name}, base ${r.base.name}).`;
  const failed = r.gates.filter((g) => g.verdict === 'fail').map((g) => g.metric);
  return `Gates failed: ${failed.length} of ${n} (${failed.join(', ')}) (head ${r.head.name}, base ${r.base.name}).`;
}

/** One row per gate: metric, head value, base value, bounds, verdict, and why. Pure. */
export function formatGates(r: GateCommandResult, format: TableFormat): string[] {
  if (!r.gates.length) return [NO_GATES];
  const rows = r.gates.map((g) => [g.metric, num(g.value), num(g.base), g.checks.map(bound).join(', '), verdictWord(g), g.message]);
  const table = renderTable(['Metric', r.head.name, r.base.name, 'Bound', 'Verdict', 'Why'], rows, format, [false, true, true]);
  const verdict = gatesVerdictLine(r);
  return format === 'md' ? [`**${r.verdict === 'pass' ? '✅' : '❌'} ${verdict}**`, '', ...table] : [...table, '', verdict];
}
