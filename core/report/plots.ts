import type { PlotTemplate } from '../pipeline/types.js';
import type { PlotRecord } from '../plots/data.js';
import { confusionKey, countConfusion, label, STEP_FIELD, type PlotFields, type PlotInput } from '../plots/spec.js';

/** The most x positions a chart in a comment draws; longer series are thinned, keeping the first and last points. */
export const MAX_POINTS = 50;

/** One line (or the bars) of a chart: one y field at one revision, its value at each of the chart's x positions. */
export interface ChartSeries {
  rev: string;
  /** `base` or `head`: which side of the report the revision is. */
  side: 'base' | 'head';
  field: string;
  mark: 'line' | 'bar';
  values: number[];
  /** The colour it is drawn in, and its name for the caption (Mermaid draws no legend). */
  color: string;
  colorName: string;
}

/** An x/y chart as Mermaid `xychart-beta` draws it: shared x positions (categories), one series per revision and field. */
export interface ChartView {
  x: string;
  y: string[];
  /** The x positions, left to right (numbers, or labels for bar charts). */
  xValues: (number | string)[];
  series: ChartSeries[];
  /** The chart as a Mermaid `xychart-beta` block body (no fences). */
  mermaid: string;
}

export interface ConfusionCell {
  predicted: string;
  base?: number;
  head?: number;
  /** head - base, when both sides have the matrix. */
  delta?: number;
  /** The cell as shown: the head count and its change (`12 (+2)`), or the only side's count. */
  text: string;
}

/** A confusion matrix as a table: rows are actual labels, columns predicted labels. */
export interface ConfusionView {
  /** Which counts the cells hold: head with the change from base, or the one side that has the file. */
  shows: 'both' | 'head' | 'base';
  actual: string;
  predicted: string;
  labels: string[];
  rows: { actual: string; cells: ConfusionCell[] }[];
}

/** One plots file in the report. `chart` or `confusion` is set when it could be drawn; `notes` say what is missing. */
export interface PlotView {
  path: string;
  title: string;
  template: PlotTemplate;
  stage?: string;
  notes: string[];
  chart?: ChartView;
  confusion?: ConfusionView;
}

/** Lighter for the base, stronger for the head; one pair per y field. */
const PALETTE: { base: [string, string]; head: [string, string] }[] = [
  { base: ['#9ecae1', 'light blue'], head: ['#1f77b4', 'blue'] },
  { base: ['#fdae6b', 'light orange'], head: ['#e6550d', 'orange'] },
  { base: ['#a1d99b', 'light green'], head: ['#31a354', 'green'] },
  { base: ['#bcbddc', 'light purple'], head: ['#756bb1', 'purple'] },
];

export interface PlotViewInput {
  input: PlotInput;
  /** The fields drawn (`resolveFields`). */
  fields: PlotFields;
  stage?: string;
  /** Revision names of the two sides. */
  base: string;
  head: string;
}

/** The report's view of one plots file: a Mermaid chart, or a confusion table. Pure and deterministic. */
export function plotView(v: PlotViewInput): PlotView {
  const { input, fields } = v;
  const template = input.options.template;
  const view: PlotView = { path: input.path, title: input.options.title ?? input.path, template, notes: [...(input.notes ?? [])] };
  if (v.stage) view.stage = v.stage;
  const sideOf = (rev: string): 'base' | 'head' => (rev === v.head ? 'head' : 'base');
  const series = input.series.filter((s) => s.records.length);
  for (const s of input.series) if (!s.records.length) view.notes.push(`no rows at ${s.rev}`);
  if (!series.length) return view;
  if (template === 'confusion') view.confusion = confusionView(series, fields, sideOf);
  else if (template === 'scatter') view.notes.push('scatter plots are not drawn here: Mermaid charts have no point marks');
  else view.chart = chartView(view.title, template, series, fields, sideOf, view.notes);
  return view;
}

type Side = (rev: string) => 'base' | 'head';

/** Indices of `n` items thinned to at most `max`, evenly spread, first and last kept. */
export function thin(n: number, max = MAX_POINTS): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1)));
}

