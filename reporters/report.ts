import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { ReportModel, OutputRow } from '../core/report/model.js';
import type { StageStatus } from '../core/report/stages.js';
import { ReportTemplateError } from '../core/report/errors.js';
import { fitReport } from '../core/report/limit.js';
import { buildPlotSpec, type PlotSeries } from '../core/plots/spec.js';
import type { PlotView } from '../core/report/plots.js';
import { formatBytes, formatSeconds } from '../core/util/format.js';
import { DEFAULT_PRECISION, formatCell } from './diff.js';
import { renderSvg, scopeIds } from './plots-html.js';

export type ReportFormat = 'md' | 'html';

/** A repository's own Markdown template, used when present (`--template` wins over it). */
export const TEMPLATE_OVERRIDE = '.ml/templates/report.md.hbs';

/** A template's text and the file it came from (for error messages). */
export interface ReportTemplate {
  file: string;
  text: string;
}

const TEMPLATE_FILES: Record<ReportFormat, string> = { md: 'report.md.hbs', html: 'report.html.hbs' };

/**
 * The folder of the bundled templates. They ship as files beside the code (`reporters/templates` in the package), not
 * inside the bundle, so the folder is found by walking up from this module: `dist/cli/` when bundled, `dist/reporters/`
 * when compiled, `reporters/` in the source tree.
 */
export function templatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'reporters', 'templates');
    if (existsSync(join(candidate, TEMPLATE_FILES.md))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new ReportTemplateError('reporters/templates', 'the bundled report templates are missing from this installation of gitml; reinstall it');
    dir = up;
  }
}

export function bundledTemplate(format: ReportFormat): ReportTemplate {
  const file = join(templatesDir(), TEMPLATE_FILES[format]);
  return { file, text: readFileSync(file, 'utf8') };
}

const STATUS_TEXT: Record<StageStatus, string> = {
  ran: 'ran',
  restored: 'restored from run-cache',
  'up-to-date': 'up to date',
  frozen: 'frozen',
  changed: 'changed (not run here)',
  'not-run': 'not run',
  removed: 'removed',
};

const MISSING = '—';

/** Markdown for inside a table cell: pipes escaped, line breaks and HTML tags made harmless. */
function mdCell(s: unknown): string {
  return String(s ?? '')
    .replace(/[\\|]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/\r?\n/g, ' ');
}

/**
 * The helpers every report template can use, Markdown or HTML:
 * - `num v [precision]`: a metric value to its precision (`—` when missing);
 * - `signed v [precision]`: a change with its sign; `percent r`: a relative change as `+5.2%`;
 * - `value v`: a parameter value (strings bare, the rest as JSON);
 * - `size {size, nfiles}`: `1.2 MB` or `1.2 MB, 30 files`; `signedBytes n`; `duration ms`: `1.20 s`;
 * - `status s`: a stage status in words; `cell s`: text safe in a Markdown table cell;
 * - `eq a b`; `omitted name`: whether a section was left out to fit `--max-chars`.
 */
function helpers(format: ReportFormat): Record<string, Handlebars.HelperDelegate> {
  const opt = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return {
    num: (v: unknown, p: unknown) => (v === undefined ? MISSING : formatCell(v, opt(p) ?? DEFAULT_PRECISION)),
    signed: (v: unknown, p: unknown) => {
      if (typeof v !== 'number') return '';
      const s = formatCell(v, opt(p) ?? DEFAULT_PRECISION);
      return v > 0 ? `+${s}` : s;
    },
    percent: (v: unknown) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return '';
      const s = Number((v * 100).toPrecision(3));
      return `${s > 0 ? '+' : ''}${s}%`;
    },
    value: (v: unknown) => (v === undefined ? MISSING : format === 'md' ? mdCell(formatCell(v)) : formatCell(v)),
    size: (e: OutputRow['base']) =>
      e && typeof e === 'object' ? `${formatBytes(e.size)}${e.nfiles !== undefined ? `, ${e.nfiles} file${e.nfiles === 1 ? '' : 's'}` : ''}` : MISSING,
    signedBytes: (n: unknown) => (typeof n !== 'number' ? '' : n < 0 ? `-${formatBytes(-n)}` : `+${formatBytes(n)}`),
    duration: (ms: unknown) => (typeof ms === 'number' ? formatSeconds(ms / 1000) : MISSING),
    status: (s: StageStatus) => STATUS_TEXT[s] ?? String(s),
    cell: (s: unknown) => (format === 'md' ? mdCell(s) : String(s ?? '')),
    eq: (a: unknown, b: unknown) => a === b,
    omitted: (name: string, options: Handlebars.HelperOptions) => ((options.data?.root as ReportModel | undefined)?.omitted ?? []).includes(name),
  };
}

