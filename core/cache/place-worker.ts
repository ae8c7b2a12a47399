import { parentPort, workerData } from 'node:worker_threads';
import { hashFileSync, loadBlake3 } from '../hash/blake3.js';
import { copySmall, type CopyTask } from './place.js';

// A plain worker thread (no pool): it starts fastest, and placing a large tree is mostly file creation.
const blake3 = await loadBlake3();
const buffer = Buffer.allocUnsafe(1 << 20);
const tasks = (workerData as { tasks: CopyTask[] }).tasks;
parentPort!.postMessage(copySmall(tasks, blake3, (abs) => hashFileSync(abs, blake3, buffer)));
