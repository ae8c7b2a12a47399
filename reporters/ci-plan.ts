import type { RunsOn } from '../core/ci/plan.js';
import type { PlanResult } from '../core/commands/plan.js';
import { renderTable } from './diff.js';

export const NOTHING_TO_RUN = 'Nothing to run: every stage is up to date, restorable from the run-cache, or frozen.';

function runsOnText(r: RunsOn): string {
  return typeof r === 'string' ? r : `[${r.join(', ')}]`;
}

/** The plan as a person reads it: one row per stage (action and reasons), then the groups and where each runs. Pure. */
export function formatCiPlan(r: PlanResult): string[] {
  const rows = r.stages.map((s) => [s.name, s.action, s.reasons.join('; ')]);
  const lines = renderTable(['Stage', 'Action', 'Reasons'], rows, 'table');
  lines.push('');
  const against = r.remote ? `the local cache and remote \`${r.remote.name}\`` : 'the local cache only (no remote)';
  lines.push(`Head ${r.head.oid ? r.head.oid.slice(0, 7) : r.head.name}${r.base ? `, base ${r.base.name}` : ''}; outputs looked up in ${against}.`);
  if (!r.has_work) {
    lines.push(NOTHING_TO_RUN);
    return lines;
  }
  lines.push(`${r.groups.length} group${r.groups.length === 1 ? '' : 's'} to run:`);
  for (const g of r.groups) {
    const needs = [...(g.resources.gpu ? [`gpu: ${g.resources.gpu}`] : []), ...(g.resources.labels.length ? [`labels: ${g.resources.labels.join(', ')}`] : [])];
    lines.push(`  ${g.name}: ${g.stages.join(', ')} (runs on ${runsOnText(g.runs_on)}${needs.length ? `; ${needs.join('; ')}` : ''})`);
  }
  return lines;
}
