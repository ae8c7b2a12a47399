import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('generated types', () => {
  it('core/generated/*.ts match what schemas/*.json generate (run `npm run gen:types` after editing a schema)', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-types.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    // The script names every file that drifted on stderr; show it in the failure.
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
