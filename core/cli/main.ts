import { Command, CommanderError, Option } from 'commander';
import { formatKeyValues, formatPlan, formatReproSummary, formatStatus } from '../../reporters/console.js';
import { DAG_FORMATS, renderDag, type DagFormat } from '../../reporters/dag.js';
import { GitmlError, UsageError } from '../errors.js';
import { blake3Note } from '../hash/blake3.js';
import { ProcessGroup } from '../run/processes.js';
import { jsonReplacer } from '../util/canonical.js';
import type { ValuesDiffResult } from '../commands/diff.js';
import type { ReproRevResult } from '../commands/repro-rev.js';
import type { ValueDiff } from '../diff/diff.js';
import type { Revision } from '../git/revision.js';
import type { CliContext } from './context.js';
import { registerDataCommands } from './data-commands.js';
import { registerFeedbackCommand } from './feedback-command.js';
import { registerGcCommand } from './gc-command.js';
import { registerCiCommands } from './ci-commands.js';
import { registerGateCommand } from './gate-command.js';
import { registerPredictCommand } from './predict-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerReportCommand } from './report-command.js';
import { registerPlotsCommands } from './plots-commands.js';
import { registerRemoteCommands, printRemoteStatus } from './remote-commands.js';
import { packageVersion } from './version.js';

