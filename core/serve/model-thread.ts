/**
 * A packaged model run on a thread of its own (model-worker.ts), so that the thread calling it reads and writes while
 * onnxruntime computes: `gitml predict` reads the next batch and writes the last one during each run. It is a `Model`
 * in that thread, so inputs are checked and answered the same way, and errors come back as the same codes. Where the
 * compiled thread is missing (running from the TypeScript sources), `openModel` gives a `Model` on this thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GitmlError } from '../errors.js';
import { Model, ModelInputError, ModelInputs, readModelFile, readSignature, type BatchPrediction, type Signature } from './model.js';

const MODEL_WORKER = fileURLToPath(new URL('./model-worker.js', import.meta.url));

type Columns = Record<string, Float64Array | readonly string[]>;

/** What runs a model: a `Model` here, or one in a thread; both check input the same way (`ModelInputs`). */
export type Predictor = ModelInputs & {
  predictBatch(columns: Columns): Promise<BatchPrediction>;
  close(): Promise<void>;
};

/** An error as it crosses from the thread. */
export interface ThreadError {
  code?: string;
  message: string;
  data?: Record<string, unknown>;
}

/** Thread -> caller. */
export type FromModelThread = { ready: true } | { seq: number; p: BatchPrediction } | { seq: number; error: ThreadError } | { error: ThreadError };

/** Opens the model at `path` on a thread of its own (or here, when the thread's code is missing). */
export async function openModel(path: string): Promise<Predictor> {
  if (!existsSync(MODEL_WORKER)) return Model.load(path);
  const bytes = readModelFile(path);
  const signature = readSignature(bytes, path);
  const worker = new Worker(MODEL_WORKER, { workerData: { bytes, shown: path } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', (m: FromModelThread) => ('ready' in m ? resolve() : reject(fromThread((m as { error: ThreadError }).error))));
    worker.once('error', reject);
  });
  return new ModelThread(signature, worker);
}

class ModelThread extends ModelInputs {
  private readonly waiting = new Map<number, { resolve(p: BatchPrediction): void; reject(err: Error): void }>();
  private seq = 0;
  private failed: Error | undefined;

  constructor(
    signature: Signature,
    private readonly worker: Worker,
  ) {
    super(signature);
    worker.on('message', (m: FromModelThread) => {
      if (!('seq' in m)) return;
      const w = this.waiting.get(m.seq);
      this.waiting.delete(m.seq);
      if ('p' in m) w?.resolve(m.p);
      else w?.reject(fromThread(m.error));
    });
    const fail = (err: Error) => {
      this.failed = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new GitmlError('E_MODEL_THREAD', `the model's thread stopped (exit code ${code})`, { exitCode: 1 })));
  }

  /** Runs in the thread, after the runs asked for before it. */
  predictBatch(columns: Columns): Promise<BatchPrediction> {
    if (this.failed) return Promise.reject(this.failed);
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, columns });
    });
  }

  async close(): Promise<void> {
    this.failed = new GitmlError('E_MODEL_THREAD', 'the model was closed', { exitCode: 1 });
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

function fromThread(e: ThreadError): Error {
  if (e.code === 'E_MODEL_INPUT') return new ModelInputError(e.message, e.data?.column as string | undefined, e.data?.row as number | undefined);
  return new GitmlError(e.code ?? 'E_MODEL_THREAD', e.message, { exitCode: 1, ...(e.data ? { data: e.data } : {}) });
}
