/** A packaged model's thread (model-thread.ts): loads the model, then runs the batches it is sent, in order. */
import { parentPort, workerData } from 'node:worker_threads';
import { GitmlError } from '../errors.js';
import { Model } from './model.js';
import type { FromModelThread, ThreadError } from './model-thread.js';

const post = (m: FromModelThread) => parentPort!.postMessage(m);
const errorOf = (err: unknown): ThreadError =>
  err instanceof GitmlError ? { code: err.code, message: err.message, ...(err.data ? { data: err.data } : {}) } : { message: (err as Error).message };
const { bytes, shown } = workerData as { bytes: Uint8Array; shown: string };

Model.fromBytes(bytes, shown).then(
  (model) => {
    parentPort!.on('message', (m: { seq: number; columns: Record<string, Float64Array | string[]> }) => {
      model.predictBatch(m.columns).then(
        (p) => post({ seq: m.seq, p }),
        (err: unknown) => post({ seq: m.seq, error: errorOf(err) }),
      );
    });
    post({ ready: true });
  },
  (err: unknown) => post({ error: errorOf(err) }),
);
