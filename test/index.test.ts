import { describe, expect, it } from 'vitest';
import { makeFixture } from './helpers/fixture.js';

describe('the package entry point', () => {
  it('exports the operations and runs a pipeline without the CLI', async () => {
    const gitml = await import('gitml');
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  hello:\n    cmd: echo hi > hi.txt\n    outs: [hi.txt]\n' });
    const lines: string[] = [];
    const r = await gitml.repro({ cwd: fx.dir, print: (l) => lines.push(l) });
    expect(r.outcomes.get('hello')).toBe('ran');
    expect(lines).toContain('Running stage `hello` (never run)');
    expect((await gitml.status({ cwd: fx.dir })).stages.hello).toEqual({ changed: false, reasons: [] });
    await expect(gitml.status({ cwd: fx.dir, targets: ['nope'] })).rejects.toBeInstanceOf(gitml.UnknownStageError);
  });
});
