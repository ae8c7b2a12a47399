import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

/** `gitml serve`: the inference server. */
export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('serve packaged models over HTTP: Open Inference Protocol (v2) REST, MLflow /invocations, Prometheus /metrics')
    .argument('[models...]', 'ONNX files gitml/model/package wrote (a repeated model name serves another version)')
    .option('-c, --config <file>', 'a serve config: models, versions, A/B weights, shadow, limits, prediction log')
    .option('--host <host>', 'the address to listen on (default 127.0.0.1)')
    .addOption(new Option('-p, --port <port>', 'the port (default 8080; 0 picks a free one)').argParser(port))
    .addOption(new Option('-w, --workers <n>', 'server processes sharing the port, each with its own copy of the models; auto: one per core (default 1)').argParser(workers))
    .addHelpText(
      'after',
      [
        '\nExamples:',
        '  gitml serve models/churn.onnx',
        '  gitml serve --config serve.yaml --port 9000',
        '  gitml serve models/churn.onnx --workers auto',
        '\nSignals: SIGTERM or SIGINT stop after the requests in flight; SIGHUP reloads the models from their files.',
      ].join('\n'),
    )
    .action(async (models: string[], o: { config?: string; host?: string; port?: number; workers?: number | 'auto' }) => {
      const { serveUntilSignal } = await import('../commands/serve.js');
      await serveUntilSignal({
        cwd: ctx.cwd(),
        models,
        ...(o.config !== undefined ? { config: o.config } : {}),
        ...(o.host !== undefined ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        print: (line) => ctx.line(line),
      });
    });
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got ${v}`);
  return n;
}

function workers(v: string): number | 'auto' {
  if (v === 'auto') return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers must be a whole number from 1 to 256, or auto; got ${v}`);
  return n;
}
