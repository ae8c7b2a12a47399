import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { PlotsResult } from '../commands/plots.js';
import { GitmlError } from '../errors.js';
import type { CliContext } from './context.js';

/** Where `gitml plots` writes its page unless told otherwise, relative to the workspace root. */
export const DEFAULT_PLOTS_HTML = '.ml/plots/index.html';

interface OutputFlags {
  json?: boolean;
  out?: string;
}

/** `gitml plots show|diff`. Vega and Vega-Lite load inside the actions only. */
export function registerPlotsCommands(program: Command, ctx: CliContext): void {
  const plots = program
    .command('plots')
    .description('draw the plots files stages declare (JSON, YAML, CSV, TSV) as Vega-Lite charts')
    .addHelpText(
      'after',
      `\nCharts go to one self-contained HTML file (default ${DEFAULT_PLOTS_HTML}, rendered to SVG, no scripts), or\nas Vega-Lite specs with --json. Templates (\`template:\` in ml.yaml): line, scatter, bar, confusion, roc,\nprecision_recall.`,
    );

  plots
    .command('show')
    .description('draw the plots files in the workspace')
    .argument('[paths...]', 'only these plots files, or the plots under these directories (default: every plots file in ml.yaml)')
    .option('--json', 'print {path: Vega-Lite spec} with the data inlined, instead of writing HTML')
    .option('-o, --out <file>', `write the HTML page here (default: ${DEFAULT_PLOTS_HTML} in the workspace)`)
    .action(async (paths: string[], o: OutputFlags) => {
      const { plotsShow } = await import('../commands/plots.js');
      await report(ctx, await plotsShow({ cwd: ctx.cwd(), targets: paths }), o);
    });

  plots
    .command('diff')
    .description('draw each plots file with one series per revision (default: HEAD and the workspace)')
    .argument('[revisions...]', 'branches, tags, commits, HEAD~N or `workspace`, oldest first; one revision is compared with the workspace')
    .option('-t, --target <path>', 'only this plots file, or the plots under this directory; repeat for more', collect)
    .option('--json', 'print {path: Vega-Lite spec} with the data inlined, instead of writing HTML')
    .option('-o, --out <file>', `write the HTML page here (default: ${DEFAULT_PLOTS_HTML} in the workspace)`)
    .addHelpText(
      'after',
      [
        '\nExamples:',
        '  gitml plots diff                             HEAD against the workspace',
        '  gitml plots diff main                        main against the workspace',
        '  gitml plots diff main HEAD~1 workspace       three series in each chart',
        '  gitml plots diff v1 -t metrics/roc.json      only this file',
      ].join('\n'),
    )
    .action(async (revisions: string[], o: OutputFlags & { target?: string[] }) => {
      const { plotsDiff } = await import('../commands/plots.js');
      await report(ctx, await plotsDiff({ cwd: ctx.cwd(), revisions, targets: o.target }), o);
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function report(ctx: CliContext, r: PlotsResult, o: OutputFlags): Promise<void> {
  for (const chart of r.charts) for (const note of chart.notes) ctx.warn(`note: ${chart.path}: ${note}`);
  for (const [path, message] of Object.entries(r.errors)) ctx.warn(`warning: ${path}: ${message}`);
  if (!r.selected) {
    if (!ctx.quiet()) ctx.warn('No plots declared in ml.yaml; declare files under `plots:` of a stage.');
    if (o.json) ctx.line('{}');
    return;
  }
  if (!r.charts.length)
    throw new GitmlError('E_NO_PLOT_DATA', `nothing to draw: ${Object.entries(r.errors).map(([p, m]) => `${p}: ${m}`).join('; ')}`);
  if (o.json) {
    ctx.line(JSON.stringify(Object.fromEntries(r.charts.map((c) => [c.path, c.spec])), null, 2));
    return;
  }
  const { renderPlotsHtml } = await import('../../reporters/plots-html.js');
  const names = r.revisions.map((rev) => (rev.oid ? `${rev.name} (${rev.short})` : rev.name));
  const html = await renderPlotsHtml(r.charts, {
    title: r.revisions.length === 1 ? `Plots: ${names[0]}` : `Plots: ${r.revisions.map((rev) => rev.name).join(' vs ')}`,
    subtitle: `${r.charts.length} chart${r.charts.length === 1 ? '' : 's'} from ${names.join(', ')}`,
  });
  const cwd = ctx.cwd();
  const file = o.out ? resolve(cwd, o.out) : join(r.root, DEFAULT_PLOTS_HTML);
  mkdirSync(dirname(file), { recursive: true });
  // The default page is a local rendering, not something to commit; .ml/.gitignore predates it.
  if (!o.out && !existsSync(join(dirname(file), '.gitignore'))) writeFileSync(join(dirname(file), '.gitignore'), '*\n');
  writeFileSync(file, html);
  const shown = relative(resolve(cwd), file);
  ctx.line(shown.startsWith('..') || isAbsolute(shown) ? file : shown);
}
