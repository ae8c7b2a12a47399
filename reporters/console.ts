/** Plain-text renderings for the terminal. Pure: data in, lines out. */
import { formatValue } from '../core/util/format.js';

export interface StageStatusView {
  changed: boolean;
  reasons: string[];
  frozen?: boolean;
}

export function formatStatus(stages: Record<string, StageStatusView>): string[] {
  const names = Object.keys(stages);
  if (!names.length) return ['No stages in ml.yaml.'];
  const lines: string[] = [];
  for (const name of names) {
    const s = stages[name]!;
    if (s.frozen) lines.push(`${name}: frozen`);
    else if (!s.changed) lines.push(`${name}: up to date`);
    else {
      lines.push(`${name}: changed`);
      for (const r of s.reasons) lines.push(`    ${r}`);
    }
  }
  if (names.every((n) => !stages[n]!.changed)) lines.push('Everything is up to date.');
  return lines;
}

export interface PlanView {
  name: string;
  action: 'run' | 'recheck' | 'up-to-date' | 'frozen';
  reasons: string[];
}

export function formatPlan(plan: PlanView[]): string[] {
  if (!plan.length) return ['No stages to run.'];
  const verb: Record<PlanView['action'], string> = { run: 'would run', recheck: 'may run', 'up-to-date': 'up to date', frozen: 'frozen' };
  const lines = plan.map((p) => `${p.name}: ${verb[p.action]}${p.action === 'run' || p.action === 'recheck' ? ` (${p.reasons.join('; ')})` : ''}`);
  const runs = plan.filter((p) => p.action === 'run').length;
  const maybe = plan.filter((p) => p.action === 'recheck').length;
  lines.push(runs + maybe === 0 ? 'Nothing to run.' : `${runs} stage${runs === 1 ? '' : 's'} would run${maybe ? `, ${maybe} more if their inputs change` : ''}.`);
  return lines;
}

/** Aligned `key  value` rows, grouped under a heading per file. */
export function formatKeyValues(groups: Record<string, Record<string, unknown>>): string[] {
  const lines: string[] = [];
  for (const [file, values] of Object.entries(groups)) {
    lines.push(file);
    const keys = Object.keys(values);
    const width = Math.max(0, ...keys.map((k) => k.length));
    for (const k of keys) lines.push(`  ${k.padEnd(width)}  ${formatValue(values[k])}`);
  }
  return lines;
}

