#!/usr/bin/env node
// Bundles each GitHub Action (actions/<verb>/main.ts) with its dependencies (@actions/core, @actions/github and
// gitml's pure core/ci modules) into one ES module, actions/<verb>/dist/index.mjs, which is committed: a runner runs it
// as it is, with no install step. Heavy work goes through the user's installed gitml CLI, so nothing native is bundled.
//
//   node scripts/bundle-actions.mjs           write actions/*/dist
//   node scripts/bundle-actions.mjs --out DIR  write DIR/<verb>/index.mjs instead (the drift test compares the two)
import { readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'rolldown';

export const ACTIONS = readdirSync('actions', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('actions', d.name, 'action.yml')))
  .map((d) => d.name)
  .sort();

const at = process.argv.indexOf('--out');
const outRoot = at >= 0 ? process.argv[at + 1] : undefined;

for (const verb of ACTIONS) {
  const dir = outRoot ? join(outRoot, verb) : join('actions', verb, 'dist');
  rmSync(dir, { recursive: true, force: true });
  await build({
    input: join('actions', verb, 'main.ts'),
    platform: 'node',
    // Sources import './x.js' as TypeScript's NodeNext resolution wants; the files are .ts.
    resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
    output: {
      file: join(dir, 'index.mjs'),
      format: 'esm',
      codeSplitting: false,
      comments: { legal: false },
    },
    logLevel: 'warn',
  });
}
