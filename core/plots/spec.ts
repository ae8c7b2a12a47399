import type { TopLevelSpec } from 'vega-lite';
import type { PlotOptions, PlotTemplate } from '../pipeline/types.js';
import { fieldsOf, numericFields, type PlotRecord } from './data.js';
import { PlotDataError, PlotFieldError } from './errors.js';
import { compareLabels } from '../util/canonical.js';

export type VegaLiteSpec = TopLevelSpec;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** The field every data row gets: the revision it was read at. */
export const REV_FIELD = 'rev';
/** The row index, added to rows that have no `step` of their own (the line template's default x). */
export const STEP_FIELD = 'step';
/** Field names of the long form used when several y fields are drawn. */
export const FOLD_FIELDS = ['field', 'value'] as const;

export const CHART_WIDTH = 480;
export const CHART_HEIGHT = 300;

/** The rows of one plots file at one revision. */
export interface PlotSeries {
  /** The revision's name as the user wrote it (`HEAD~1`, `main`, `workspace`); the legend shows it. */
  rev: string;
  records: PlotRecord[];
}

export interface PlotInput {
  /** The plots file, workspace-relative; the default title. */
  path: string;
  options: PlotOptions;
  /** One per revision the file could be read at, oldest first. */
  series: PlotSeries[];
  /** Shown under the title (a revision the file is missing at, say). */
  notes?: string[];
}

/** The fields a chart draws once the template's defaults are filled in. */
export interface PlotFields {
  x: string;
  y: string[];
}

type Json = Record<string, unknown>;

/**
 * The fields `input` draws: `x`/`y` from the options, or the template's defaults taken from the newest revision's
 * rows. Every revision's rows must hold them; the first that does not is a `PlotFieldError` naming it.
 */
export function resolveFields(input: PlotInput): PlotFields {
  const { path, options } = input;
  const template = options.template;
  const withRows = input.series.filter((s) => s.records.length > 0);
  const newest = withRows[withRows.length - 1];
  const sample = newest?.records ?? [];
  const numeric = numericFields(sample);
  const need = (what: string, found: string | undefined): string => {
    if (found !== undefined) return found;
    throw new PlotDataError(path, newest?.rev ?? '?', `has no ${what} for the ${template} template to draw; set \`x\`/\`y\` of this plot in ml.yaml`);
  };

  let x: string;
  let y: string[];
  switch (template) {
    case 'line':
      x = options.x ?? STEP_FIELD;
      if (options.y?.length === 0) {
        // Every numeric field that every revision has: a built-in step's own plots file, whose fields depend on the
        // run (validation rows or not, the network's layers).
        const everywhere = withRows.map((s) => new Set(numericFields(s.records)));
        y = numeric.filter((f) => f !== x && f !== STEP_FIELD && everywhere.every((fields) => fields.has(f)));
        if (!y.length) need('numeric field', undefined);
      } else y = options.y ?? [need('numeric field', numeric.find((f) => f !== x && f !== STEP_FIELD))];
      break;
    case 'scatter':
      x = options.x ?? need('numeric field', numeric[0]);
      y = options.y ?? [need('second numeric field', numeric.find((f) => f !== x))];
      break;
    case 'bar': {
      const fields = fieldsOf(sample);
      x = options.x ?? need('field', fields.find((f) => !numeric.includes(f)) ?? fields[0]);
      y = options.y ?? [need('numeric field', numeric.find((f) => f !== x))];
      break;
    }
    case 'confusion':
      x = options.x ?? 'predicted';
      y = options.y ?? ['actual'];
      break;
    case 'roc':
      x = options.x ?? 'fpr';
      y = options.y ?? ['tpr'];
      break;
    case 'precision_recall':
      x = options.x ?? 'recall';
      y = options.y ?? ['precision'];
      break;
  }

  for (const s of withRows) {
    const available = fieldsOf(s.records);
    const check = (field: string, axis: 'x' | 'y', given: boolean) => {
      if (available.includes(field)) return;
      // The line template numbers rows itself when the file has no `step`.
      if (template === 'line' && axis === 'x' && field === STEP_FIELD) return;
      const role = given ? `named by \`${axis}\` in ml.yaml` : `the ${template} template's default ${axis}`;
      throw new PlotFieldError({ path, rev: s.rev, field, role, available });
    };
    check(x, 'x', options.x !== undefined);
    for (const f of y) check(f, 'y', options.y !== undefined);
  }
  return { x, y };
}

/**
 * A Vega-Lite spec for one plots file, with every revision's rows inlined (each tagged with `rev`) and one series
 * per revision. Pure: rows in, spec out.
 */
