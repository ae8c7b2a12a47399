import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CopyResult, CopyTask } from './place.js';

const WORKER = fileURLToPath(new URL('./place-worker.js', import.meta.url));

/** Below this many files, starting threads costs more than creating the files on one. */
export const PARALLEL_PLACE_MIN = 2048;
const MAX_THREADS = 8;

/** Whether copying `files` small objects is worth spreading over threads (cores to use, the compiled worker there). */
export function worthPlacing(files: number): boolean {
  return files >= PARALLEL_PLACE_MIN && availableParallelism() > 1 && existsSync(WORKER);
}

/**
 * Copies small objects on several threads, each a contiguous run of the (path-sorted) tasks so that threads mostly
 * create files in different directories. Resolves to the results in task order.
 */
export async function copyInParallel(tasks: CopyTask[], onDone?: (files: number) => void): Promise<CopyResult[]> {
  const threads = Math.min(availableParallelism(), MAX_THREADS, Math.ceil(tasks.length / (PARALLEL_PLACE_MIN / 2)));
  const per = Math.ceil(tasks.length / threads);
  const shares = Array.from({ length: threads }, (_, k) => tasks.slice(k * per, (k + 1) * per)).filter((s) => s.length);
  const results = await Promise.all(
    shares.map(async (share) => {
      const worker = new Worker(WORKER, { workerData: { tasks: share } });
      try {
        const out = await new Promise<CopyResult[]>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          // A thread that ends without answering (killed, out of memory) must fail the checkout, not hang it.
          worker.once('exit', (code) => reject(new Error(`a checkout thread ended with code ${code} before it finished`)));
        });
        onDone?.(share.length);
        return out;
      } finally {
        await worker.terminate();
      }
    }),
  );
  return results.flat();
}
