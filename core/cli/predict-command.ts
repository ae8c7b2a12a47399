import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

/** `gitml predict`: batch predictions of a packaged model over files. */
export function registerPredictCommand(program: Command, ctx: CliContext): void {
  program
    .command('predict')
    .description('batch predictions of an ONNX model gitml/model/package wrote, over CSV, TSV, NDJSON or Parquet files, a batch at a time')
    .argument('<model>', 'the .onnx file')
    .requiredOption('-i, --input <file...>', 'input files or globs (each glob\'s matches sorted)')
    .requiredOption('-o, --output <file>', 'where to write the predictions: .csv, .tsv, .ndjson (streamed) or .parquet')
    .addOption(new Option('--batch <rows>', 'rows per batch (default 8192)').argParser(positive))
    .option('--id <column>', 'an input column copied beside each prediction (default: the row number, `row`)')
    .addHelpText('after', ['\nExample:', '  gitml predict models/churn.onnx -i data/new/*.parquet -o predictions.csv --id customer_id'].join('\n'))
    .action(async (model: string, o: { input: string[]; output: string; batch?: number; id?: string }) => {
      const { predict } = await import('../commands/predict.js');
      const r = await predict({ cwd: ctx.cwd(), model, inputs: o.input, output: o.output, ...(o.batch ? { batch: o.batch } : {}), ...(o.id !== undefined ? { id: o.id } : {}) });
      if (!ctx.quiet())
        ctx.line(`wrote ${o.output}: ${r.rows} predictions by ${r.signature.name} (version ${r.signature.model_version}) from ${r.files.length} file${r.files.length === 1 ? '' : 's'} in ${r.seconds.toFixed(2)} s`);
    });
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--batch must be a whole number >= 1, got ${v}`);
  return n;
}
