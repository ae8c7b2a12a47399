import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { updateIgnored } from '../../core/run/gitignore.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A workspace root holding `.gitignore` with `text` (none when undefined). */
function root(text?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitml-ignore-'));
  dirs.push(dir);
  if (text !== undefined) writeFileSync(join(dir, '.gitignore'), text);
  return dir;
}
const read = (dir: string) => readFileSync(join(dir, '.gitignore'), 'utf8');

describe('updateIgnored', () => {
  it('ends with the same file whatever order outputs are added in', () => {
    const outputs = ['b.txt', 'a/data', 'c.bin'];
    const orders = [outputs, [...outputs].reverse(), ['c.bin', 'b.txt', 'a/data']];
    const results = orders.map((order) => {
      const dir = root('node_modules\n');
      for (const p of order) updateIgnored(dir, { add: [p], outputs });
      return read(dir);
    });
    expect(results).toEqual(Array(3).fill('node_modules\n/a/data\n/b.txt\n/c.bin\n'));
  });

  it('drops only the `/path` lines of removed outputs; other lines stay where they are', () => {
    const dir = root('# mine\n/old.txt\nold.txt\n*.log\n/keep.txt\n/old.txt\n');
    expect(updateIgnored(dir, { add: [], drop: ['old.txt'], outputs: ['keep.txt'] })).toEqual(['/old.txt', '/old.txt']);
    expect(read(dir)).toBe('# mine\nold.txt\n*.log\n/keep.txt\n');
  });

  it('leaves the file untouched when nothing changes, and adds nothing a user line already covers', () => {
    const dir = root('model.pkl\n');
    updateIgnored(dir, { add: ['model.pkl'], outputs: ['model.pkl'] });
    expect(read(dir)).toBe('model.pkl\n');
    const none = root();
    updateIgnored(none, { add: ['z', 'a'] });
    expect(read(none)).toBe('/a\n/z\n');
  });
});
