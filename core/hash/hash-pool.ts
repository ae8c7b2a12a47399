import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { Blake3 } from './blake3.js';
import type { SigTask } from './sig-worker.js';
import { combineSig, listDir, SIG_CHUNK, type TreeSig } from './walk.js';

const WORKER = fileURLToPath(new URL('./hash-worker.js', import.meta.url));
const SIG_WORKER = fileURLToPath(new URL('./sig-worker.js', import.meta.url));

/** Below these, starting worker threads costs more than it saves. */
const MIN_FILES = 256;
const MIN_BYTES = 256 << 20;
const BATCH_FILES = 512;
const BATCH_BYTES = 64 << 20;

let pool: Promise<Piscina> | undefined;

/** Whether hashing these files is worth spreading over worker threads (and the compiled worker exists). */
export function worthPool(files: number, bytes: number): boolean {
  return (files >= MIN_FILES || (bytes >= MIN_BYTES && files > 1)) && availableParallelism() > 1 && existsSync(WORKER);
}

/** Hashes files on all cores, in batches; resolves to the hashes in input order. */
export async function hashInPool(files: { abs: string; size: number }[], onBatch?: (files: number) => void): Promise<string[]> {
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
      const hashes = await hashBatch(b.map((f) => f.abs));
      onBatch?.(b.length);
      return hashes;
    }),
  );
  return results.flat();
}

/** Hashes one batch of files on the pool. */
async function hashBatch(paths: string[]): Promise<string[]> {
  // One pool per process, also when many batches are submitted before the first import resolves.
  pool ??= import('piscina').then(
    ({ Piscina }) =>
      new Piscina({ filename: WORKER, minThreads: availableParallelism(), maxThreads: availableParallelism(), idleTimeout: 1000 }),
  );
  return (await (await pool).run(paths)) as string[];
}

/**
 * The same signature as `sigTree`, with file chunks and subtrees computed on all cores: no-op status of a large tree
 * is bound by stat calls, and these run in parallel. The tree is cut into tasks here (descending through levels with
 * few subdirectories), the tasks are dealt round-robin to one plain worker thread per core, and the results are
 * combined bottom-up.
 */
export async function sigTreeParallel(dir: string, blake3: () => Blake3): Promise<TreeSig> {
  const tasks: SigTask[] = [];
  type Node = { chunks: number[]; subdirs: [string, Node | number][] };
  const cut = (d: string): Node => {
    const { files, dirs } = listDir(d);
    const node: Node = { chunks: [], subdirs: [] };
    for (let i = 0; i < files.length; i += SIG_CHUNK) node.chunks.push(tasks.push({ dir: d, names: files.slice(i, i + SIG_CHUNK) }) - 1);
    // Few subdirectories: cut each further here; many: one task per subtree is enough to fill the cores.
    for (const name of dirs) node.subdirs.push([name, dirs.length >= 4 ? tasks.push({ dir: join(d, name) }) - 1 : cut(join(d, name))]);
    return node;
  };
  const root = cut(dir);

  const threads = Math.min(availableParallelism(), Math.max(1, tasks.length));
  const shares = Array.from({ length: threads }, (_, k) => tasks.map((t, i) => [t, i] as const).filter(([, i]) => i % threads === k));
  const results: TreeSig[] = new Array(tasks.length);
  await Promise.all(
    shares.map(async (share) => {
      const worker = new Worker(SIG_WORKER, { workerData: { tasks: share.map(([t]) => t) } });
      try {
        const sigs = await new Promise<TreeSig[]>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
        share.forEach(([, i], k) => (results[i] = sigs[k]!));
      } finally {
        await worker.terminate();
      }
    }),
  );

  const combine = (node: Node): TreeSig =>
    combineSig(
      node.chunks.map((i) => results[i]!),
      node.subdirs.map(([name, sub]) => [name, typeof sub === 'number' ? results[sub]! : combine(sub)]),
      blake3,
    );
  return combine(root);
}

/** Whether a tree signature can be spread over threads (the compiled workers exist, and cores to use). */
export function poolAvailable(): boolean {
  return availableParallelism() > 1 && existsSync(SIG_WORKER);
}

/** Stops the worker threads so the process can exit promptly. */
export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await (await p)?.destroy();
}
