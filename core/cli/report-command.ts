import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { COMMENT_LIMIT, SUMMARY_LIMIT } from '../report/limit.js';
import { readTextOrNull } from '../util/fs.js';
import type { CliContext } from './context.js';

interface ReportFlags {
  base?: string;
  head?: string;
  md?: boolean;
  html?: boolean;
  json?: boolean;
  template?: string;
  plan?: string;
  maxChars?: number;
  out?: string;
}

/** `gitml report`: the pull-request report (Markdown by default), from the view model core builds. */
export function registerReportCommand(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('the pull-request report: gate verdict, metric diff, changed params, stages, changed outputs and plots')
    .option('--base <rev>', 'the revision compared against (default: HEAD)')
    .option('--head <rev>', 'the revision reported on (default: the workspace)')
    .option('--md', 'Markdown, with Mermaid charts and confusion tables (the default)')
    .option('--html', 'one self-contained HTML page, charts as inline SVG')
    .option('--json', 'print the view model the templates receive')
    .option('--template <file>', `render with this Handlebars template instead (default: .ml/templates/report.md.hbs when present)`)
    .option('--plan <file>', 'the JSON `gitml plan --json` printed: which stages ran and which were restored (default: the last local repro)')
    .addOption(
      new Option('--max-chars <n>', `Markdown only: leave out sections (plots first) to stay under n characters (default: ${COMMENT_LIMIT}, a GitHub comment; ${SUMMARY_LIMIT} for a job summary)`).argParser(
        maxChars,
      ),
    )
    .option('-o, --out <file>', 'write the report to this file instead of stdout')
    .addHelpText(
      'after',
      [
        '\nExamples:',
        '  gitml report                                   the workspace against HEAD, as Markdown',
        '  gitml report --base origin/main --head HEAD    a pull request, as CI sees it',
        '  gitml report --plan plan.json --max-chars 1048576 -o summary.md',
      ].join('\n'),
    )
    .action(async (o: ReportFlags) => {
      const formats = (['md', 'html', 'json'] as const).filter((f) => o[f]);
      if (formats.length > 1) throw new UsageError(`choose one of --md, --html and --json (got ${formats.map((f) => `--${f}`).join(', ')})`);
      const format = formats[0] ?? 'md';
      if (format === 'json' && o.template !== undefined) throw new UsageError('--template renders Markdown or HTML; --json prints the model itself');
      if (format !== 'md' && o.maxChars !== undefined) throw new UsageError('--max-chars limits the Markdown report only');
      const cwd = ctx.cwd();
      const { report } = await import('../commands/report.js');
      const model = await report({ cwd, base: o.base, head: o.head, plan: o.plan });

      let text: string;
      if (format === 'json') text = `${JSON.stringify(model, null, 2)}\n`;
      else {
        const { findRoot } = await import('../workspace.js');
        const r = await import('../../reporters/report.js');
        const template = loadTemplate(cwd, findRoot(cwd), o.template, format === 'md' ? r.TEMPLATE_OVERRIDE : undefined);
        text =
          format === 'md'
            ? r.renderMarkdownReport(model, { template, maxChars: o.maxChars ?? COMMENT_LIMIT }).text
            : await r.renderHtmlReport(model, template);
        if (!text.endsWith('\n')) text += '\n';
      }
      if (o.out === undefined) return ctx.out(text);
      const file = resolve(cwd, o.out);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      if (!ctx.quiet()) ctx.warn(`Wrote the report to ${relative(cwd, file) || file}`);
    });
}

/** `--template`, else the repository's override when there is one, else the bundled template (`undefined`). */
function loadTemplate(cwd: string, root: string, given: string | undefined, override: string | undefined) {
  if (given !== undefined) {
    const text = readTextOrNull(resolve(cwd, given));
    if (text === null) throw new UsageError(`--template ${given}: no such file`);
    return { file: given, text };
  }
  if (override === undefined) return undefined;
  const text = readTextOrNull(join(root, override));
  return text === null ? undefined : { file: override, text };
}

function maxChars(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100) throw new UsageError(`--max-chars must be a whole number >= 100, got \`${value}\``);
  return n;
}
