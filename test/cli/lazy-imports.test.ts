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

function guarded(cwd: string, args: string[]) {
  return spawnSync(process.execPath, ['--import', register, ...args], { cwd, encoding: 'utf8' });
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
