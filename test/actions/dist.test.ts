import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const ACTIONS = ['plan', 'report', 'run'];
const fresh = mkdtempSync(join(tmpdir(), 'gitml-actions-'));
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

describe('actions/*/dist', () => {
  it('holds one action per folder, each on node24 from its bundled dist', () => {
    const folders = readdirSync(join(ROOT, 'actions'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'shared')
      .map((d) => d.name)
      .sort();
    expect(folders).toEqual(ACTIONS);
    for (const verb of ACTIONS) {
      const action = parse(readFileSync(join(ROOT, 'actions', verb, 'action.yml'), 'utf8')) as { runs: { using: string; main: string } };
      expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.mjs' });
    }
  });

  it('is what the sources bundle to (run `npm run build:actions` and commit when this fails)', () => {
    execFileSync(process.execPath, ['scripts/bundle-actions.mjs', '--out', fresh], { cwd: ROOT, stdio: 'pipe' });
    for (const verb of ACTIONS) {
      const committed = readFileSync(join(ROOT, 'actions', verb, 'dist', 'index.mjs'), 'utf8');
      const rebuilt = readFileSync(join(fresh, verb, 'index.mjs'), 'utf8');
      expect(committed === rebuilt, `actions/${verb}/dist/index.mjs is stale: run \`npm run build:actions\``).toBe(true);
    }
  });
});
