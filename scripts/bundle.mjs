#!/usr/bin/env node
// Bundles the CLI (after tsc) into dist/cli/: gitml's own modules, yaml and commander in a few files instead of about
// 150. Node pays for every module file it resolves, reads and links, and more for an ES module than for CommonJS; that
// made `gitml status` on a small project take 2.5 times Node's own start. Commands still load lazily: each dynamic
// import becomes a chunk. Native and large packages (polars, BLAKE3, isomorphic-git, the AWS SDK, Vega, piscina) stay
// external and load from node_modules when used.
//
// - bin.cjs: what `gitml` runs. It turns on Node's on-disk compile cache (Node 22.1 and later), so that from the second
//   run on the chunks are not parsed again, then loads cli.cjs.
// - cli.cjs and its chunks (*.cjs): the CLI, CommonJS.
// - hash-worker.js, sig-worker.js, place-worker.js, step-worker.js, tune-worker.js, log-worker.js, model-worker.js: the worker threads, ES modules (the hash workers use top-level
//   await). They sit beside the chunks, where `new URL('./step-worker.js', import.meta.url)` looks for them.
// - bin.js: an ES module that runs bin.cjs, for what starts the CLI by that name (`gitml exp run` does).
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'rolldown';

const OUT = 'dist/cli';
/** Small pure-JS packages: inlined. p-limit is an ES module only, which CommonJS cannot require before Node 22.12. */
const INLINE = new Set(['yaml', 'commander', 'fastest-levenshtein', 'p-limit', 'yocto-queue']);
const external = (id) => id.startsWith('node:') || (!id.startsWith('.') && !id.startsWith('/') && !INLINE.has(id.split('/')[0]));

rmSync(OUT, { recursive: true, force: true });
await build({
  input: { cli: 'dist/core/cli/bin.js' },
  platform: 'node',
  external,
  output: { dir: OUT, format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs' },
  logLevel: 'silent',
});
await build({
  input: {
    'hash-worker': 'dist/core/hash/hash-worker.js',
    'sig-worker': 'dist/core/hash/sig-worker.js',
    'place-worker': 'dist/core/cache/place-worker.js',
    'step-worker': 'dist/core/run/step-worker.js',
    'tune-worker': 'dist/core/steps/model/tune-worker.js',
    'log-worker': 'dist/core/serve/log-worker.js',
    'model-worker': 'dist/core/serve/model-worker.js',
  },
  platform: 'node',
  external,
  output: { dir: OUT, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'worker-[name]-[hash].js' },
  logLevel: 'silent',
});
writeFileSync(`${OUT}/bin.cjs`, "#!/usr/bin/env node\nrequire('node:module').enableCompileCache?.();\nrequire('./cli.cjs');\n");
writeFileSync(`${OUT}/bin.js`, "#!/usr/bin/env node\nimport './bin.cjs';\n");
chmodSync(`${OUT}/bin.cjs`, 0o755);
chmodSync(`${OUT}/bin.js`, 0o755);
