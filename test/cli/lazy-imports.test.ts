import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, makeFixture } from '../helpers/fixture.js';

// Loaded with --import: makes any import or require of the heavy ML runtimes (and of Vega, which only `plots` needs)
// fail loudly.
const FORBIDDEN = String.raw`/^(@tensorflow\/|nodejs-polars|onnxruntime|vega($|-))/`;
const hooks = mkdtempSync(join(tmpdir(), 'gitml-hooks-'));
writeFileSync(
  join(hooks, 'hooks.mjs'),
  `export async function resolve(specifier, context, next) {\n  if (${FORBIDDEN}.test(specifier)) throw new Error('forbidden import: ' + specifier);\n  return next(specifier, context);\n}\n`,
);
writeFileSync(
  join(hooks, 'register.mjs'),
  `import Module, { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\nconst load = Module._load;\nModule._load = function (request, ...rest) {\n  if (${FORBIDDEN}.test(request)) throw new Error('forbidden require: ' + request);\n  return load.call(this, request, ...rest);\n};\n`,
);
const register = pathToFileURL(join(hooks, 'register.mjs')).href;
// What a command that neither hashes thousands of files, nor draws a bar, nor reads git history, nor talks to a
// remote must not load either.
const UNUSED = String.raw`/^(cli-progress|piscina|isomorphic-git|@aws-sdk\/)/`;
writeFileSync(
  join(hooks, 'unused.mjs'),
  `import Module, { register } from 'node:module';\nregister('./unused-hooks.mjs', import.meta.url);\nconst load = Module._load;\nModule._load = function (request, ...rest) {\n  if (${UNUSED}.test(request)) throw new Error('unneeded require: ' + request);\n  return load.call(this, request, ...rest);\n};\n`,
);
writeFileSync(
  join(hooks, 'unused-hooks.mjs'),
  `export async function resolve(specifier, context, next) {\n  if (${UNUSED}.test(specifier)) throw new Error('unneeded import: ' + specifier);\n  return next(specifier, context);\n}\n`,
);
// polars is required (CommonJS) by the step worker; the main thread must never load it.
writeFileSync(
  join(hooks, 'main-thread.cjs'),
  `const { isMainThread } = require('node:worker_threads');\nconst Module = require('node:module');\nconst load = Module._load;\nModule._load = function (request, ...rest) {\n  if (isMainThread && /^nodejs-polars/.test(request)) throw new Error('polars in the main thread');\n  return load.call(this, request, ...rest);\n};\n`,
);

function guarded(cwd: string, args: string[], preload = ['--import', register]) {
  return spawnSync(process.execPath, [...preload, ...args], { cwd, encoding: 'utf8' });
}

describe('start-up stays light', () => {
  it('the guard itself catches an import of onnxruntime', () => {
    const r = guarded(tmpdir(), ['--input-type=module', '-e', "await import('onnxruntime-node')"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('forbidden import: onnxruntime-node');
  });

  it('--version, status and repro planning load no TensorFlow.js, polars, onnxruntime or Vega', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: echo x > a.txt\n    outs: [a.txt]\n' });
    for (const args of [['--version'], ['status'], ['repro', '--dry'], ['repro'], ['plots', 'diff', '--help']]) {
      const r = guarded(fx.dir, [CLI, ...args]);
      expect(r.stderr, args.join(' ')).not.toContain('forbidden');
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('--version, status, dag and repro --dry load no progress bar, worker pool, git library or S3 client', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: echo x > a.txt\n    outs: [a.txt]\n' });
    expect(fx.gitml('repro', '-q').code).toBe(0);
    for (const args of [['--version'], ['status'], ['dag'], ['repro', '--dry']]) {
      const r = guarded(fx.dir, [CLI, ...args], ['--import', pathToFileURL(join(hooks, 'unused.mjs')).href]);
      expect(r.stderr, args.join(' ')).not.toContain('unneeded');
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('a uses: stage loads polars in its worker thread only, never in the main thread', () => {
    const fx = makeFixture({
      'ml.yaml': 'stages:\n  in:\n    uses: gitml/data/ingest\n    with: {input: a.csv, output: a.parquet}\n',
      'a.csv': 'x,y\n1,2\n',
    });
    const r = guarded(fx.dir, [CLI, 'repro'], ['--require', join(hooks, 'main-thread.cjs')]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[in] ingest: 1 row, 2 columns from 1 file -> a.parquet');
    // The guard works: the step run as its own process loads polars in that process's main thread.
    const own = guarded(
      fx.dir,
      [CLI, 'step', 'ingest', '--with', '{"input": "a.csv", "output": "b.parquet"}'],
      ['--require', join(hooks, 'main-thread.cjs')],
    );
    expect(own.stderr).toContain('polars in the main thread');
  });

  it('Vega loads when a chart is drawn, and not before: plots show --json builds specs without it', () => {
    const fx = makeFixture({
      'ml.yaml': 'stages:\n  a:\n    cmd: echo a\n    plots: [loss.csv]\n',
      'loss.csv': 'loss\n1\n0.5\n',
    });
    const json = guarded(fx.dir, [CLI, 'plots', 'show', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const html = guarded(fx.dir, [CLI, 'plots', 'show']);
    expect(html.stderr).toMatch(/forbidden import: vega/);
  });
});
