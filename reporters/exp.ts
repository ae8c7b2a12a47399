import type { ExpRow } from '../core/commands/exp.js';
import { UsageError } from '../core/errors.js';
import { compareStrings, jsonEqual, jsonReplacer } from '../core/util/canonical.js';
import { suggest } from '../core/util/suggest.js';
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

/**
 * The metric `exp show` sorts by when none is named: the first (by file, then key) whose `better:` direction ml.yaml
 * declares, as `FILE:KEY`; `undefined` when no metric declares one.
 */
export function defaultSortMetric(rows: ExpRow[]): string | undefined {
  const ids = new Set<string>();
  for (const r of rows)
    for (const [file, out] of r.state.metricOuts)
      for (const key of Object.keys(out.better ?? {})) if (rows.some((x) => typeof x.state.metrics[file]?.[key] === 'number')) ids.add(`${file}:${key}`);
  return [...ids].sort(compareStrings)[0];
}

export interface ExpTableOptions {
  /** Show only these metric and param columns (KEY or FILE:KEY), in this order; params that are the same everywhere included. */
  only?: string[];
  /** Leave these columns out. */
  drop?: string[];
  /** The metric rows are sorted by (KEY or FILE:KEY): its column comes first, so that fitting the width keeps it. */
  sortedBy?: string;
  /**
   * Terminal width: in table format, columns that do not fit are left out, from the last, and counted in a final line.
   * Undefined (output not a terminal) prints every column.
   */
  width?: number;
}

/**
 * Metric columns, then param columns whose value differs between rows, then (for `--only`) those that do not.
 * `only` and `drop` pick among them by KEY or FILE:KEY.
 */
function columns(rows: ExpRow[], opts: ExpTableOptions = {}): Column[] {
  const all = allColumns(rows);
  const ids = (c: Column) => [c.title, c.key, `${c.file}:${c.key}`];
  const find = (name: string, flag: string): Column[] => {
    const hit = all.filter((c) => ids(c).includes(name));
    if (!hit.length) {
      const names = [...new Set(all.map((c) => c.title))];
      const guess = suggest(name, names);
      throw new UsageError(`${flag} ${name}: no such metric or param${guess ? `; did you mean \`${guess}\`?` : `; the columns are ${names.join(', ') || 'none'}`}`);
    }
    return hit;
  };
  let cols = opts.only?.length ? [...new Set(opts.only.flatMap((n) => find(n, '--only')))] : all.filter((c) => c.differs !== false);
  const sorted = opts.only?.length ? undefined : cols.find((c) => c.kind === 'metric' && opts.sortedBy !== undefined && ids(c).includes(opts.sortedBy));
  if (sorted) cols = [sorted, ...cols.filter((c) => c !== sorted)];
  for (const name of opts.drop ?? []) {
    const gone = new Set(find(name, '--drop'));
    cols = cols.filter((c) => !gone.has(c));
  }
  return cols;
}

/** Every metric column, then every param column, the ones that differ between rows first. */
function allColumns(rows: ExpRow[]): (Column & { differs?: boolean })[] {
  const metricFiles = [...new Set(rows.flatMap((r) => Object.keys(r.state.metrics)))].sort(compareStrings);
  const cols: Column[] = [];
  for (const file of metricFiles) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r.state.metrics[file] ?? {})))].sort(compareStrings);
    const precision = rows.map((r) => r.state.metricOuts.get(file)?.precision).find((p) => p !== undefined);
    for (const key of keys)
      cols.push({ title: metricFiles.length > 1 ? `${file}:${key}` : key, file, key, kind: 'metric', ...(precision ? { precision } : {}) });
  }
  const paramFiles = [...new Set(rows.flatMap((r) => Object.keys(r.state.params)))].sort(compareStrings);
  const same: (Column & { differs: false })[] = [];
  for (const file of paramFiles) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r.state.params[file] ?? {})))].sort(compareStrings);
    for (const key of keys) {
      const values = rows.map((r) => r.state.params[file]?.[key]);
      const col: Column = { title: paramFiles.length > 1 ? `${file}:${key}` : key, file, key, kind: 'param' };
      if (values.every((v) => jsonEqual(v ?? null, values[0] ?? null))) same.push({ ...col, differs: false });
      else cols.push(col);
    }
  }
  return [...cols, ...same];
}

function status(r: ExpRow): string {
  if (!r.experiment) return 'baseline';
  return r.experiment.info.exitCode === 0 ? 'success' : `failed (${r.experiment.info.exitCode})`;
}

/** The experiments table in the chosen format (JSON holds every param and metric, not only the differing ones). */
export function formatExperiments(rows: ExpRow[], format: ExpFormat, opts: ExpTableOptions = {}): string {
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
  const cols = columns(rows, opts);
  // Params equal in every row say nothing about the experiments: they are left out, but counted.
  const same = opts.only?.length ? [] : allColumns(rows).filter((c) => c.differs === false);
  const render = (shown: Column[]) => {
    const head = ['Experiment', 'Rev', 'Status', 'Created', ...shown.map((c) => c.title)];
    const body = rows.map((r) => [
      r.name,
      r.rev,
      status(r),
      r.experiment ? r.experiment.info.started.slice(0, 16).replace('T', ' ') : '',
      ...shown.map((c) => {
        const source = c.kind === 'metric' ? r.state.metrics : r.state.params;
        const v = source[c.file]?.[c.key];
        return v === undefined ? '-' : formatCell(v, c.precision ?? DEFAULT_PRECISION);
      }),
    ]);
    if (format === 'csv') return [head, ...body].map((line) => line.map(csvCell).join(','));
    return renderTable(head, body, format, [false, false, false, false, ...shown.map(() => true)]);
  };
  const sameLine = () => {
    const n = same.length;
    return `${n} param${n === 1 ? ' is' : 's are'} the same in every row: ${same.map((c) => c.title).join(', ')} (show with --only)`;
  };
  if (format === 'csv' || format === 'md') return `${render(cols).join('\n')}\n`;
  if (opts.width === undefined) return `${[...render(cols), ...(same.length ? [sameLine()] : [])].join('\n')}\n`;
  // Fit the terminal: leave out columns from the right (the params that differ come before the rest).
  let shown = cols.length;
  let lines = render(cols);
  while (shown > 0 && Math.max(...lines.map((l) => l.length)) > opts.width) lines = render(cols.slice(0, --shown));
  const hidden = cols.length - shown;
  if (hidden) {
    const count = `... ${hidden} more column${hidden === 1 ? '' : 's'}`;
    const named = `${count}: ${cols.slice(shown).map((c) => c.title).join(', ')} (pick with --only/--drop)`;
    lines.push(named.length <= opts.width ? named : `${count} (pick with --only/--drop)`);
  }
  if (same.length) {
    const n = same.length;
    const line = sameLine();
    lines.push(line.length <= opts.width ? line : `${n} param${n === 1 ? ' is' : 's are'} the same in every row (show with --only)`);
  }
  return `${lines.join('\n')}\n`;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
