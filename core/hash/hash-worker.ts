import { closeSync, openSync, readSync } from 'node:fs';
import { loadBlake3, HASH_ALGORITHM } from './blake3.js';

const CHUNK = 4 << 20;
let buffer: Buffer | undefined;

/** Worker side of the hashing pool: hashes a batch of absolute file paths, in order. */
export default async function hashBatch(paths: string[]): Promise<string[]> {
  const make = await loadBlake3();
  buffer ??= Buffer.allocUnsafe(CHUNK);
  return paths.map((abs) => {
    const h = make();
    const fd = openSync(abs, 'r');
    try {
      for (;;) {
        const n = readSync(fd, buffer!, 0, CHUNK, null);
        if (n === 0) break;
        h.update(buffer!.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    return `${HASH_ALGORITHM}:${h.digest()}`;
  });
}

