import { hashFileSync, loadBlake3 } from './blake3.js';

let buffer: Buffer | undefined;

/** Worker side of the hashing pool: hashes a batch of absolute file paths, in order. */
export default async function hashBatch(paths: string[]): Promise<string[]> {
  const make = await loadBlake3();
  buffer ??= Buffer.allocUnsafe(4 << 20);
  return paths.map((abs) => hashFileSync(abs, make, buffer!));
}