/** Where the CLI writes; the real process streams by default, buffers in tests. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/**
 * Runs the CLI with `argv` (without the node and script entries) and resolves to the exit code:
 * 0 success, 1 a stage failed, 2 invalid input or usage, 130/143 interrupted.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let verbose = false;
  const line = (text: string) => io.out(`${text}\n`);
  const warn = (text: string) => io.err(`${text}\n`);
  const cwd = () => program.opts<{ cd?: string }>().cd ?? process.cwd();
  const quiet = () => program.opts<{ quiet?: boolean }>().quiet === true;
  const progress = async () => (quiet() ? undefined : (await import('./progress.js')).makeProgress(process.stderr, warn));
  const ctx: CliContext = { cwd, quiet, out: io.out, line, warn, progress };
  const printErrors = (errors: Record<string, Record<string, string>>) => {
    for (const [rev, files] of Object.entries(errors))
      for (const [file, message] of Object.entries(files)) warn(`${file} (${rev}): ${message}`);
  };
  const printReproRev = async (r: ReproRevResult) => {
    const { formatValueDiff, renderTable } = await import('../../reporters/diff.js');
    const verdict = (o: ReproRevResult['outputs'][number]) =>
      o.identical ? 'identical' : !o.rebuilt ? 'not produced' : o.nondeterministic ? 'differs (nondeterministic)' : 'DIFFERS';
    line('');
    for (const l of renderTable(
      ['Output', 'Stage', 'Result'],
      r.outputs.map((o) => [o.path, o.stage, verdict(o)]),
      'table',
    ))
      line(l);
    if (r.metrics.length) {
      line('');
      for (const l of formatValueDiff(r.metrics, r.rev.name, 'rebuilt', 'table')) line(l);
    }
    if (r.kept) warn(`The scratch workspace is kept at ${r.kept}.`);
    if (r.mismatches.length)
      throw new GitmlError(
        'E_NOT_REPRODUCED',
        `${r.mismatches.length} output${r.mismatches.length === 1 ? '' : 's'} of ${r.rev.name} (${r.rev.short}) did not rebuild bit-identically: ${r.mismatches.join(', ')}. Mark an output \`nondeterministic: true\` in ml.yaml if that is expected.`,
        { exitCode: 1, data: { mismatches: r.mismatches } },
      );
    line(
      `\n${r.rev.name} (${r.rev.short}) reproduced: every output is bit-identical${r.outputs.some((o) => o.nondeterministic && !o.identical) ? ' or declared nondeterministic' : ''}.`,
    );
  };
  const printFullDiff = async (a: string, b: string, o: DiffFlags) => {
    const { fullDiff } = await import('../commands/diff.js');
    const { formatOutputDiff, formatStageDiff, formatValueDiff } = await import('../../reporters/diff.js');
    const r = await fullDiff({ cwd: cwd(), a, b, all: o.all });
    if (o.json) {
      line(
        JSON.stringify(
          {
            a: revJson(r.a),
            b: revJson(r.b),
            params: nestRows(r.params),
            metrics: nestRows(r.metrics),
            stages: r.stages,
            outputs: r.outputs,
            errors: r.errors,
          },
          jsonReplacer,
          2,
        ),
      );
      return;
    }
    const format = o.md ? 'md' : 'table';
    const section = (title: string, count: number, rows: string[], empty: string) => {
      line(o.md ? `### ${title}\n` : `${title}:`);
      if (count) for (const l of rows) line(o.md ? l : `  ${l}`);
      else line(o.md ? `_${empty}_` : `  ${empty}`);
      line('');
    };
    line(o.md ? `## ${r.a.name} → ${r.b.name}\n` : `Comparing ${revLabel(r.a)} with ${revLabel(r.b)}\n`);
    section('Params', r.params.length, formatValueDiff(r.params, r.a.name, r.b.name, format), 'no parameter changed');
    section('Metrics', r.metrics.length, formatValueDiff(r.metrics, r.a.name, r.b.name, format), 'no metric changed');
    section('Stages', r.stages.length, formatStageDiff(r.stages, format), 'no stage changed');
    section('Outputs', r.outputs.length, formatOutputDiff(r.outputs, format), 'no output changed');
    printErrors(r.errors);
  };
  const printValueDiff = async (r: ValuesDiffResult, o: DiffFlags, what: string) => {
    if (o.json) {
      line(JSON.stringify({ a: revJson(r.a), b: revJson(r.b), diff: nestRows(r.rows), errors: r.errors }, jsonReplacer, 2));
      return;
    }
    const { formatValueDiff } = await import('../../reporters/diff.js');
    if (r.rows.length) for (const l of formatValueDiff(r.rows, r.a.name, r.b.name, o.md ? 'md' : 'table')) line(l);
    else if (!quiet()) line(`No ${what} changed between ${revLabel(r.a)} and ${revLabel(r.b)}.`);
    printErrors(r.errors);
  };

  const program = new Command('gitml')
    .description('Git-native, declarative ML pipelines: data, params and models content-hashed in ml.lock.json.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-C, --cd <dir>', 'run as if started in <dir>')
    .option('-q, --quiet', 'print only errors and requested output')
    .option('-v, --verbose', 'print stack traces with errors')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program.hook('preAction', () => {
    verbose = program.opts<{ verbose?: boolean }>().verbose === true;
  });

  program
    .command('init')
    .description('create .ml/ and a starter ml.yaml here, and register the ml.lock.json merge driver with git')
    .action(async () => {
      const { init } = await import('../commands/init.js');
      const r = await init({ cwd: cwd() });
      if (quiet()) return;
      if (!r.created.length) line(`gitml is already set up in ${r.root}`);
      else for (const f of r.created) line(`created ${f}`);
      if (!r.git) warn('note: this directory is not in a git repository; run `git init` to version the pipeline');
    });

  program
    .command('step')
    .description('run a built-in step: what `uses: gitml/data/<step>` and `uses: gitml/model/<step>` stages run')
    .argument('<name>', 'ingest, profile, validate, clean, features, split, synth; model/train, model/evaluate, model/accept, model/tune')
    .option('--with <json>', "the step's settings as JSON (default: $GITML_STEP_WITH, set by the stage runner)")
    .action(async (name: string, o: { with?: string }) => {
      const { runStep } = await import('../steps/run.js');
      await runStep(name, o.with ?? process.env.GITML_STEP_WITH ?? '{}', { cwd: cwd(), log: quiet() ? () => {} : line });
    });

  program
    .command('merge-lock')
    .description('git merge driver for ml.lock.json, registered by `gitml init`: merges stage by stage')
    .argument('<base>', 'the common ancestor version (%O)')
    .argument('<ours>', 'our version, where the result is written (%A)')
    .argument('<theirs>', 'their version (%B)')
    .argument('[path]', 'the path in the repository (%P)')
    .action(async (base: string, ours: string, theirs: string, path: string | undefined) => {
      const { mergeLock } = await import('../commands/merge-lock.js');
      mergeLock({ base, ours, theirs, path });
    });

  program
    .command('status')
    .description('say which stages are out of date, and every reason why')
    .argument('[stages...]', 'only these stages')
    .option('--json', 'print {"stages": {name: {"changed", "reasons", "missing"?: [{"path", "restore"}]}}}')
    .option('-r, --remote [name]', 'instead: which objects the workspace lockfile needs are missing locally or on the remote')
    .action(async (stages: string[], o: { json?: boolean; remote?: string | true }) => {
      if (o.remote !== undefined)
        return printRemoteStatus(ctx, { targets: stages, remote: o.remote === true ? undefined : o.remote, json: o.json });
      const { status } = await import('../commands/status.js');
      const r = await status({ cwd: cwd(), targets: stages, progress: await progress() });
      if (o.json) {
        const plain = Object.fromEntries(Object.entries(r.stages).map(([n, s]) => [n, { changed: s.changed, reasons: s.reasons, ...(s.missing ? { missing: s.missing } : {}) }]));
        line(JSON.stringify({ stages: plain }, null, 2));
      } else for (const l of formatStatus(r.stages)) line(l);
    });

  program
    .command('repro')
    .description('run changed stages and what depends on them, in parallel where the graph allows')
    .argument('[stages...]', 'these stages and their upstream (default: the whole pipeline)')
    .option('-f, --force', 'run the selected stages even when nothing changed')
    .option('--dry', 'print what would run and why; run nothing')
    .option('-k, --keep-going', 'after a failure, keep running stages that do not depend on it')
    .option('--downstream', 'run the named stages and everything downstream of them')
    .option('--no-run-cache', 'run changed stages even when the run-cache holds their result')
    .addOption(new Option('-j, --jobs <n>', 'stages to run at once (default: CPU cores)').argParser(positiveInt))
    .option('--rev <rev>', 'rebuild that commit from its inputs in a scratch workspace and check its outputs are bit-identical')
    .option('--keep', 'with --rev: keep the scratch workspace (.ml/tmp/repro-SHA) afterwards')
    .action(
      async (
        stages: string[],
        o: {
          force?: boolean;
          dry?: boolean;
          keepGoing?: boolean;
          downstream?: boolean;
          jobs?: number;
          runCache: boolean;
          rev?: string;
          keep?: boolean;
        },
      ) => {
        if (o.downstream && !stages.length) throw new UsageError('--downstream needs at least one stage name');
        if (o.rev !== undefined && (stages.length || o.dry || o.downstream || o.keepGoing))
          throw new UsageError('--rev rebuilds the whole pipeline of that commit; it takes no stage names, --dry, -k or --downstream');
        if (o.rev === undefined && o.keep) throw new UsageError('--keep goes with --rev');
        const { repro } = await import('../commands/repro.js');
        const processes = new ProcessGroup();
        const onSignal = (signal: NodeJS.Signals) => {
          // A second Ctrl-C does not wait for the grace period.
          if (processes.stopping) processes.stopAll('SIGKILL', 0);
          else {
            warn(`\nReceived ${signal}: stopping running stages; finished stages stay recorded.`);
            processes.stopAll(signal);
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const print = quiet() ? () => {} : line;
          if (o.rev !== undefined) {
            const { reproRev } = await import('../commands/repro-rev.js');
            const r = await reproRev({ cwd: cwd(), rev: o.rev, jobs: o.jobs, keep: o.keep, processes, print, progress: await progress() });
            await printReproRev(r);
            return;
          }
          const r = await repro({
            cwd: cwd(),
            targets: stages,
            force: o.force,
            dry: o.dry,
            keepGoing: o.keepGoing,
            downstream: o.downstream,
            jobs: o.jobs,
            runCache: o.runCache,
            progress: await progress(),
            processes,
            print,
            // Printed also when a stage fails or the run is interrupted, before the error.
            onSummary: (summary) => {
              if (!quiet()) for (const l of formatReproSummary(summary)) line(l);
            },
          });
          if (o.dry) for (const l of formatPlan(r.plan)) line(l);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    );

  program
    .command('dag')
    .description('print the stage graph')
    .argument('[stages...]', 'only these stages and their upstream')
    .addOption(new Option('--format <format>', 'output format').choices(DAG_FORMATS).default('ascii'))
    .option('--json', 'the same as --format json, as every command spells it')
    .action(async (stages: string[], o: { format: DagFormat; json?: boolean }, cmd: Command) => {
      if (o.json && cmd.getOptionValueSource('format') === 'cli' && o.format !== 'json')
        throw new UsageError(`--json and --format ${o.format} ask for different outputs; give one`);
      const { dag } = await import('../commands/dag.js');
      io.out(renderDag(await dag({ cwd: cwd(), targets: stages }), o.json ? 'json' : o.format));
    });

  const params = program.command('params').description('parameters the pipeline reads');
  params
    .command('show')
    .description('print every parameter in params.yaml and the params files stages name')
    .option('--json', 'print {file: {key: value}}')
    .action(async (o: { json?: boolean }) => {
      const { paramsShow } = await import('../commands/params-show.js');
      const r = await paramsShow({ cwd: cwd() });
      if (o.json) line(JSON.stringify(r, jsonReplacer, 2));
      else for (const l of formatKeyValues(r)) line(l);
    });

  const metrics = program.command('metrics').description('metrics files declared by stages');
  metrics
    .command('show')
    .description('print the metrics declared in ml.yaml, flattened to dotted keys')
    .option('--json', 'print {"metrics": {file: {key: value}}, "errors": {file: message}}')
    .action(async (o: { json?: boolean }) => {
      const { metricsShow } = await import('../commands/metrics-show.js');
      const r = await metricsShow({ cwd: cwd() });
      // JSON carries the values as they are; precision is for reading.
      if (o.json) line(JSON.stringify({ metrics: r.metrics, errors: r.errors }, null, 2));
      else {
        for (const l of formatKeyValues(r.metrics, r.precision)) line(l);
        if (!Object.keys(r.metrics).length && !Object.keys(r.errors).length) line('No metrics declared in ml.yaml.');
      }
      for (const [file, message] of Object.entries(r.errors)) warn(`${file}: ${message}`);
    });

  diffCommand(
    metrics,
    'diff',
    'compare metrics between two revisions (default: HEAD and the workspace)',
    'metrics',
    '{a, b, diff: {file: {key: {old, new, change, relative, verdict}}}, errors}',
  ).action(async (a: string, b: string, o: DiffFlags) => {
    const { metricsDiff } = await import('../commands/diff.js');
    await printValueDiff(await metricsDiff({ cwd: cwd(), a, b, all: o.all }), o, 'metrics');
  });

  diffCommand(
    params,
    'diff',
    'compare parameters between two revisions (default: HEAD and the workspace)',
    'parameters',
    '{a, b, diff: {file: {key: {old, new, change, relative}}}}',
  ).action(async (a: string, b: string, o: DiffFlags) => {
    const { paramsDiff } = await import('../commands/diff.js');
    await printValueDiff(await paramsDiff({ cwd: cwd(), a, b, all: o.all }), o, 'params');
  });

  diffCommand(
    program,
    'diff',
    'compare two revisions: params, metrics, stages and data or model outputs (default: HEAD and the workspace)',
    'params and metrics',
    '{a, b, params, metrics, stages, outputs, errors}',
  ).action(async (a: string, b: string, o: DiffFlags) => printFullDiff(a, b, o));

  const exp = program.command('exp').description('experiments: pipeline runs with overridden params, kept as git refs under refs/exps/');
  exp
    .command('run')
    .description('run the pipeline in a scratch workspace with overridden params and commit the result under refs/exps/NAME')
    .option('-S, --set <param>', '[file:]key=value[,value...]: one experiment per combination of values (repeatable)', collect, [])
    .option('-n, --name <name>', 'the experiment name (a sweep gets NAME-1, NAME-2, ...)')
    .addOption(new Option('-j, --jobs <n>', 'experiments to run at once').argParser(positiveInt))
    .action(async (o: { set: string[]; name?: string; jobs?: number }) => {
      const { expRun } = await import('../commands/exp.js');
      const processes = new ProcessGroup();
      const onSignal = (signal: NodeJS.Signals) => {
        if (processes.stopping) processes.stopAll('SIGKILL', 0);
        else {
          warn(`\nReceived ${signal}: stopping experiments; finished ones stay recorded.`);
          processes.stopAll(signal);
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const r = await expRun({ cwd: cwd(), set: o.set, name: o.name, jobs: o.jobs, processes, print: quiet() ? () => {} : line });
        const failed = r.experiments.filter((e) => e.exitCode !== 0);
        if (failed.length)
          throw new GitmlError(
            'E_EXPERIMENT_FAILED',
            `${failed.map((e) => e.name).join(', ')} failed; see .ml/logs/exps/<name>.log and \`gitml exp show\``,
            {
              exitCode: 1,
            },
          );
        if (!quiet())
          line(
            `\n${r.experiments.length} experiment${r.experiments.length === 1 ? '' : 's'} recorded; compare them with \`gitml exp show\`.`,
          );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  exp
    .command('show')
    .description('list the baseline (HEAD) and every experiment with their metrics and the params that differ')
    .option('--sort-by <metric>', 'order by this metric (KEY or FILE:KEY), best first (default: the first metric with a `better:` direction)')
    .option('--only <columns>', 'show only these metrics and params (comma-separated KEY or FILE:KEY), in this order')
    .option('--drop <columns>', 'leave out these metrics and params (comma-separated)')
    .option('--json', 'print every param and metric of every experiment as JSON')
    .option('--md', 'print a GitHub markdown table')
    .option('--csv', 'print CSV')
    .action(async (o: { sortBy?: string; only?: string; drop?: string; json?: boolean; md?: boolean; csv?: boolean }) => {
      const { expShow } = await import('../commands/exp.js');
      const { defaultSortMetric, formatExperiments, sortRows } = await import('../../reporters/exp.js');
      let rows = await expShow({ cwd: cwd() });
      // JSON keeps the order experiments were made in unless asked; tables read best first.
      const sortBy = o.sortBy ?? (o.json ? undefined : defaultSortMetric(rows));
      if (sortBy) rows = sortRows(rows, sortBy);
      const list = (v?: string) => v?.split(',').map((x) => x.trim()).filter(Boolean);
      // A terminal's width, else $COLUMNS; piped output without it keeps every column.
      const width = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || undefined;
      io.out(formatExperiments(rows, o.json ? 'json' : o.md ? 'md' : o.csv ? 'csv' : 'table', { only: list(o.only), drop: list(o.drop), width, sortedBy: sortBy }));
    });
  exp
    .command('diff')
    .description('compare two experiments (or any revisions): params, metrics, stages and outputs')
    .argument('<a>', 'an experiment name or revision')
    .argument('<b>', 'an experiment name or revision')
    .option('--all', 'also list params and metrics that did not change')
    .option('--json', 'print {a, b, params, metrics, stages, outputs, errors}')
    .option('--md', 'print GitHub markdown')
    .action(async (a: string, b: string, o: DiffFlags) => printFullDiff(a, b, o));
  exp
    .command('apply')
    .description("write an experiment's params, lockfile and outputs into the workspace")
    .argument('<name>', 'the experiment')
    .option('-f, --force', 'overwrite files with uncommitted changes')
    .action(async (name: string, o: { force?: boolean }) => {
      const { expApply } = await import('../commands/exp.js');
      const r = await expApply({ cwd: cwd(), name, force: o.force });
      if (!quiet()) {
        for (const f of r.files) line(`applied ${f}`);
        for (const f of r.restored) line(`restored ${f}`);
        line(`Applied ${name}; commit it with \`git commit -am "..."\` or start a branch with \`gitml exp branch ${name} BRANCH\`.`);
      }
    });
  exp
    .command('branch')
    .description('create a git branch at an experiment, to push it and open a pull request')
    .argument('<name>', 'the experiment')
    .argument('<branch>', 'the new branch')
    .action(async (name: string, branch: string) => {
      const { expBranch } = await import('../commands/exp.js');
      const r = await expBranch({ cwd: cwd(), name, branch });
      if (!quiet())
        line(`Branch ${branch} now points at ${name} (${r.oid.slice(0, 7)}); \`git push -u origin ${branch}\` to open a pull request.`);
    });
  exp
    .command('remove')
    .description('delete experiments')
    .argument('[names...]', 'the experiments')
    .option('--all', 'every experiment')
    .action(async (names: string[], o: { all?: boolean }) => {
      const { expRemove } = await import('../commands/exp.js');
      const removed = await expRemove({ cwd: cwd(), names, all: o.all });
      if (!quiet()) line(removed.length ? `Removed ${removed.join(', ')}.` : 'There are no experiments.');
    });

  program
    .command('checkout')
    .description("restore cached outputs so the workspace matches ml.lock.json (or another revision's, with --rev)")
    .argument('[paths...]', 'only these outputs (or the outputs under these directories)')
    .option('--rev <rev>', 'the outputs recorded at this revision (branch, tag, commit, HEAD~N) instead')
    .action(async (paths: string[], o: { rev?: string }) => {
      const { checkout } = await import('../commands/checkout.js');
      const entries = await checkout({ cwd: cwd(), paths, rev: o.rev, progress: await progress() });
      let failed = 0;
      for (const e of entries) {
        if (e.result === 'restored' && !quiet()) line(`restored ${e.path}`);
        if (e.result === 'error') {
          failed++;
          warn(`error: ${e.message}`);
        }
      }
      const restored = entries.filter((e) => e.result === 'restored').length;
      const matched = entries.filter((e) => e.result === 'unchanged').length;
      if (!quiet() && !restored && !failed) line(`Every output already matches ${o.rev ? `ml.lock.json at ${o.rev}` : 'ml.lock.json'}.`);
      else if (!quiet()) line(`${restored} restored, ${matched} already matched${failed ? `, ${failed} could not be restored` : ''}.`);
      if (failed)
        throw new GitmlError('E_CHECKOUT_INCOMPLETE', `${failed} output${failed === 1 ? '' : 's'} could not be restored`, { exitCode: 1 });
    });

  registerGcCommand(program, ctx);
  registerGateCommand(program, ctx);
  registerReportCommand(program, ctx);
  registerPredictCommand(program, ctx);
  registerServeCommand(program, ctx);
  registerFeedbackCommand(program, ctx);
  registerCiCommands(program, ctx);

  const cache = program.command('cache').description('the object cache in .ml/cache');
  cache
    .command('verify')
    .description('re-hash every cache object; move corrupt ones to .ml/cache/quarantine')
    .action(async () => {
      const { cacheVerify } = await import('../commands/cache-verify.js');
      const r = await cacheVerify({ cwd: cwd(), progress: await progress() });
      for (const c of r.corrupt) warn(`corrupt: ${c.hash} (moved to ${c.movedTo})`);
      if (r.corrupt.length) {
        throw new GitmlError(
          'E_CACHE_CORRUPT',
          `${r.corrupt.length} of ${r.checked} objects are corrupt; rerun the stages that produced them (\`gitml repro -f\`)`,
          {
            exitCode: 1,
          },
        );
      }
      line(`All ${r.checked} objects match their hashes.`);
    });

  registerRemoteCommands(program, ctx);
  registerPlotsCommands(program, ctx);
  registerDataCommands(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    const note = blake3Note();
    if (note && !quiet()) warn(`note: ${note}`);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    if (err instanceof GitmlError) {
      // Problem lists are already `file:line:col: ...` lines; other errors get one `error:` line.
      warn('problems' in err ? err.message : `error: ${err.message}`);
      if (verbose && err.stack) warn(err.stack);
      return err.exitCode;
    }
    warn(`internal error: ${(err as Error).message ?? String(err)}${verbose ? '' : ' (rerun with --verbose for the stack trace)'}`);
    if (verbose && err instanceof Error && err.stack) warn(err.stack);
    return 2;
  }
}

/** A diff command: the `[A] [B]` revisions and the output flags every diff takes. */
function diffCommand(parent: Command, name: string, description: string, what: string, json: string): Command {
  return parent
    .command(name)
    .description(description)
    .argument('[a]', 'old revision: a branch, tag, commit, HEAD~N, an experiment or `workspace`', 'HEAD')
    .argument('[b]', 'new revision', 'workspace')
    .option('--all', `also list ${what} that did not change`)
    .option('--json', `print ${json}`)
    .option('--md', 'print GitHub markdown');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs must be a whole number >= 1, got \`${value}\``);
  return n;
}

interface DiffFlags {
  all?: boolean;
  json?: boolean;
  md?: boolean;
}

function revLabel(rev: Revision): string {
  return rev.oid ? `${rev.name} (${rev.short})` : rev.name;
}

function revJson(rev: Revision): { name: string; commit?: string } {
  return { name: rev.name, ...(rev.oid ? { commit: rev.oid } : {}) };
}

/** Diff rows as {file: {key: {old, new, ...}}}, a side that lacks the key leaving `old` or `new` out. */
function nestRows(rows: ValueDiff[]): Record<string, Record<string, Omit<ValueDiff, 'file' | 'key' | 'precision'>>> {
  const out: Record<string, Record<string, Omit<ValueDiff, 'file' | 'key' | 'precision'>>> = {};
  for (const { file, key, precision: _, ...rest } of rows) (out[file] ??= {})[key] = rest;
  return out;
}
