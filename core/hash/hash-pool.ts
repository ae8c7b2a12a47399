import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';

const WORKER = fileURLToPath(new URL('./hash-worker.js', import.meta.url));

/** Below these, starting worker threads costs more than it saves. */
const MIN_FILES = 256;
const MIN_BYTES = 256 << 20;
const BATCH_FILES = 512;
const BATCH_BYTES = 64 << 20;

let pool: Piscina | undefined;

/** Whether hashing these files is worth spreading over worker threads (and the compiled worker exists). */
export function worthPool(files: number, bytes: number): boolean {
  return (files >= MIN_FILES || (bytes >= MIN_BYTES && files > 1)) && availableParallelism() > 1 && existsSync(WORKER);
}

/** Hashes files on all cores, in batches; resolves to the hashes in input order. */
export async function hashInPool(files: { abs: string; size: number }[], onBatch?: (files: number, bytes: number) => void): Promise<string[]> {
  if (!pool) {
    const { Piscina } = await import('piscina');
    pool = new Piscina({ filename: WORKER, maxThreads: availableParallelism(), idleTimeout: 1000 });
  }
  const batches: { abs: string; size: number }[][] = [];
  let current: { abs: string; size: number }[] = [];
  let bytes = 0;
  for (const f of files) {
    current.push(f);
    bytes += f.size;
    if (current.length >= BATCH_FILES || bytes >= BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length) batches.push(current);
  const results = await Promise.all(
    batches.map(async (b) => {
      const hashes = (await pool!.run(b.map((f) => f.abs))) as string[];
      onBatch?.(b.length, b.reduce((n, f) => n + f.size, 0));
      return hashes;
    }),
  );
  return results.flat();
}

/** Stops the worker threads so the process can exit promptly. */
export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.destroy();
}
