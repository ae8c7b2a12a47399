#!/usr/bin/env node
// Bundles the CLI (after tsc) into dist/cli/: gitml's own modules, yaml and commander in a few files instead of about
// 150. Node 20 pays per module file for resolving, reading and linking it, which made `gitml status` on a small project
// twice as slow as Node's own start. Commands still load lazily: each dynamic import becomes a chunk. Native and large
// packages (polars, BLAKE3, isomorphic-git, the AWS SDK, Vega, piscina) stay external and load from node_modules when
// used. The worker entries sit in the same folder, so `new URL('./step-worker.js', import.meta.url)` finds them.
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'rolldown';

const OUT = 'dist/cli';
/** Pure-JS packages every command loads: inlined. */
const INLINE = new Set(['yaml', 'commander', 'fastest-levenshtein']);

rmSync(OUT, { recursive: true, force: true });
await build({
  input: {
    bin: 'dist/core/cli/bin.js',
    'hash-worker': 'dist/core/hash/hash-worker.js',
    'sig-worker': 'dist/core/hash/sig-worker.js',
    'step-worker': 'dist/core/run/step-worker.js',
  },
  platform: 'node',
  external: (id) => id.startsWith('node:') || (!id.startsWith('.') && !id.startsWith('/') && !INLINE.has(id.split('/')[0])),
  output: { dir: OUT, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
  logLevel: 'warn',
});
chmodSync(`${OUT}/bin.js`, 0o755);
