/**
 * Large jobs of a fit (a node's histogram, the loss pass) are cut into `PARTS` row ranges, each worked in row order,
 * and the ranges' results are added in range order. The cut depends only on the job's size, never on the thread
 * count, so a fit is bit-identical on one thread or four (fit-threads.ts runs the ranges on worker threads).
 */
export const PARTS = 4;

/** Where range `c` of `parts` over `[start, end)` begins; `c = parts` gives `end`. Runs in worker threads too. */
export function partStart(start: number, end: number, parts: number, c: number): number {
  return start + Math.floor((c * (end - start)) / parts);
}
