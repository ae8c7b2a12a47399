import { closeSync, openSync, readSync } from 'node:fs';
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