export function buildPlotSpec(input: PlotInput): VegaLiteSpec {
  const fields = resolveFields(input);
  const notes = [...(input.notes ?? [])];
  for (const s of input.series) if (!s.records.length) notes.push(`no rows at ${s.rev}`);
  const o = input.options;
  const text = o.title ?? input.path;
  const head: Json = {
    $schema: VEGA_LITE_SCHEMA,
    title: notes.length ? { text, subtitle: notes } : text,
    description: `${input.path} (${o.template}): ${input.series.map((s) => s.rev).join(', ')}`,
  };
  const body = o.template === 'confusion' ? confusionSpec(input, fields) : xySpec(input, fields);
  return { ...head, ...body } as unknown as VegaLiteSpec;
}

/** A field reference: Vega-Lite reads `.` and `[` in a field name as nested access unless escaped. */
export function fieldRef(name: string): string {
  return name.replace(/[.[\]\\]/g, (c) => `\\${c}`);
}

function revs(input: PlotInput): string[] {
  return input.series.filter((s) => s.records.length).map((s) => s.rev);
}

function rows(input: PlotInput, withStep: boolean): Json[] {
  return input.series.flatMap((s) =>
    s.records.map((r, i) => ({ ...r, [REV_FIELD]: s.rev, ...(withStep && !(STEP_FIELD in r) ? { [STEP_FIELD]: i } : {}) })),
  );
}

/** line, scatter, bar, roc, precision_recall: x against one or more y fields, one series per revision. */
function xySpec(input: PlotInput, { x, y }: PlotFields): Json {
  const o = input.options;
  const t: PlotTemplate = o.template;
  const names = revs(input);
  const manyRevs = names.length > 1;
  const manyY = y.length > 1;
  const curve = t === 'roc' || t === 'precision_recall';
  const unit = curve ? { domain: [0, 1] } : undefined;

  const xTitle = o.xLabel ?? x;
  const yTitle = o.yLabel ?? y.join(', ');
  const xEnc: Json = { field: fieldRef(x), type: t === 'bar' ? 'nominal' : 'quantitative', title: xTitle };
  if (t === 'bar') {
    xEnc.sort = null;
    xEnc.axis = { labelAngle: 0 };
  }
  if (unit) xEnc.scale = unit;
  const yEnc: Json = { field: manyY ? FOLD_FIELDS[1] : fieldRef(y[0]!), type: 'quantitative', title: yTitle };
  if (unit) yEnc.scale = unit;

  const revColor: Json = { field: REV_FIELD, type: 'nominal', title: 'revision', scale: { domain: names }, sort: names };
  const fieldColor: Json = { field: FOLD_FIELDS[0], type: 'nominal', title: 'field', scale: { domain: y }, sort: y };
  const encoding: Json = { x: xEnc, y: yEnc };
  if (manyRevs) encoding.color = revColor;
  else if (manyY) encoding.color = fieldColor;
  if (manyRevs && manyY) {
    if (t === 'scatter') encoding.shape = { ...fieldColor };
    else if (t !== 'bar') encoding.strokeDash = { ...fieldColor };
  }
  if (t === 'bar' && (manyRevs || manyY)) {
    const series = names.flatMap((r) => y.map((f) => `${r} · ${f}`));
    encoding.xOffset =
      manyRevs && manyY
        ? { field: 'series', type: 'nominal', sort: series }
        : manyRevs
          ? { field: REV_FIELD, type: 'nominal', sort: names }
          : { field: FOLD_FIELDS[0], type: 'nominal', sort: y };
    // Revisions by colour, fields by shade.
    if (manyRevs && manyY) {
      const range = y.map((_, i) => Number((1 - (0.6 * i) / (y.length - 1)).toFixed(3)));
      encoding.opacity = { field: FOLD_FIELDS[0], type: 'nominal', title: 'field', sort: y, scale: { domain: y, range } };
    }
  }
  const line = t === 'line' || curve;
  if (line) encoding.order = { field: STEP_FIELD, type: 'quantitative' };
  const tooltip = [
    ...(manyRevs ? [{ field: REV_FIELD, title: 'revision' }] : []),
    { field: fieldRef(x), title: x },
    ...(manyY ? [{ field: FOLD_FIELDS[0] }, { field: FOLD_FIELDS[1] }] : [{ field: fieldRef(y[0]!), title: y[0] }]),
  ];
  encoding.tooltip = tooltip;

  const longest = Math.max(0, ...input.series.map((s) => s.records.length));
  const mark: Json =
    t === 'scatter' ? { type: 'point', filled: true } : t === 'bar' ? { type: 'bar' } : { type: 'line', point: longest <= 50, clip: true };

  const transform: Json[] = [];
  if (manyY) transform.push({ fold: y.map(fieldRef), as: [...FOLD_FIELDS] });
  if (manyY && manyRevs && t === 'bar') transform.push({ calculate: `datum.${REV_FIELD} + ' · ' + datum.${FOLD_FIELDS[0]}`, as: 'series' });

  const main: Json = { mark, encoding, ...(transform.length ? { transform } : {}) };
  const data = { values: rows(input, line) };
  if (t !== 'roc') return { data, width: CHART_WIDTH, height: CHART_HEIGHT, ...main };
  // Chance level: a classifier no better than a coin lies on the diagonal.
  const diagonal = {
    data: { values: [{ [x]: 0, [y[0]!]: 0 }, { [x]: 1, [y[0]!]: 1 }] },
    mark: { type: 'line', strokeDash: [4, 4], color: '#999999', strokeWidth: 1 },
    encoding: {
      x: { field: fieldRef(x), type: 'quantitative', title: xTitle, scale: unit },
      y: { field: fieldRef(y[0]!), type: 'quantitative', title: yTitle, scale: unit },
    },
  };
  return { data, width: CHART_WIDTH, height: CHART_HEIGHT, layer: [diagonal, main] };
}