/** Compiles a template; a syntax error is an `E_REPORT_TEMPLATE` error naming the file, line and column. */
export function compileReport(template: ReportTemplate, format: ReportFormat): (model: object) => string {
  const hb = Handlebars.create();
  hb.registerHelper(helpers(format));
  try {
    hb.parse(template.text);
  } catch (err) {
    throw templateError(template.file, template.text, err);
  }
  // Markdown is not HTML: values are escaped where they land (`cell`), not HTML-escaped everywhere.
  const render = hb.compile(template.text, { noEscape: format === 'md' });
  return (model) => {
    try {
      return render(model);
    } catch (err) {
      throw templateError(template.file, template.text, err);
    }
  };
}

/**
 * Handlebars says where a parse error is in its message: `Parse error on line 3:`, then an excerpt (the text read so
 * far without its line breaks, and what follows) with a caret under the problem. The column is how much of that line
 * the excerpt had read.
 */
function templateError(file: string, text: string, err: unknown): ReportTemplateError {
  const e = err as Error & { lineNumber?: number; column?: number };
  const lines = e.message.split('\n');
  const parsed = /^Parse error on line (\d+):/.exec(lines[0]!);
  if (parsed) {
    const line = Number(parsed[1]);
    const caret = lines.findIndex((l) => /^-*\^$/.test(l));
    const read = caret > 1 ? lines[caret - 1]!.slice(0, lines[caret]!.length - 1).replace(/^\.\.\./, '') : '';
    const source = text.split(/\r?\n/)[line - 1] ?? '';
    let col = 0;
    for (let n = source.length; n > 0; n--)
      if (read.endsWith(source.slice(0, n))) {
        col = n;
        break;
      }
    const expecting = lines.find((l) => l.startsWith('Expecting'));
    const detail = expecting ? `invalid template syntax (${expecting.replace(/^Expecting /, 'expecting ')})` : 'invalid template syntax';
    return new ReportTemplateError(file, detail, { line, col: col + 1 }, err);
  }
  const at = e.lineNumber !== undefined ? { line: e.lineNumber, col: (e.column ?? 0) + 1 } : undefined;
  return new ReportTemplateError(file, e.message.replace(/ - \d+:\d+$/, ''), at, err);
}

export interface MarkdownOptions {
  template?: ReportTemplate;
  /** Most characters the report may have (GitHub comments: 65,536). */
  maxChars: number;
}

/** The Markdown report, sections left out as needed to fit `maxChars`; returns the text and the model it shows. */
export function renderMarkdownReport(model: ReportModel, opts: MarkdownOptions): { text: string; model: ReportModel } {
  const render = compileReport(opts.template ?? bundledTemplate('md'), 'md');
  return fitReport(model, render, { maxChars: opts.maxChars });
}

/** One plot's chart as an SVG drawing for the HTML report, from the points the Markdown chart draws. */
async function chartSvg(plot: PlotView, i: number): Promise<string | undefined> {
  const chart = plot.chart;
  if (!chart) return undefined;
  const byRev = new Map<string, Record<string, unknown>[]>();
  for (const s of chart.series) {
    const rows = byRev.get(s.rev) ?? chart.xValues.map((x) => ({ [chart.x]: x }));
    s.values.forEach((v, j) => (rows[j]![s.field] = v));
    byRev.set(s.rev, rows);
  }
  const series: PlotSeries[] = [...byRev].map(([rev, records]) => ({ rev, records }));
  const spec = buildPlotSpec({ path: plot.path, options: { template: plot.template, x: chart.x, y: chart.y, title: plot.title }, series });
  return scopeIds((await renderSvg(spec)).svg, `plot-${i + 1}-`);
}

/**
 * The self-contained HTML report: the same model, charts drawn as inline SVG (`svg` on each plot), every value
 * HTML-escaped by the template. Nothing is fetched when it is opened.
 */
export async function renderHtmlReport(model: ReportModel, template?: ReportTemplate): Promise<string> {
  const render = compileReport(template ?? bundledTemplate('html'), 'html');
  const plots = await Promise.all(model.plots.map(async (p, i) => ({ ...p, svg: await chartSvg(p, i) })));
  return render({ ...model, plots });
}
