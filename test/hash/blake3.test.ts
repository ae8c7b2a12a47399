import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashFileAsync, hashFileSync, loadBlake3 } from '../../core/hash/blake3.js';

const dir = mkdtempSync(join(tmpdir(), 'gitml-blake3-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hashing a large file with reads overlapped', () => {
  it('gives the same digest as the plain loop, across chunk boundaries and a ragged tail', async () => {
    const make = await loadBlake3();
    for (const size of [0, 1, 8 << 20, (8 << 20) + 1, (20 << 20) + 12345]) {
      const file = join(dir, `f${size}`);
      writeFileSync(file, randomBytes(size));
      expect(await hashFileAsync(file, make), `size ${size}`).toBe(hashFileSync(file, make, Buffer.allocUnsafe(1 << 20)));
    }
  });
});
