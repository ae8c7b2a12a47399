import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ProcessGroup } from './processes.js';
import type { StepMessage, StepTask } from './step-worker.js';

const STEP_WORKER = fileURLToPath(new URL('./step-worker.js', import.meta.url));
/** An idle worker is kept this long for the next step, then let go (with polars, it holds ~100 MB). */
const IDLE_MS = 5000;

export type StepRunResult =
  | { ok: true }
  /** `threadId` names the temporary files a stopped step may have left (see `atomically` in steps/table.ts). */
  | { ok: false; message: string; threadId: number };

interface Loaded {
  worker: Worker;
  idleTimer?: NodeJS.Timeout;
}

const idle: Loaded[] = [];

/** Whether built-in steps can run in worker threads here (the compiled worker exists: not so under ts sources). */
export function stepWorkersAvailable(): boolean {
  return existsSync(STEP_WORKER);
}

/**
 * Runs a built-in step in a worker thread of this process, reusing an idle one when there is one, so that a stage
 * costs no process start and no module loading. An exception in the step fails the stage and nothing else; a worker
 * that died is replaced. `processes.stopAll` terminates it.
 */
export function runStepInWorker(task: StepTask, processes: ProcessGroup, emit: (line: string) => void): Promise<StepRunResult> {
  let loaded: Loaded;
  try {
    loaded = idle.pop() ?? spawnWorker();
  } catch (err) {
    // No thread could be started (out of memory, too many threads): this stage fails, the run goes on.
    return Promise.resolve({
      ok: false,
      message: `step \`${task.name}\` could not start a worker thread: ${(err as Error).message}`,
      threadId: -1,
    });
  }
  clearTimeout(loaded.idleTimer);
  const { worker } = loaded;
  // Read now: once the thread has ended, `worker.threadId` is -1.
  const { threadId } = worker;
  worker.ref();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: StepRunResult, reusable: boolean) => {
      if (settled) return;
      settled = true;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      release();
      if (reusable) {
        worker.unref();
        loaded.idleTimer = setTimeout(() => {
          // Out of the idle list first, so that no step is handed to a worker that is on its way out.
          idle.splice(idle.indexOf(loaded), 1);
          void worker.terminate();
        }, IDLE_MS).unref();
        idle.push(loaded);
      } else void worker.terminate();
      resolve(result);
    };
    const onMessage = (m: StepMessage) => {
      if (m.type === 'log') emit(m.line);
      else if (m.type === 'done') finish({ ok: true }, true);
      else {
        for (const line of m.lines) emit(line);
        finish({ ok: false, message: `step \`${task.name}\` failed`, threadId }, true);
      }
    };
    // An exception thrown outside the step's promise (a callback, an unhandled rejection) ends the worker.
    const onError = (err: Error) => {
      emit(`internal error: ${err.message}`);
      finish({ ok: false, message: `step \`${task.name}\` crashed: ${err.message}`, threadId }, false);
    };
    const onExit = (code: number) => {
      const why = processes.stopping ? `was stopped by ${processes.stopping}` : `ended its thread with code ${code}`;
      finish({ ok: false, message: `step \`${task.name}\` ${why}`, threadId }, false);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    const release = processes.addWorker(worker);
    worker.postMessage(task);
  });
}

function spawnWorker(): Loaded {
  const worker = new Worker(STEP_WORKER);
  const loaded: Loaded = { worker };
  // Errors and exits while a step runs are handled in `runStepInWorker`; an idle worker that dies is just dropped.
  worker.on('error', () => {});
  worker.on('exit', () => {
    const at = idle.indexOf(loaded);
    if (at >= 0) idle.splice(at, 1);
    clearTimeout(loaded.idleTimer);
  });
  return loaded;
}
