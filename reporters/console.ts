/** Plain-text renderings for the terminal. Pure: data in, lines out. */
import { formatSeconds, formatValue as plainValue } from '../core/util/format.js';
import { DEFAULT_PRECISION, formatCell } from './diff.js';

export interface StageStatusView {
  changed: boolean;
  reasons: string[];
  frozen?: boolean;
  missing?: { path: string; restore: 'checkout' | 'pull' | 'repro' }[];
}

/** What brings missing outputs back, as the end of a sentence whose subject is "N outputs are not in the workspace". */
const RESTORE_HINT = {
  checkout: (it: string) => `but in the cache: \`gitml checkout\` restores ${it}.`,
  pull: (it: string) => `nor in the cache: \`gitml pull\` brings ${it} from the default remote.`,
  repro: (it: string) => `nor in the cache, and no remote is set: \`gitml repro\` rebuilds ${it}.`,
} as const;

/**
 * One line per way back for the outputs not in the workspace, each path counted once (a consumer's dependency is
 * its producer's output) and a path inside another missing one not at all.
 */
export function formatMissing(stages: Record<string, StageStatusView>): string[] {
  const how = new Map<string, 'checkout' | 'pull' | 'repro'>();
  for (const s of Object.values(stages)) for (const m of s.missing ?? []) how.set(m.path, m.restore);
  const paths = [...how.keys()];
  const counts = { checkout: 0, pull: 0, repro: 0 };
  for (const [path, restore] of how) if (!paths.some((p) => path.startsWith(`${p}/`))) counts[restore]++;
  return (['checkout', 'pull', 'repro'] as const)
    .filter((k) => counts[k] > 0)
    .map((k) => {
      const n = counts[k];
      return `${n} output${n === 1 ? ' is' : 's are'} not in the workspace ${RESTORE_HINT[k](n === 1 ? 'it' : 'them')}`;
    });
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
  return [...lines, ...formatMissing(stages)];
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

/**
 * Aligned `key  value` rows, grouped under a heading per file. With `precision` (metrics), numbers are rounded to the
 * file's declared significant digits, else to the default that `metrics diff` uses too; without it (params), printed
 * as they are.
 */
export function formatKeyValues(groups: Record<string, Record<string, unknown>>, precision?: Record<string, number>): string[] {
  const lines: string[] = [];
  for (const [file, values] of Object.entries(groups)) {
    lines.push(file);
    const keys = Object.keys(values);
    const width = Math.max(0, ...keys.map((k) => k.length));
    const digits = precision ? (precision[file] ?? DEFAULT_PRECISION) : undefined;
    for (const k of keys) lines.push(`  ${k.padEnd(width)}  ${formatValue(values[k], digits)}`);
  }
  return lines;
}

function formatValue(v: unknown, digits: number | undefined): string {
  // Counts stay whole: precision trims the noise of fractions.
  if (typeof v === 'number' && digits !== undefined && !Number.isInteger(v)) return formatCell(v, digits);
  return plainValue(v);
}

export interface ReproSummaryView {
  stages: { name: string; result: 'ran' | 'restored' | 'up-to-date' | 'frozen' | 'failed' | 'skipped'; seconds?: number }[];
  seconds: number;
}

/**
 * The end of a `repro`: each stage that did something with its duration, then the counts and the total time.
 * `Nothing to reproduce` when every stage was already up to date.
 */
export function formatReproSummary(summary: ReproSummaryView): string[] {
  const total = formatSeconds(summary.seconds);
  const count = (r: ReproSummaryView['stages'][number]['result']) => summary.stages.filter((s) => s.result === r).length;
  const active = summary.stages.filter((s) => s.result !== 'up-to-date' && s.result !== 'frozen');
  if (!active.length) return [`Nothing to reproduce: every stage is up to date (${total}).`];
  const label: Record<ReproSummaryView['stages'][number]['result'], string> = {
    ran: 'ran',
    restored: 'restored from run-cache',
    'up-to-date': 'up to date',
    frozen: 'frozen',
    failed: 'failed',
    skipped: 'not run',
  };
  const width = Math.max(...active.map((s) => s.name.length));
  const kind = Math.max(...active.map((s) => label[s.result].length));
  const lines = ['', 'Summary:'];
  for (const s of active)
    lines.push(`  ${s.name.padEnd(width)}  ${s.seconds === undefined ? label[s.result] : `${label[s.result].padEnd(kind)}  ${formatSeconds(s.seconds)}`}`.trimEnd());
  const parts = [
    `${count('ran')} ran`,
    `${count('restored')} restored from the run-cache`,
    `${count('up-to-date')} up to date`,
    ...(count('frozen') ? [`${count('frozen')} frozen`] : []),
    ...(count('failed') ? [`${count('failed')} failed`] : []),
    ...(count('skipped') ? [`${count('skipped')} not run`] : []),
  ];
  lines.push(`${summary.stages.length} stage${summary.stages.length === 1 ? '' : 's'}: ${parts.join(', ')}; total ${total}.`);
  return lines;
}
