import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

/** `gitml plan` and `gitml ci init`: what CI must run for a pull request, and the workflow that asks it. */
export function registerCiCommands(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description(
      'say which stages CI must run and why (the rest are up to date or restorable from the run-cache), grouped so groups can run in parallel',
    )
    .option('--base <rev>', "also say what changed against this revision's ml.lock.json (the pull request's base)")
    .option('--json', 'print {base, head, has_work, stages: [{name, action, reasons, key}], groups: [{name, stages, runs_on, resources}]}')
    .option('--matrix', 'print only the GitHub Actions matrix, {"include": [{name, stages, runs_on}]}, on one line')
    .option('-r, --remote <name>', 'the remote whose objects and run-cache entries count (default: the default remote)')
    .option('--no-remote', 'look only in the local cache')
    .action(async (o: { base?: string; json?: boolean; matrix?: boolean; remote?: string | false }) => {
      if (o.json && o.matrix) throw new UsageError('choose one of --json and --matrix');
      const { plan } = await import('../commands/plan.js');
      const r = await plan({
        cwd: ctx.cwd(),
        base: o.base,
        ...(o.remote === false ? { noRemote: true } : o.remote !== undefined ? { remote: o.remote } : {}),
      });
      if (o.matrix) {
        ctx.line(JSON.stringify({ include: r.groups.map((g) => ({ name: g.name, stages: g.stages, runs_on: g.runs_on })) }));
      } else if (o.json) {
        const { base, head, has_work, stages, groups } = r;
        ctx.line(JSON.stringify({ base, head, has_work, stages, groups }, null, 2));
      } else {
        const { formatCiPlan } = await import('../../reporters/ci-plan.js');
        for (const l of formatCiPlan(r)) ctx.line(l);
      }
    });

  program
    .command('ci')
    .description('set up continuous integration')
    .command('init')
    .description('write .github/workflows/gitml.yml (plan, run, report on every pull request) and default CI runners in .ml/config.yaml')
    .option('--force', 'overwrite an existing .github/workflows/gitml.yml')
    .action(async (o: { force?: boolean }) => {
      const { ciInit } = await import('../commands/ci-init.js');
      const r = ciInit({ cwd: ctx.cwd(), force: o.force === true });
      for (const f of r.written) ctx.line(`${r.replaced && f.startsWith('.github/') ? 'Replaced' : 'Wrote'} ${f}`);
      ctx.line('');
      ctx.line('Next: commit them (git add .github/workflows/gitml.yml .ml/config.yaml && git commit).');
      if (!r.hasRemote)
        ctx.line('CI jobs exchange results through a remote\'s run-cache, and none is set: add one with `gitml remote add NAME URL` and commit .ml/config.yaml.');
      ctx.line('Give the remote\'s credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...) as repository secrets; the workflow passes them on.');
    });
}
