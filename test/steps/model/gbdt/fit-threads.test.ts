import { describe, expect, it } from 'vitest';
import { FitThreads } from '../../../../core/steps/model/gbdt/fit-threads.js';
import { Random } from '../../../../core/steps/model/random.js';
import { sameBits } from './data.js';

function builder(threads: number, constHess: boolean, n = 30_000): FitThreads {
  const p = 10;
  const b = new FitThreads({ n, p, section: 256 * 3, outputs: 1, constHess, slots: 4, threads, y: new Float64Array(n) });
  const r = new Random(1);
  for (let i = 0; i < n; i++) {
    b.idx[i] = i;
    for (let f = 0; f < p; f++) b.bins[f * n + i] = Math.floor(r.next() * 256);
    b.grads[0]![i] = r.next() - 0.5;
    if (!constHess) b.hess[0]![i] = r.next();
    for (let w = 0; w < (p + 3) >> 2; w++) b.rec[i * b.stride + 2 + w] = Math.floor(r.next() * 4294967296);
  }
  b.useGradients(0, constHess);
  return b;
}

/** Waits until the workers of `b` have taken part in a job `run` starts (a busy core may leave it all to this thread). */
async function untilWorkersHelp(b: FitThreads, run: () => void): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (b.workerChunks() === 0 && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 20));
    run();
  }
  expect(b.workerChunks()).toBeGreaterThan(0);
}

describe('FitThreads', () => {
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

  it('sums a node in row ranges to within rounding of one pass, and the same bits on worker threads as on one', async () => {
    for (const constHess of [false, true]) {
      const one = builder(1, constHess);
      const two = builder(2, constHess);
      await untilWorkersHelp(two, () => {
        for (const features of [Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), Int32Array.of(1, 4, 5, 9)]) {
          one.setFeatures(features);
          two.setFeatures(features);
          const a = one.take();
          const b = two.take();
          one.build(a, constHess, 100, 29_000);
          two.build(b, constHess, 100, 29_000);
          expect(sameBits(two.view(b), one.view(a))).toBe(true);
          // One pass over the same rows, bin by bin: the ranges' sums differ from it only by rounding.
          const section = 256 * 3;
          const f = features[features.length - 1]!;
          for (const bin of [0, 17, 255]) {
            let g = 0;
            let count = 0;
            for (let i = 100; i < 29_000; i++) {
              if (((one.rec[i * one.stride + 2 + (f >> 2)]! >>> ((f & 3) << 3)) & 255) !== bin) continue;
              g += one.recF[i * one.stride]!;
              count++;
            }
            expect(one.view(a)[f * section + bin * 3]).toBeCloseTo(g, 9);
            expect(one.view(a)[f * section + bin * 3 + 2]).toBe(count);
          }
          one.release(a);
          two.release(b);
        }
      });
      one.close();
      two.close();
    }
  });

  it('partitions a node stably on worker threads, as a filter would, missing values either side', async () => {
    const n = 100_000;
    const two = builder(2, false, n);
    const missing = 255;
    await untilWorkersHelp(two, () => {
      for (const [start, end, f, bin, missingBin] of [
        [0, n, 3, 100, -1],
        [5_000, 90_001, 7, 30, missing],
      ] as const) {
        for (let i = 0; i < n; i++) two.idx[i] = n - 1 - i;
        const rows = Array.from(two.idx.subarray(start, end));
        const goesLeft = (r: number): boolean => two.bins[f * n + r]! <= bin || two.bins[f * n + r] === missingBin;
        const expected = [...rows.filter(goesLeft), ...rows.filter((r) => !goesLeft(r))];
        const nLeft = two.partition(start, end, f, bin, missingBin);
        expect(nLeft).toBe(rows.filter(goesLeft).length);
        expect(Array.from(two.idx.subarray(start, end))).toEqual(expected);
        expect(two.idx[start - 1]).toBe(start === 0 ? undefined : n - start);
      }
    });
    two.close();
  });
});