function chartView(title: string, template: PlotTemplate, series: PlotInput['series'], { x, y }: PlotFields, sideOf: Side, notes: string[]): ChartView {
  const out: Omit<ChartSeries, 'color' | 'colorName'>[] = [];
  let xValues: (number | string)[];
  if (template === 'bar') {
    // Labels in the head's order, then those only the base has.
    const ordered = [...series].sort((a, b) => (sideOf(a.rev) === 'head' ? -1 : 0) - (sideOf(b.rev) === 'head' ? -1 : 0));
    const labels = [...new Set(ordered.flatMap((s) => s.records.map((r) => label(r[x]))))];
    xValues = thin(labels.length).map((i) => labels[i]!);
    for (const s of series)
      for (const f of y) {
        const at = new Map<string, number>();
        for (const r of s.records) if (!at.has(label(r[x])) && isNum(r[f])) at.set(label(r[x]), r[f] as number);
        out.push({ rev: s.rev, side: sideOf(s.rev), field: f, mark: sideOf(s.rev) === 'head' ? 'bar' : 'line', values: xValues.map((l) => at.get(l as string) ?? 0) });
      }
  } else {
    const curves = series.flatMap((s) => y.map((f) => ({ s, f, points: pointsOf(s.records, x, f, template) })));
    const xs = curves.map((c) => c.points.map((p) => p[0]));
    const same = xs.every((a) => a.length === xs[0]!.length && a.every((v, i) => v === xs[0]![i]));
    if (same && evenlySpaced(xs[0]!)) {
      const idx = thin(xs[0]!.length);
      xValues = idx.map((i) => xs[0]![i]!);
      for (const c of curves) out.push({ rev: c.s.rev, side: sideOf(c.s.rev), field: c.f, mark: 'line', values: idx.map((i) => c.points[i]![1]) });
    } else {
      // Mermaid spaces x positions evenly, so uneven x (a ROC curve's false positive rates, revisions sampled at
      // different x) is drawn on an even grid over the whole range, every line read off its curve there.
      const all = [...new Set(xs.flat())].sort((a, b) => a - b);
      xValues = evenGrid(all[0]!, all[all.length - 1]!, Math.min(MAX_POINTS, all.length));
      for (const c of curves) {
        if (!c.points.length) continue;
        const lo = c.points[0]![0];
        const hi = c.points[c.points.length - 1]![0];
        if (lo > (xValues[0] as number) || hi < (xValues[xValues.length - 1] as number))
          notes.push(`${c.f} at ${c.s.rev} covers ${x} ${compact(lo)} to ${compact(hi)} only; it is drawn flat beyond`);
        out.push({ rev: c.s.rev, side: sideOf(c.s.rev), field: c.f, mark: 'line', values: (xValues as number[]).map((v) => interpolate(c.points, v)) });
      }
    }
  }
  // The base is drawn first, under the head.
  out.sort((a, b) => (a.side === b.side ? 0 : a.side === 'base' ? -1 : 1));
  const colored = out.map((s) => {
    const pair = PALETTE[y.indexOf(s.field) % PALETTE.length]![s.side];
    return { ...s, color: pair[0], colorName: pair[1] };
  });
  const chart: ChartView = { x, y, xValues, series: colored, mermaid: '' };
  chart.mermaid = mermaidChart(title, template, chart);
  return chart;
}

/** Whether consecutive x differ by the same step (to a relative 1e-9), so that Mermaid's even spacing is true to them. */
function evenlySpaced(xs: number[]): boolean {
  if (xs.length < 3) return true;
  const step = xs[1]! - xs[0]!;
  return xs.every((v, i) => i === 0 || Math.abs(v - xs[i - 1]! - step) <= 1e-9 * Math.max(1, Math.abs(step)));
}

/** `n` evenly spaced values from `lo` to `hi`, both included. */
function evenGrid(lo: number, hi: number, n: number): number[] {
  if (n < 2 || lo === hi) return [lo];
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
}

/** (x, y) pairs of one field, numbers only, ordered by x (a line keeps its row order: x is its step). */
function pointsOf(records: PlotRecord[], x: string, f: string, template: PlotTemplate): [number, number][] {
  const pts: [number, number][] = [];
  records.forEach((r, i) => {
    const xv = template === 'line' && x === STEP_FIELD && !(STEP_FIELD in r) ? i : r[x];
    if (isNum(xv) && isNum(r[f])) pts.push([xv, r[f]]);
  });
  return template === 'line' ? pts : pts.sort((a, b) => a[0] - b[0]);
}

/** y at `x` on a polyline sorted by x: linear between neighbours, the end value beyond either end. */
function interpolate(points: [number, number][], x: number): number {
  let i = 0;
  while (i < points.length && points[i]![0] < x) i++;
  if (i === 0) return points[0]![1];
  if (i === points.length) return points[points.length - 1]![1];
  const [x1, y1] = points[i]!;
  if (x1 === x) return y1;
  const [x0, y0] = points[i - 1]!;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** The Mermaid `xychart-beta` text: colours set by an init directive, then axes and one `line`/`bar` per series. */
export function mermaidChart(title: string, template: PlotTemplate, chart: ChartView): string {
  const palette = chart.series.map((s) => s.color).join(', ');
  const unit = template === 'roc' || template === 'precision_recall' ? ' 0 --> 1' : '';
  return [
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${palette}"}}}}%%`,
    'xychart-beta',
    `  title ${quote(title)}`,
    `  x-axis ${quote(chart.x)} [${chart.xValues.map((v) => quote(typeof v === 'number' ? compact(v) : v)).join(', ')}]`,
    `  y-axis ${quote(chart.y.join(', '))}${unit}`,
    ...chart.series.map((s) => `  ${s.mark} [${s.values.map(compact).join(', ')}]`),
  ].join('\n');
}

function confusionView(series: PlotInput['series'], { x, y }: PlotFields, sideOf: Side): ConfusionView {
  const actual = y[0]!;
  const counted = countConfusion(series, actual, x);
  const counts: Partial<Record<'base' | 'head', Map<string, number>>> = {};
  for (const s of series) counts[sideOf(s.rev)] = counted.counts.get(s.rev)!;
  const order = counted.labels;
  const rows = order.map((a) => ({
    actual: a,
    cells: order.map((p): ConfusionCell => {
      const k = confusionKey(a, p);
      const base = counts.base ? (counts.base.get(k) ?? 0) : undefined;
      const head = counts.head ? (counts.head.get(k) ?? 0) : undefined;
      const cell: ConfusionCell = { predicted: p, text: '' };
      if (base !== undefined) cell.base = base;
      if (head !== undefined) cell.head = head;
      if (base !== undefined && head !== undefined) cell.delta = head - base;
      cell.text =
        head === undefined ? `${base}` : cell.delta ? `${head} (${cell.delta > 0 ? '+' : ''}${cell.delta})` : `${head}`;
      return cell;
    }),
  }));
  const shows = counts.base && counts.head ? 'both' : counts.head ? 'head' : 'base';
  return { shows, actual, predicted: x, labels: order, rows };
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Four significant digits: enough to draw, short enough to keep a comment small. */
function compact(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/** A Mermaid string: double quotes would end it, so they become single ones. */
function quote(s: string): string {
  return `"${s.replace(/"/g, "'")}"`;
}
