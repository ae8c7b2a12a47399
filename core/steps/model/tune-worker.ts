/** A worker thread of `gitml/model/tune`: runs the trials it is handed on the data it was started with. */
import { parentPort, workerData } from 'node:worker_threads';
import { runTrial, type TrialData, type TrialJob } from './tune-trial.js';

const data = workerData as TrialData;
parentPort!.on('message', (job: TrialJob) => {
  runTrial(data, job).then(
    (outcome) => parentPort!.postMessage(outcome),
    (err: unknown) => parentPort!.postMessage({ trial: job.trial, status: 'failed', scores: [], reason: err instanceof Error ? err.message : String(err) }),
  );
});
