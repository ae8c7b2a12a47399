import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** `gitml feedback`: ground truth by request id, appended to the feedback log that monitoring joins with predictions. */
export function registerFeedbackCommand(program: Command, ctx: CliContext): void {
  program
    .command('feedback')
    .description('append ground truth by request id (CSV, TSV or NDJSON with columns id and truth, optionally model and ts) to the feedback log')
    .argument('<file>', 'the feedback file: .csv, .tsv or .ndjson')
    .option('--log <path>', 'the feedback log to append to (default: logs/feedback.ndjson)')
    .option('--model <name>', 'the model of rows without a `model` column')
    .addHelpText(
      'after',
      [
        '\nEach row becomes one line {"id", "model", "truth", "ts"} of the log; `ts` defaults to now. One bad row appends nothing.',
        '\nExample:',
        '  gitml feedback labels/2024-05-01.csv --model churn',
      ].join('\n'),
    )
    .action(async (file: string, o: { log?: string; model?: string }) => {
      const { feedback } = await import('../commands/feedback.js');
      const r = await feedback({ cwd: ctx.cwd(), file, ...(o.log !== undefined ? { log: o.log } : {}), ...(o.model !== undefined ? { model: o.model } : {}) });
      if (!ctx.quiet())
        ctx.line(`appended ${r.records} feedback record${r.records === 1 ? '' : 's'} for ${r.models.length === 1 ? 'model' : 'models'} ${r.models.join(', ')} to ${r.log}`);
    });
}
