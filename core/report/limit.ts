import type { ReportModel } from './model.js';

/** GitHub's limit on the body of a pull-request comment, in characters. */
export const COMMENT_LIMIT = 65_536;
/** GitHub's limit on a job summary: 1 MiB. */
export const SUMMARY_LIMIT = 1_048_576;

export interface FitOptions {
  /** Most characters the rendered text may have. */
  maxChars: number;
  /** Where the full report can be read, for the note. @default 'the job summary' */
  fullReportAt?: string;
}

export interface Fitted {
  text: string;
  /** The model the text was rendered from: sections cut, `omitted` and `omittedNote` set. */
  model: ReportModel;
}

/** The cuts in the order they are made: plots one by one from the last, then outputs, stages and params. */
function cuts(model: ReportModel): { name: string; apply: (m: ReportModel) => ReportModel }[] {
  const plots = [...model.plots].reverse().map((p) => ({
    name: `plot ${p.path}`,
    apply: (m: ReportModel) => ({ ...m, plots: m.plots.filter((q) => q.path !== p.path) }),
  }));
  return [
    ...plots,
    { name: 'outputs', apply: (m) => ({ ...m, outputs: [] }) },
    { name: 'stages', apply: (m) => ({ ...m, stages: [] }) },
    { name: 'params', apply: (m) => ({ ...m, params: [] }) },
  ];
}

/** `plot plots/a.json`, `outputs`, ... as a phrase: "plots `plots/a.json` and the outputs section". */
function describe(omitted: string[]): string {
  const plots = omitted.filter((o) => o.startsWith('plot ')).map((o) => `\`${o.slice(5)}\``);
  const sections = omitted.filter((o) => !o.startsWith('plot '));
  const parts = [
    ...(plots.length ? [`the plot${plots.length === 1 ? '' : 's'} ${plots.join(', ')}`] : []),
    ...(sections.length ? [`the ${sections.join(', ')} section${sections.length === 1 ? '' : 's'}`] : []),
  ];
  return parts.join(' and ');
}

function note(omitted: string[], opts: FitOptions, cutShort = false): string {
  const where = opts.fullReportAt ?? 'the job summary';
  const what = [...(omitted.length ? [`left out ${describe(omitted)}`] : []), ...(cutShort ? ['cut the rest short'] : [])].join(' and ');
  return `_To stay under ${opts.maxChars} characters, this report ${what}. The full report is in ${where}._`;
}

/**
 * Renders `model` and, while the text is longer than `maxChars`, leaves out whole sections, least important first
 * (see `cuts`), and renders again. The verdict, the gates and the metrics are never left out; when they alone are too
 * long the text is cut at a line end. A note saying what was left out is set on the model for the template to show,
 * and appended when the template does not show it. Pure when `render` is.
 */
export function fitReport(model: ReportModel, render: (m: ReportModel) => string, opts: FitOptions): Fitted {
  let current = model;
  let text = render(current);
  if (text.length <= opts.maxChars) return { text, model: current };
  for (const cut of cuts(model)) {
    const omitted = [...current.omitted, cut.name];
    current = { ...cut.apply(current), omitted, omittedNote: note(omitted, opts) };
    text = withNote(render(current), current.omittedNote!);
    if (text.length <= opts.maxChars) return { text, model: current };
  }
  const last = note(current.omitted, opts, true);
  current = { ...current, omittedNote: last };
  return { text: cutShort(render(current).replace(current.omittedNote ?? '', ''), last, opts.maxChars), model: current };
}

function withNote(text: string, line: string): string {
  return text.includes(line) ? text : `${text.replace(/\n*$/, '')}\n\n${line}\n`;
}

/** The text cut at the last line end that leaves room for the note (an open code fence closed first). */
function cutShort(text: string, line: string, max: number): string {
  const tail = `\n\n${line}\n`;
  if (tail.length + 4 > max) return line.slice(0, max);
  let head = text.slice(0, Math.max(0, max - tail.length - 4));
  const end = head.lastIndexOf('\n');
  head = (end > 0 ? head.slice(0, end) : head).trimEnd();
  const fences = head.split('\n').filter((l) => l.startsWith('```')).length;
  return `${head}${fences % 2 ? '\n```' : ''}${tail}`;
}
