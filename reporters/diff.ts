import type { OutputDiff, StageDiff, ValueDiff } from '../core/diff/diff.js';
import type { LockEntry } from '../core/lockfile/lockfile.js';
import { formatBytes, formatValue, typeChanged } from '../core/util/format.js';

export type TableFormat = 'table' | 'md';

/** Significant digits when a metric declares none. */
export const DEFAULT_PRECISION = 5;

/** A value as a cell: numbers to their precision, missing as `missing`, the rest as JSON (strings quoted with `quote`). */
export function formatCell(v: unknown, precision = DEFAULT_PRECISION, present = true, quote = false): string {
  if (!present) return 'missing';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(precision))) : String(v);
  return formatValue(v, quote);
}

function signed(v: number | undefined, precision: number): string {
  if (v === undefined) return '';
  const s = formatCell(v, precision);
  return v > 0 ? `+${s}` : s;
}

function percent(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  const s = Number((v * 100).toPrecision(3));
  return `${s > 0 ? '+' : ''}${s}%`;
}

/** Rows of a params or metrics diff, with the two revisions as column titles. */
export function formatValueDiff(rows: ValueDiff[], oldName: string, newName: string, format: TableFormat): string[] {
  const withVerdict = rows.some((r) => r.verdict !== undefined);
  const head = ['Path', 'Key', oldName, newName, 'Change', 'Change %', ...(withVerdict ? ['Better?'] : [])];
  const body = rows.map((r) => {
    const p = r.precision ?? DEFAULT_PRECISION;
    const quote = typeChanged(r.old, r.new);
    return [
      r.file,
      r.key,
      formatCell(r.old, p, 'old' in r, quote),
      formatCell(r.new, p, 'new' in r, quote),
      signed(r.change, p),
      percent(r.relative),
      ...(withVerdict ? [r.verdict ?? ''] : []),
    ];
  });
  return renderTable(head, body, format, [false, false, true, true, true, true, false]);
}

export function formatStageDiff(stages: StageDiff[], format: TableFormat): string[] {
  return renderTable(
    ['Stage', 'Change', 'What changed'],
    stages.map((s) => [s.stage, s.change, s.parts.join(', ')]),
    format,
  );
}

export function formatOutputDiff(outputs: OutputDiff[], format: TableFormat): string[] {
  const cell = (e: LockEntry | undefined) =>
    e ? `${e.hash.replace(/^blake3:/, '').slice(0, 8)} ${formatBytes(e.size)}${e.nfiles !== undefined ? ` ${e.nfiles} files` : ''}` : '';
  return renderTable(
    ['Path', 'Stage', 'Change', 'Old', 'New'],
    outputs.map((o) => [o.path, o.stage, o.change, cell(o.old), cell(o.new)]),
    format,
  );
}

/** An aligned plain-text table, or a GitHub markdown table (`|` escaped in cells). */
export function renderTable(head: string[], rows: string[][], format: TableFormat, rightAlign: boolean[] = []): string[] {
  if (format === 'md') {
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    return [
      `| ${head.map(esc).join(' | ')} |`,
      `| ${head.map((_, i) => (rightAlign[i] ? '---:' : '---')).join(' | ')} |`,
      ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    ];
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}