/** Counted confusion matrices, one per revision, over the labels any of them has. */
export interface ConfusionCounts {
  /** Revision -> `confusionKey(actual, predicted)` -> how many rows. */
  counts: Map<string, Map<string, number>>;
  /** Every label, actual or predicted, at any revision, in `compareLabels` order. */
  labels: string[];
}

export function confusionKey(actual: string, predicted: string): string {
  return JSON.stringify([actual, predicted]);
}

/** Counts the rows of each revision by actual (`actual` field) and predicted (`predicted` field) label. */
export function countConfusion(series: readonly PlotSeries[], actual: string, predicted: string): ConfusionCounts {
  const counts = new Map<string, Map<string, number>>();
  const labels = new Set<string>();
  for (const s of series) {
    const m = new Map<string, number>();
    counts.set(s.rev, m);
    for (const r of s.records) {
      const a = label(r[actual]);
      const p = label(r[predicted]);
      labels.add(a).add(p);
      const k = confusionKey(a, p);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  }
  return { counts, labels: [...labels].sort(compareLabels) };
}

/** The counted matrix of actual (y) against predicted (x) labels, one facet per revision, counts written in. */
function confusionSpec(input: PlotInput, { x, y }: PlotFields): Json {
  const o = input.options;
  const actual = y[0]!;
  const names = revs(input);
  const { counts, labels: order } = countConfusion(input.series, actual, x);
  const values: Json[] = [];
  let max = 0;
  for (const rev of names) {
    const m = counts.get(rev)!;
    // Every cell is listed, zeros too, so a class never predicted still shows its row.
    for (const a of order)
      for (const p of order) {
        const count = m.get(confusionKey(a, p)) ?? 0;
        max = Math.max(max, count);
        values.push({ [REV_FIELD]: rev, [actual]: a, [x]: p, count });
      }
  }
  const step = order.length <= 12 ? 40 : 20;
  // Short labels read best upright; long ones slant so they do not collide.
  const xEnc = { field: fieldRef(x), type: 'nominal', sort: order, title: o.xLabel ?? x, axis: { labelAngle: order.every((l) => l.length <= 6) ? 0 : -45 } };
  const yEnc = { field: fieldRef(actual), type: 'nominal', sort: order, title: o.yLabel ?? actual };
  return {
    data: { values },
    facet: { column: { field: REV_FIELD, type: 'nominal', sort: names, title: null } },
    spec: {
      width: { step },
      height: { step },
      layer: [
        {
          mark: 'rect',
          encoding: {
            x: xEnc,
            y: yEnc,
            color: { field: 'count', type: 'quantitative', title: 'count', scale: { scheme: 'blues', domainMin: 0 } },
            tooltip: [{ field: fieldRef(actual), title: actual }, { field: fieldRef(x), title: x }, { field: 'count' }],
          },
        },
        {
          mark: { type: 'text', fontSize: step > 20 ? 12 : 9 },
          encoding: {
            x: xEnc,
            y: yEnc,
            text: { field: 'count', type: 'quantitative' },
            // Light text on the dark half of the scale.
            color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
          },
        },
      ],
    },
  };
}

/** A confusion matrix label: strings as they are, other values as JSON. */
export function label(v: unknown): string {
  return v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);
}


