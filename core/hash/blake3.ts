import { closeSync, openSync, read, readSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Incremental BLAKE3; `digest()` returns lowercase hex. */
export interface Blake3 {
  update(data: Uint8Array): void;
  digest(): string;
}

export const HASH_ALGORITHM = 'blake3';

let factory: (() => Blake3) | undefined;
let note: string | undefined;

/**
 * Loads the native BLAKE3 binding, or falls back to the portable WebAssembly build (same digests, slower) when the
 * native module cannot load on this platform.
 */
export async function loadBlake3(): Promise<() => Blake3> {
  if (factory) return factory;
  try {
    const native = createRequire(import.meta.url)('@napi-rs/blake-hash') as typeof import('@napi-rs/blake-hash');
    factory = () => {
      const h = new native.Blake3Hasher();
      return { update: (d) => void h.update(Buffer.from(d.buffer, d.byteOffset, d.byteLength)), digest: () => h.digest('hex') };
    };
  } catch (err) {
    const { createBLAKE3 } = await import('hash-wasm');
    const wasm = await createBLAKE3();
    note = `native BLAKE3 unavailable (${(err as Error).message.split('\n')[0]}); using the portable build`;
    // One WebAssembly instance serves every hasher; each keeps its own saved state so that they can interleave.
    factory = () => {
      let state = wasm.init().save();
      return {
        update: (d) => {
          wasm.load(state);
          wasm.update(d);
          state = wasm.save();
        },
        digest: () => {
          wasm.load(state);
          return wasm.digest('hex');
        },
      };
    };
  }
  return factory;
}

/** Set when the portable fallback is in use, so the CLI can say so once. */
export function blake3Note(): string | undefined {
  return note;
}

/** BLAKE3 of bytes in memory, as `blake3:<hex>`. */
export function hashBytes(data: Uint8Array, make: () => Blake3): string {
  const h = make();
  h.update(data);
  return `${HASH_ALGORITHM}:${h.digest()}`;
}

/** Streams a file through BLAKE3 in `buffer`-sized reads (constant memory) and returns `blake3:<hex>`. */
export function hashFileSync(abs: string, make: () => Blake3, buffer: Buffer): string {
  const h = make();
  const fd = openSync(abs, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      h.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return `${HASH_ALGORITHM}:${h.digest()}`;
}

/** Files at least this large are read and hashed at the same time by `hashFileAsync`. */
export const PIPELINE_MIN_BYTES = 64 << 20;
const PIPELINE_CHUNK = 8 << 20;

/**
 * Like `hashFileSync`, but the next chunk is read on the I/O thread pool while this thread hashes the current one,
 * so a large file hashes at the speed of BLAKE3 rather than of BLAKE3 plus the copy out of the page cache.
 */
export async function hashFileAsync(abs: string, make: () => Blake3): Promise<string> {
  const buffers = [Buffer.allocUnsafeSlow(PIPELINE_CHUNK), Buffer.allocUnsafeSlow(PIPELINE_CHUNK)] as const;
  const fd = openSync(abs, 'r');
  const next = (buf: Buffer) => new Promise<number>((resolve, reject) => read(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
  try {
    const h = make();
    let turn = 0;
    let pending = next(buffers[0]);
    for (;;) {
      const n = await pending;
      if (n === 0) break;
      const current = turn % 2 === 0 ? buffers[0] : buffers[1];
      turn++;
      pending = next(turn % 2 === 0 ? buffers[0] : buffers[1]);
      h.update(current.subarray(0, n));
    }
    return `${HASH_ALGORITHM}:${h.digest()}`;
  } finally {
    closeSync(fd);
  }
}
