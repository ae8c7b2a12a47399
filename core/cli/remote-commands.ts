import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { OutputRemoteStatus } from '../remote/transfer.js';
import type { CliContext } from './context.js';

/** More lines than this about objects missing everywhere are summed up in one. */
const MAX_MISSING_LINES = 20;

/** `gitml remote add|list|remove|modify`, `push`, `pull`, `fetch`. */
export function registerRemoteCommands(program: Command, ctx: CliContext): void {
  const remote = program.command('remote').description('data remotes that share the cache (a directory or s3://bucket/prefix)');
  remote
    .command('add')
    .description('add a remote: a directory (absolute, or relative to the workspace root) or s3://bucket/prefix')
    .argument('<name>', 'what to call it')
    .argument('<url>', 'a directory path or s3://bucket/prefix')
    .option('-d, --default', 'make it the default remote')
    .option('--local', 'write .ml/config.local.yaml (this machine only) instead of .ml/config.yaml')
    .action(async (name: string, url: string, o: { default?: boolean; local?: boolean }) => {
      const { remoteAdd } = await import('../commands/remote.js');
      const r = remoteAdd({ cwd: ctx.cwd(), name, url, makeDefault: o.default, local: o.local });
      for (const w of r.warnings) ctx.warn(`warning: ${w}`);
      if (ctx.quiet()) return;
      ctx.line(`added remote \`${name}\` (${url}) to ${r.file}${r.isDefault ? ' as the default' : ''}`);
      if (!o.local) ctx.line(commitHint(r.file));
    });

  remote
    .command('default')
    .description('set the remote push, pull and fetch use when none is named; without NAME, print it')
    .argument('[name]', 'an existing remote')
    .option('--local', 'write .ml/config.local.yaml (this machine only) instead of .ml/config.yaml')
    .action(async (name: string | undefined, o: { local?: boolean }) => {
      const { remoteDefault, remoteSetDefault } = await import('../commands/remote.js');
      if (name === undefined) {
        const current = remoteDefault({ cwd: ctx.cwd() });
        if (current !== undefined) ctx.line(current);
        else if (!ctx.quiet()) ctx.line('No default remote; set one with `gitml remote default NAME`.');
        return;
      }
      const r = remoteSetDefault({ cwd: ctx.cwd(), name, local: o.local });
      for (const w of r.warnings) ctx.warn(`warning: ${w}`);
      if (ctx.quiet()) return;
      ctx.line(`\`${name}\` is now the default remote in ${r.file}`);
      if (!o.local) ctx.line(commitHint(r.file));
    });

  remote
    .command('list')
    .description('list the remotes and their URLs')
    .option('--json', 'print [{"name", "url", "default"}]')
    .action(async (o: { json?: boolean }) => {
      const { remoteList } = await import('../commands/remote.js');
      const remotes = remoteList({ cwd: ctx.cwd() });
      if (o.json) return ctx.line(JSON.stringify(remotes, null, 2));
      const width = Math.max(0, ...remotes.map((r) => r.name.length));
      for (const r of remotes) ctx.line(`${r.name.padEnd(width)}  ${r.url}${r.default ? '  (default)' : ''}`);
      if (!remotes.length && !ctx.quiet()) ctx.line('No remotes; add one with `gitml remote add NAME URL`.');
    });

  remote
    .command('remove')
    .description('remove a remote from .ml/config.yaml and .ml/config.local.yaml')
    .argument('<name>')
    .action(async (name: string) => {
      const { remoteRemove } = await import('../commands/remote.js');
      const r = remoteRemove({ cwd: ctx.cwd(), name });
      if (!ctx.quiet()) ctx.line(`removed remote \`${name}\` from ${r.files.join(' and ')}`);
    });

  remote
    .command('modify')
    .description('set one setting of a remote: url, endpoint, region, access_key_id, secret_access_key, session_token, force_path_style')
    .argument('<name>')
    .argument('<key>')
    .argument('<value>')
    .option('--local', 'write .ml/config.local.yaml (this machine only; where credentials belong)')
    .action(async (name: string, key: string, value: string, o: { local?: boolean }) => {
      const { remoteModify } = await import('../commands/remote.js');
      const r = remoteModify({ cwd: ctx.cwd(), name, key, value, local: o.local });
      for (const w of r.warnings) ctx.warn(`warning: ${w}`);
      if (!ctx.quiet()) ctx.line(`set ${key} of remote \`${name}\` in ${r.file}`);
    });

  for (const verb of ['push', 'fetch', 'pull'] as const) {
    const what = {
      push: 'upload the objects ml.lock.json references that the remote lacks',
      fetch: 'download into the cache the objects ml.lock.json references that it lacks',
      pull: 'fetch, then restore the outputs into the workspace',
    }[verb];
    program
      .command(verb)
      .description(what)
      .argument('[stages...]', 'only the outputs of these stages (default: every stage in ml.lock.json)')
      .option('-r, --remote <name>', 'the remote (default: default_remote in .ml/config.yaml)')
      .addOption(new Option('-j, --jobs <n>', 'objects moved at once').argParser(positiveInt).default(8))
      .option('--run-cache', 'also move run-cache entries and their objects')
      .action(async (stages: string[], o: { remote?: string; jobs: number; runCache?: boolean }) => {
        const t = await import('../commands/transfer.js');
        const { formatBytes } = await import('../util/format.js');
        const { TransferIncompleteError } = await import('../remote/errors.js');
        const opts = { cwd: ctx.cwd(), remote: o.remote, targets: stages, jobs: o.jobs, runCache: o.runCache, progress: await ctx.progress() };
        await withAbort(ctx, async (signal) => {
          const say = (text: string) => !ctx.quiet() && ctx.line(text);
          if (verb === 'push') {
            const r = await t.push({ ...opts, signal });
            const missing = r.missingLocal;
            for (const m of missing.slice(0, MAX_MISSING_LINES))
              ctx.warn(`warning: ${m.path}: object ${m.hash} is neither in the local cache nor on the remote; not pushed`);
            if (missing.length > MAX_MISSING_LINES) ctx.warn(`warning: ... and ${missing.length - MAX_MISSING_LINES} more objects missing everywhere`);
            for (const f of r.failed) ctx.warn(`error: ${f.message}`);
            say(
              `pushed ${plural(r.pushed, 'object')} (${formatBytes(r.bytes)}), ${r.present} already on the remote` +
                (r.runs ? `; ${plural(r.runs.pushed, 'run-cache entry', 'run-cache entries')} pushed, ${r.runs.present} already there` : ''),
            );
            if (r.failed.length) throw new TransferIncompleteError('pushed', r.failed.length);
            return;
          }
          const r = verb === 'fetch' ? { fetch: await t.fetchFromRemote({ ...opts, signal }), checkout: [] } : await t.pull({ ...opts, signal });
          const f = r.fetch;
          for (const x of f.failed) ctx.warn(`error: ${x.message}`);
          say(
            `fetched ${plural(f.fetched, 'object')} (${formatBytes(f.bytes)}), ${f.present} already in the cache` +
              (f.runs ? `; ${plural(f.runs.fetched, 'run-cache entry', 'run-cache entries')} fetched, ${f.runs.present} already here` : ''),
          );
          let notRestored = 0;
          for (const e of r.checkout) {
            if (e.result === 'restored') say(`restored ${e.path}`);
            if (e.result === 'error') {
              notRestored++;
              const lost = f.failed.some((x) => x.path === e.path || x.path.startsWith(`${e.path}/`));
              ctx.warn(lost ? `error: ${e.path}: not restored, its objects could not be fetched` : `error: ${e.message}`);
            }
          }
          if (f.failed.length) throw new TransferIncompleteError('fetched', f.failed.length);
          if (notRestored) throw new TransferIncompleteError('restored', notRestored, 'output');
        });
      });
  }
}

