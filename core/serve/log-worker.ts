/**
 * The prediction log's thread (prediction-log.ts): turns pages of requests into NDJSON lines and appends them to the
 * log file, or hands them back as text when there is no file here (a `--workers` process: the primary writes it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { logLines } from './log-lines.js';
import { NdjsonLog } from './ndjson-log.js';
import type { FromLogThread, LogFileOptions, ToLogThread } from './prediction-log.js';

const post = (m: FromLogThread) => parentPort!.postMessage(m);
const { file } = workerData as { file?: LogFileOptions };
const log = file ? new NdjsonLog({ ...file, onError: (err) => post({ error: err.message }) }) : undefined;

parentPort!.on('message', (m: ToLogThread) => {
  if ('page' in m) {
    const text = logLines(m.page);
    if (log) {
      log.write(text);
      post({ seq: m.seq });
    } else post({ seq: m.seq, text });
  } else void (log ? (m.close ? log.close() : log.flush()) : Promise.resolve()).then(() => post({ seq: m.seq }));
});
