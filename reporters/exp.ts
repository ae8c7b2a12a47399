import type { ExpRow } from '../core/commands/exp.js';
import { UsageError } from '../core/errors.js';
import { compareStrings, jsonEqual, jsonReplacer } from '../core/util/canonical.js';
import { DEFAULT_PRECISION, formatCell, renderTable } from './diff.js';

export type ExpFormat = 'table' | 'md' | 'csv' | 'json';

interface Column {
  title: string;
  file: string;
  key: string;
  kind: 'metric' | 'param';
  precision?: number;
}

/**
 * Orders experiments by a metric, best first where ml.yaml says which way is better (highest first otherwise); the
 * baseline row stays on top. `metric` is a key (`accuracy`) or `file:key`.
 */
export function sortRows(rows: ExpRow[], metric: string): ExpRow[] {
  const cut = metric.lastIndexOf(':');
  const [file, key] = cut > 0 ? [metric.slice(0, cut), metric.slice(cut + 1)] : [undefined, metric];
  const known = new Set(rows.flatMap((r) => Object.entries(r.state.metrics).flatMap(([f, m]) => Object.keys(m).map((k) => `${f}:${k}`))));
  const match = [...known].filter((id) => (file ? id === `${file}:${key}` : id.endsWith(`:${key}`)));
  if (!match.length)
    throw new UsageError(
      `--sort-by ${metric}: no experiment has that metric; the metrics are ${[...known].map((id) => id.split(':').pop()).join(', ') || 'none'}`,
    );
  if (match.length > 1)
    throw new UsageError(`--sort-by ${metric}: several metrics files have it; name one as FILE:KEY (${match.join(', ')})`);
  const [mfile, mkey] = [match[0]!.slice(0, match[0]!.lastIndexOf(':')), key];
  const direction = rows.map((r) => r.state.metricOuts.get(mfile)?.better?.[mkey]).find(Boolean) ?? 'higher';
  const value = (r: ExpRow) => r.state.metrics[mfile]?.[mkey];
  const [baseline, rest] = [rows.filter((r) => !r.experiment), rows.filter((r) => r.experiment)];
  const sorted = [...rest].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    // Rows without the metric go last.
    if (typeof x !== 'number' || typeof y !== 'number') return typeof x === typeof y ? 0 : typeof x === 'number' ? -1 : 1;
    return direction === 'higher' ? y - x : x - y;
  });
  return [...baseline, ...sorted];
}

/** Metric columns, and param columns for keys whose value is not the same in every row. */
function columns(rows: ExpRow[]): Column[] {
  const metricFiles = [...new Set(rows.flatMap((r) => Object.keys(r.state.metrics)))].sort(compareStrings);
  const cols: Column[] = [];
  for (const file of metricFiles) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r.state.metrics[file] ?? {})))].sort(compareStrings);
    const precision = rows.map((r) => r.state.metricOuts.get(file)?.precision).find((p) => p !== undefined);
    for (const key of keys)
      cols.push({ title: metricFiles.length > 1 ? `${file}:${key}` : key, file, key, kind: 'metric', ...(precision ? { precision } : {}) });
  }
  const paramFiles = [...new Set(rows.flatMap((r) => Object.keys(r.state.params)))].sort(compareStrings);
  for (const file of paramFiles) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r.state.params[file] ?? {})))].sort(compareStrings);
    for (const key of keys) {
      const values = rows.map((r) => r.state.params[file]?.[key]);
      if (values.every((v) => jsonEqual(v ?? null, values[0] ?? null))) continue;
      cols.push({ title: paramFiles.length > 1 ? `${file}:${key}` : key, file, key, kind: 'param' });
    }
  }
  return cols;
}

function status(r: ExpRow): string {
  if (!r.experiment) return 'baseline';
  return r.experiment.info.exitCode === 0 ? 'success' : `failed (${r.experiment.info.exitCode})`;
}

/** The experiments table in the chosen format (JSON holds every param and metric, not only the differing ones). */
export function formatExperiments(rows: ExpRow[], format: ExpFormat): string {
  if (format === 'json') {
    return `${JSON.stringify(
      rows.map((r) => ({
        name: r.name,
        rev: r.rev,
        status: status(r),
        ...(r.experiment ? { info: r.experiment.info } : {}),
        params: r.state.params,
        metrics: r.state.metrics,
      })),
      jsonReplacer,
      2,
    )}\n`;
  }
  const cols = columns(rows);
  const head = ['Experiment', 'Rev', 'Status', 'Created', ...cols.map((c) => c.title)];
  const body = rows.map((r) => [
    r.name,
    r.rev,
    status(r),
    r.experiment ? r.experiment.info.started.slice(0, 16).replace('T', ' ') : '',
    ...cols.map((c) => {
      const source = c.kind === 'metric' ? r.state.metrics : r.state.params;
      const v = source[c.file]?.[c.key];
      return v === undefined ? '-' : formatCell(v, c.precision ?? DEFAULT_PRECISION);
    }),
  ]);
  if (format === 'csv') return `${[head, ...body].map((line) => line.map(csvCell).join(',')).join('\n')}\n`;
  const right = [false, false, false, false, ...cols.map(() => true)];
  return `${renderTable(head, body, format, right).join('\n')}\n`;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