/** Remotes live in a file git shares; a clone sees them only once it is committed. */
function commitHint(file: string): string {
  return `commit ${file} so that clones use it too: git add ${file} && git commit -m "Add data remote"`;
}

/** `gitml status --remote [NAME]`. */
export async function printRemoteStatus(ctx: CliContext, opts: { targets: string[]; remote?: string; json?: boolean }): Promise<void> {
  const { remoteStatus } = await import('../commands/transfer.js');
  const r = await remoteStatus({ cwd: ctx.cwd(), remote: opts.remote, targets: opts.targets });
  if (opts.json) {
    const outputs = Object.fromEntries(r.outputs.map(({ path, ...rest }) => [path, rest]));
    ctx.line(JSON.stringify({ remote: r.remote, outputs }, null, 2));
    return;
  }
  ctx.line(`Remote \`${r.remote.name}\` (${r.remote.url}):`);
  if (!r.outputs.length) ctx.line('  ml.lock.json names no cached outputs');
  for (const o of r.outputs) ctx.line(`  ${o.path}: ${describe(o)}`);
  if (ctx.quiet()) return;
  if (r.outputs.some((o) => o.missingRemote > 0 && o.missingLocal < o.objects)) ctx.line('Run `gitml push` to upload what the remote lacks.');
  if (r.outputs.some((o) => o.missingLocal > 0 && o.missingRemote < o.objects)) ctx.line('Run `gitml pull` to get what the cache lacks.');
}

function describe(o: OutputRemoteStatus): string {
  const part = (n: number, where: string) => (n === o.objects ? `not ${where}` : `${n} of ${o.objects} objects not ${where}`);
  const parts = [...(o.missingLocal ? [part(o.missingLocal, 'in the local cache')] : []), ...(o.missingRemote ? [part(o.missingRemote, 'on the remote')] : [])];
  return parts.length ? parts.join('; ') : 'in the local cache and on the remote';
}

/** Runs a transfer that Ctrl-C or SIGTERM stops cleanly: nothing new starts and nothing partial stays. */
async function withAbort(ctx: CliContext, fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal does not wait for transfers to wind down.
    if (abort.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    ctx.warn(`\nReceived ${signal}: stopping; objects that finished moving are kept.`);
    abort.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await fn(abort.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs must be a whole number >= 1, got \`${value}\``);
  return n;
}
