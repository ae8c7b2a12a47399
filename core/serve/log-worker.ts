/**
 * The prediction log's thread (prediction-log.ts): turns pages of requests into NDJSON lines and appends them to the
 * log file, or hands them back when there is no file here (a `--workers` process: the primary writes it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { logLines } from './log-lines.js';
import { NdjsonLog } from './ndjson-log.js';
import type { FromLogThread, LogFileOptions, ToLogThread } from './prediction-log.js';

const post = (m: FromLogThread) => parentPort!.postMessage(m);
const { file } = workerData as { file?: LogFileOptions };
// A page is appended as it comes (they come every 50 ms at most): lines kept waiting would outlive the young
// generation and cost the garbage collector more than the formatting did.
const log = file ? new NdjsonLog({ ...file, flushMs: 0, onError: (err) => post({ error: err.message }) }) : undefined;

parentPort!.on('message', (m: ToLogThread) => {
  if ('page' in m) {
    const lines = logLines(m.page);
    if (log) {
      log.writeLines(lines);
      post({ seq: m.seq });
    } else post({ seq: m.seq, lines });
  } else void (log ? (m.close ? log.close() : log.flush()) : Promise.resolve()).then(() => post({ seq: m.seq }));
});
