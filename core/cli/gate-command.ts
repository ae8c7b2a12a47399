import type { Command } from 'commander';
import { GitmlError, UsageError } from '../errors.js';
import type { CliContext } from './context.js';

/** `gitml gate`: checks the metric gates of ml.yaml; exit 1 when one fails, so CI can block a merge on it. */
export function registerGateCommand(program: Command, ctx: CliContext): void {
  program
    .command('gate')
    .description(
      'check the metric gates declared under `gates:` in ml.yaml (min, max, max_drop against the base); exits 1 when a gate fails',
    )
    .option('--base <rev>', 'the revision max_drop compares against (default: HEAD)')
    .option('--head <rev>', 'the revision whose metrics are checked (default: the workspace)')
    .option('--json', 'print {base, head, verdict, failed, gates: [{metric, value, base, direction, checks, verdict, message}]}')
    .option('--md', 'print a Markdown table (for a pull-request comment or job summary)')
    .action(async (o: { base?: string; head?: string; json?: boolean; md?: boolean }) => {
      if (o.json && o.md) throw new UsageError('choose one of --json and --md');
      const { gate } = await import('../commands/gate.js');
      const { formatGates } = await import('../../reporters/gates.js');
      const r = await gate({ cwd: ctx.cwd(), base: o.base, head: o.head });
      if (o.json) ctx.line(JSON.stringify(r, null, 2));
      else for (const l of formatGates(r, o.md ? 'md' : 'table')) ctx.line(l);
      // The result is already printed; the error only sets the exit status (its message repeats the verdict on stderr).
      if (r.verdict === 'fail')
        throw new GitmlError('E_GATES_FAILED', `${r.failed} of ${r.gates.length} gate${r.gates.length === 1 ? '' : 's'} failed`, {
          exitCode: 1,
          data: { failed: r.gates.filter((g) => g.verdict === 'fail').map((g) => g.metric) },
        });
    });
}
