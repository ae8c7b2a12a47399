import { parentPort } from 'node:worker_threads';
import { GitmlError } from '../errors.js';
import { runStep } from '../steps/run.js';

/** A built-in step to run: what `gitml step <name>` receives on its command line and in its environment. */
export interface StepTask {
  name: string;
  withJson: string;
  cwd: string;
  /** The whole environment the step sees (the stage's `env:` over the pipeline's). */
  env: Record<string, string>;
}

/** `log` lines are what `gitml step` prints on stdout; `failed` carries what it would print on stderr. */
export type StepMessage = { type: 'log'; line: string } | { type: 'done' } | { type: 'failed'; lines: string[] };

const post = (m: StepMessage) => parentPort!.postMessage(m);

// What the step or a library prints goes to the stage's log like its progress lines, as from a `gitml step`
// process. (Piping the worker's own stdout instead would keep an idle worker from letting the process exit.)
const flushers: (() => void)[] = [];
for (const stream of [process.stdout, process.stderr]) {
  let pending = '';
  flushers.push(() => {
    if (pending) post({ type: 'log', line: pending });
    pending = '';
  });
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = pending.split(/\r?\n/);
    pending = lines.pop()!;
    for (const line of lines) post({ type: 'log', line });
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof stream.write;
}

// One task at a time: the pool hands a worker its next step only after `done` or `failed`. The worker stays loaded
// between steps, so polars and the step modules are loaded once per worker, not once per stage.
parentPort!.on('message', (task: StepTask) => {
  // Steps read settings such as `mask_key_env` from the environment; each stage gets exactly its own.
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, task.env);
  const end = (m: StepMessage) => {
    for (const flush of flushers) flush();
    post(m);
  };
  runStep(task.name, task.withJson, { cwd: task.cwd, log: (line) => post({ type: 'log', line }) }).then(
    () => end({ type: 'done' }),
    (err: unknown) => end({ type: 'failed', lines: errorLines(err) }),
  );
});

/** The lines `gitml step` prints for an error, so a stage's log reads the same in a worker as in a process. */
function errorLines(err: unknown): string[] {
  if (err instanceof GitmlError) return ('problems' in err ? err.message : `error: ${err.message}`).split('\n');
  const e = err instanceof Error ? err : new Error(String(err));
  return [`internal error: ${e.message}`, ...(e.stack ?? '').split('\n').slice(1)];
}
