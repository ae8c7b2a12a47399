/**
 * Runs the trials of a search, `jobs` at a time. With `jobs` > 1 each runs in a worker thread: trials are CPU-bound
 * JavaScript (the trees, and TensorFlow.js on its cpu and wasm backends, which compute on the thread that calls them),
 * so trials started together in one thread would only take turns. A worker costs its start and, for neural models,
 * loading TensorFlow.js once. Measured on a 2-core machine that other work kept busy (load about 4): 8 gbdt trials
 * x 5 folds on 5,000 rows took 2.5 s with jobs 1 and 2.8 s with jobs 2; 4 MLP trials x 3 folds on 600 rows 2.4 s and
 * 3.5 s. So threads pay off only where cores are free, and the default is 1. With `jobs: 1`, or where the compiled
 * worker is missing (running from the TypeScript sources), trials run here, one after another. Outcomes do not
 * depend on where or in which order trials ran.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TrialOutcome } from './tune-results.js';
import { runTrial, type TrialData, type TrialJob } from './tune-trial.js';

const TUNE_WORKER = fileURLToPath(new URL('./tune-worker.js', import.meta.url));

/** Runs every job; `onDone` hears of each outcome as it comes (in finishing order). Returns outcomes in job order. */
export async function runTrials(data: TrialData, jobs: readonly TrialJob[], threads: number, onDone: (o: TrialOutcome) => void): Promise<TrialOutcome[]> {
  const outcomes = new Map<number, TrialOutcome>();
  const done = (o: TrialOutcome) => {
    outcomes.set(o.trial, o);
    onDone(o);
  };
  const n = Math.min(threads, jobs.length);
  if (n <= 1 || !existsSync(TUNE_WORKER)) {
    for (const job of jobs) done(await runTrial(data, job));
  } else {
    const shared = { ...data, x: { ...data.x, data: toShared(data.x.data) }, y: toShared(data.y), fold: toShared(data.fold) };
    const queue = [...jobs];
    await Promise.all(Array.from({ length: n }, () => work(shared, queue, done)));
  }
  return jobs.map((j) => outcomes.get(j.trial)!);
}

/** One worker taking jobs from the queue until it is empty. A worker that dies fails its trial; a new one goes on. */
async function work(data: TrialData, queue: TrialJob[], done: (o: TrialOutcome) => void): Promise<void> {
  while (queue.length) {
    const worker = new Worker(TUNE_WORKER, { workerData: data });
    try {
      while (queue.length) {
        const job = queue.shift()!;
        const outcome = await new Promise<TrialOutcome | Error>((resolve) => {
          const onMessage = (o: TrialOutcome) => {
            worker.off('error', onError);
            resolve(o);
          };
          const onError = (err: Error) => {
            worker.off('message', onMessage);
            resolve(err);
          };
          worker.once('message', onMessage);
          worker.once('error', onError);
          worker.postMessage(job);
        });
        if (outcome instanceof Error) {
          done({ trial: job.trial, status: 'failed', scores: [], reason: `its worker thread stopped: ${outcome.message}` });
          break;
        }
        done(outcome);
      }
    } finally {
      await worker.terminate();
    }
  }
}

function toShared<T extends Float64Array | Int32Array>(a: T): T {
  const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  copy.set(a as never);
  return copy;
}
