import { describe, expect, it } from 'vitest';
import { HistBuilder } from '../../../../core/steps/model/gbdt/hist-builder.js';
import { Random } from '../../../../core/steps/model/random.js';
import { sameBits } from './data.js';

function builder(threads: number, constHess: boolean): HistBuilder {
  const n = 30_000;
  const p = 10;
  const b = new HistBuilder({ n, p, section: 256 * 3, outputs: 1, constHess, slots: 4, threads });
  const r = new Random(1);
  for (let i = 0; i < n; i++) {
    b.idx[i] = i;
    b.grads[0]![i] = r.next() - 0.5;
    if (!constHess) b.hess[0]![i] = r.next();
    for (let w = 0; w < (p + 3) >> 2; w++) b.rec[i * b.stride + 2 + w] = Math.floor(r.next() * 4294967296);
  }
  b.useGradients(0, constHess);
  return b;
}

describe('HistBuilder', () => {
  it('builds a histogram over every row again (counts kept from the first) exactly as the first time', () => {
    for (const constHess of [false, true]) {
      const b = builder(1, constHess);
      const first = b.take();
      b.build(first, constHess, 0, 30_000);
      const again = b.take();
      b.build(again, constHess, 0, 30_000);
      expect(sameBits(b.view(again), b.view(first))).toBe(true);
      // The counts of a feature add up to every row, and one bin holds the rows whose bin it is.
      const section = 256 * 3;
      let total = 0;
      for (let bin = 0; bin < 256; bin++) total += b.view(again)[3 * section + bin * 3 + 2]!;
      expect(total).toBe(30_000);
      let inBin7 = 0;
      for (let i = 0; i < 30_000; i++) inBin7 += +(b.rec[i * b.stride + 2]! >>> 24 === 7);
      expect(b.view(again)[3 * section + 7 * 3 + 2]).toBe(inBin7);
      b.close();
    }
  });

  it('sums the same histograms on worker threads as on one thread, bit for bit', async () => {
    for (const constHess of [false, true]) {
      const one = builder(1, constHess);
      const two = builder(2, constHess);
      // Workers start in the background: build until one has taken part (a busy core may leave it all to this thread).
      const deadline = Date.now() + 20_000;
      for (let round = 0; two.workerChunks() === 0 && Date.now() < deadline; round++) {
        await new Promise((res) => setTimeout(res, 20));
        for (const features of [Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), Int32Array.of(1, 4, 5, 9)]) {
          one.setFeatures(features);
          two.setFeatures(features);
          const a = one.take();
          const b = two.take();
          one.build(a, constHess, 0, 30_000);
          two.build(b, constHess, 0, 30_000);
          expect(sameBits(two.view(b), one.view(a))).toBe(true);
          one.release(a);
          two.release(b);
        }
      }
      expect(two.workerChunks()).toBeGreaterThan(0);
      one.close();
      two.close();
    }
  });
});
