import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** `gitml data infer` and `gitml data transform`: the data steps' tools for use outside a pipeline. */
export function registerDataCommands(program: Command, ctx: CliContext): void {
  const data = program.command('data').description('data tools that go with the built-in steps');
  data
    .command('infer')
    .description('write an expectations file (for gitml/data/validate) inferred from a reference dataset, to review')
    .argument('<input>', 'a CSV, TSV, Parquet, JSON, NDJSON or Arrow file')
    .option('-o, --output <file>', 'where to write the expectations (default: print them)')
    .action(async (input: string, o: { output?: string }) => {
      const { inferExpectations } = await import('../steps/infer.js');
      const r = await inferExpectations({ cwd: ctx.cwd(), input, output: o.output });
      if (o.output) {
        if (!ctx.quiet()) ctx.line(`wrote ${o.output}: review it, then point a gitml/data/validate stage at it`);
      } else ctx.out(r.text);
    });
  data
    .command('transform')
    .description('apply a fitted transform (written by gitml/data/features) to new data')
    .argument('<input>', 'the data to transform')
    .requiredOption('-t, --transform <file>', 'the transform file the features step wrote')
    .requiredOption('-o, --output <file>', 'where to write the result (format by extension, Parquet by default)')
    .action(async (input: string, o: { transform: string; output: string }) => {
      const { applyTransformFile } = await import('../steps/transform.js');
      const r = await applyTransformFile({ cwd: ctx.cwd(), input, transform: o.transform, output: o.output });
      if (!ctx.quiet()) ctx.line(`wrote ${o.output}: ${r.rows} rows, ${r.columns} columns`);
    });
}
