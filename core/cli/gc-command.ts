import type { Command } from 'commander';
import type { GcResult, GcScope } from '../commands/gc.js';
import { GitmlError, UsageError } from '../errors.js';
import { formatBytes } from '../util/format.js';
import type { CliContext } from './context.js';

/** What each narrower scope drops, in the words the help and the output use. */
const DROPS: Record<Exclude<GcScope, 'all'>, string> = {
  'no-experiments': 'objects that only experiments (refs/exps) reference',
  workspace: 'objects that only earlier commits, other branches, tags, stashes or experiments reference',
};

/** `gitml gc`: safe by default (keeps all history); narrower scopes are explicit and need --force to drop history. */
export function registerGcCommand(program: Command, ctx: CliContext): void {
  program
    .command('gc')
    .description(
      'remove cache objects nothing references; by default keeps what the workspace and every commit of every branch, tag, stash and experiment reference',
    )
    .option('--dry', 'list every object that would go (output path, stage, hash, size); remove nothing')
    .option('--no-experiments', `also drop ${DROPS['no-experiments']} (needs --force)`)
    .option('-w, --workspace', `keep only what the workspace ml.lock.json references: drops ${DROPS.workspace} (needs --force)`)
    .option('-f, --force', 'with --workspace or --no-experiments: really delete objects that history still references')
    // Keeping every commit's objects used to take this flag; it is the default now, so old scripts keep working.
    .option('--all-commits', 'accepted for compatibility: keeping every commit is the default')
    .action(async (o: { dry?: boolean; experiments: boolean; workspace?: boolean; force?: boolean; allCommits?: boolean }) => {
      if (o.allCommits && (o.workspace || !o.experiments))
        throw new UsageError('--all-commits keeps every commit and experiment; it cannot go with --workspace or --no-experiments');
      if (o.workspace && !o.experiments) throw new UsageError('--workspace already drops experiments; leave out --no-experiments');
      const scope: GcScope = o.workspace ? 'workspace' : o.experiments ? 'all' : 'no-experiments';
      const { gc } = await import('../commands/gc.js');
      const r = await gc({ cwd: ctx.cwd(), scope, dry: o.dry, force: o.force, progress: await ctx.progress() });
      const quiet = ctx.quiet();
      for (const { commit, reason } of r.unreadable ?? [])
        ctx.warn(`warning: ml.lock.json at ${commit} could not be read (${reason}); every object hash it mentions is kept`);
      for (const h of r.damagedManifests)
        ctx.warn(`warning: directory manifest ${h} is damaged; every object hash it mentions is kept (\`gitml cache verify\` checks the cache)`);
      if (!quiet) ctx.line(describeScope(r));
      if (o.dry || !r.applied) for (const l of listDropped(r)) ctx.line(l);
      const size = formatBytes(r.droppedBytes);
      const n = r.dropped.length;
      ctx.line(`${r.applied ? 'Removed' : 'Would remove'} ${n} object${n === 1 ? '' : 's'} (${size}); ${r.kept} kept.`);
      if (!quiet && r.runsRemoved)
        ctx.line(
          `${r.applied ? 'Dropped' : 'Would drop'} ${r.runsRemoved} run-cache entr${r.runsRemoved === 1 ? 'y' : 'ies'} whose objects go.`,
        );
      if (!quiet && r.partialsRemoved)
        ctx.line(`Deleted ${r.partialsRemoved} temporary file${r.partialsRemoved === 1 ? '' : 's'} left by interrupted commands.`);
      if (!o.dry && !r.applied) {
        throw new GitmlError(
          'E_GC_NEEDS_FORCE',
          `${r.historyOnly} of these object${r.historyOnly === 1 ? ' is' : 's are'} still referenced by ${scope === 'workspace' ? 'earlier commits, branches, tags, stashes or experiments' : 'experiments'}, so nothing was removed; rerun with --force to delete them`,
          { exitCode: 2, data: { historyOnly: r.historyOnly } },
        );
      }
    });
}

function describeScope(r: GcResult): string {
  if (r.scope !== 'all')
    return `Keeping only what ${r.scope === 'workspace' ? 'the workspace ml.lock.json references' : 'the workspace and every branch, tag and stash reference'}; dropping ${DROPS[r.scope]}.`;
  if (r.commits === undefined) return 'Not in a git repository: keeping what the workspace ml.lock.json references.';
  const exps = r.experiments ?? 0;
  return `Keeping what the workspace and ${r.commits} commit${r.commits === 1 ? '' : 's'} (every branch, tag, stash and ${exps} experiment${exps === 1 ? '' : 's'}) reference.`;
}

/** One line per object that goes: the output it held (where a lockfile or run-cache entry names it), hash, size. */
function listDropped(r: GcResult): string[] {
  return r.dropped.map((o) => {
    const what = o.path ? `${o.path}${o.stage ? ` (stage ${o.stage})` : ''}` : '(no lockfile names it)';
    return `  ${what}  ${o.hash}  ${formatBytes(o.size)}${o.history ? '  [still in history]' : ''}`;
  });
}
