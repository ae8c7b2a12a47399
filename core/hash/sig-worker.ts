import { parentPort, workerData } from 'node:worker_threads';
import { loadBlake3 } from './blake3.js';
import { sigFiles, sigTree, type TreeSig } from './walk.js';

/** One piece of a tree fingerprint: a chunk of a directory's files, or a whole subtree. */
export type SigTask = { dir: string; names: string[] } | { dir: string };

// A plain worker thread (no pool): it starts fastest, and a no-op status is mostly start-up and stat calls.
const blake3 = await loadBlake3();
const tasks = (workerData as { tasks: SigTask[] }).tasks;
parentPort!.postMessage(tasks.map((t): TreeSig => ('names' in t ? sigFiles(t.dir, t.names, blake3) : sigTree(t.dir, blake3))));
