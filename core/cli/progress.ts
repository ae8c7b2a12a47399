import { createRequire } from 'node:module';
import type { SingleBar } from 'cli-progress';
import type { Progress } from '../util/progress.js';

/** Below this many items a job is quick enough to need no progress report. */
const MIN_ITEMS = 1000;

/**
 * A bar redrawn in place when stderr is a terminal; in CI and pipes, one line when long work starts and one when it
 * ends, so logs stay readable.
 */
export function makeProgress(stream: NodeJS.WriteStream, write: (line: string) => void): Progress {
  let bar: SingleBar | undefined;
  let label = '';
  let total = 0;
  let count = 0;
  let startedAt = 0;
  return {
    start(l, t) {
      label = l;
      total = t;
      count = 0;
      startedAt = Date.now();
      if (t < MIN_ITEMS) return;
      if (stream.isTTY) {
        // Loaded only when a bar is drawn: most commands finish before one is needed.
        const { SingleBar: Bar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
        bar = new Bar({ stream, format: `${l} [{bar}] {percentage}% {value}/{total} {eta_formatted} left`, hideCursor: true, clearOnComplete: true });
        bar.start(t, 0);
      } else write(`${l}...`);
    },
    tick(n) {
      count += n;
      bar?.update(count);
    },
    done() {
      if (total < MIN_ITEMS) return;
      bar?.stop();
      bar = undefined;
      write(`${label}: done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    },
  };
}
