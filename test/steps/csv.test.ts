import pl from 'nodejs-polars';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../core/steps/csv.js';
import { makeFixture } from '../helpers/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gitml-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads `text` as a file named `name` through the strict reader. */
function read(name: string, text: string, format: 'csv' | 'tsv' = 'csv') {
  const abs = join(dir, name);
  writeFileSync(abs, text);
  return readCsv(pl, abs, { step: 'test', shown: name, format });
}

describe('readCsv', () => {
  it('fails on a line with more fields than the header, naming the file and the line', () => {
    expect(() => read('long.csv', 'a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n11,12,13\n')).toThrow(
      'test: long.csv, line 4: 4 fields where the header has 3 (a, b, c)',
    );
  });

  it('fails on a line with fewer fields than the header, naming the file and the line', () => {
    expect(() => read('short.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n')).toThrow(
      'test: short.csv, line 3: 2 fields where the header has 3 (a, b, c)',
    );
    // A short row whose last field is empty on purpose is not short: `4,5,` has three fields.
    expect(read('empty-last.csv', 'a,b,c\n1,2,3\n4,5,\n').df.toRecords()).toEqual([
      { a: 1, b: 2, c: 3 },
      { a: 4, b: 5, c: null },
    ]);
    expect(() => read('short.tsv', 'a\tb\tc\n1\t2\t3\n4\t5\n', 'tsv')).toThrow(
      'test: short.tsv, line 3: 2 fields where the header has 3 (a, b, c)',
    );
  });

  it('reads a quoted field holding the separator, a quote and a newline as one field, and counts lines past it', () => {
    const quoted = 'id,note,v\n1,"x, y\nand ""z""",3\n2,plain,4\n';
    expect(read('quoted.csv', quoted).df.toRecords()).toEqual([
      { id: 1, note: 'x, y\nand "z"', v: 3 },
      { id: 2, note: 'plain', v: 4 },
    ]);
    // The quoted newline is a line of the file: the short row below starts on line 5.
    expect(() => read('quoted-short.csv', `${quoted}3,only two\n`)).toThrow(
      'test: quoted-short.csv, line 5: 2 fields where the header has 3 (id, note, v)',
    );
    expect(() => read('quoted-long.csv', `${quoted}3,x,4,5\n`)).toThrow(
      'test: quoted-long.csv, line 5: 4 fields where the header has 3 (id, note, v)',
    );
  });

  it('skips blank lines and counts them, in LF and CRLF files', () => {
    const r = read('blank.csv', 'a,b\n1,2\n\n3,4\n\n5,6\n');
    expect(r.df.toRecords()).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: 4 },
      { a: 5, b: 6 },
    ]);
    expect(r.blankLines).toBe(2);
    const crlf = read('blank-crlf.csv', 'a,b\r\n1,2\r\n\r\n3,4\r\n');
    expect(crlf.df.toRecords()).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: 4 },
    ]);
    expect(crlf.blankLines).toBe(1);
  });

  it('widens a column whose values change type after the rows polars infers from', () => {
    const rows = Array.from({ length: 150 }, (_, i) => `${i},${i}`);
    rows.push('150,1.5', '151,n/a');
    const df = read('late.csv', `a,b\n${rows.join('\n')}\n`).df;
    expect(df.height).toBe(152);
    expect(df.getColumn('b').dtype.variant).toBe('String');
    expect(df.getColumn('b').toArray().slice(-2)).toEqual(['1.5', 'n/a']);
  });
});

describe('the data steps read CSV strictly', () => {
  const header = 'id,label,x';
  const good = Array.from({ length: 12 }, (_, i) => `${i},${i % 2 ? 'a' : 'b'},${i * 1.5}`);
  const short = [header, ...good.slice(0, 4), '4,b', ...good.slice(5)].join('\n') + '\n';
  const long = [header, ...good.slice(0, 6), '6,b,9,9', ...good.slice(7)].join('\n') + '\n';
  const STEPS = {
    profile: (input: string, out: string) => `{input: ${input}, output: ${out}.json}`,
    validate: (input: string, out: string) => `{input: ${input}, expectations: expect.yaml, output: ${out}.json}`,
    clean: (input: string, out: string) => `{input: ${input}, output: ${out}.parquet}`,
    split: (input: string, out: string) =>
      `{input: ${input}, outputs: {train: ${out}-train.parquet, test: ${out}-test.parquet}, fractions: {train: 0.5, test: 0.5}}`,
  };
  const cases = Object.keys(STEPS).flatMap((step) => [
    { step, file: 'short.csv', line: 6, fields: 2 },
    { step, file: 'long.csv', line: 8, fields: 4 },
  ]);
  const fx = makeFixture({
    'ml.yaml': `stages:\n${cases
      .map(({ step, file }) => {
        const name = `${step}-${file.replace('.csv', '')}`;
        return `  ${name}:\n    uses: gitml/data/${step}\n    with: ${STEPS[step as keyof typeof STEPS](file, `out/${name}`)}\n`;
      })
      .join('')}`,
    'expect.yaml': 'columns:\n  id: {not_null: true}\n',
    'short.csv': short,
    'long.csv': long,
  });

  it.each(cases)('$step fails on $file, line $line, and writes nothing', ({ step, file, line, fields }) => {
    const r = fx.gitml('repro', `${step}-${file.replace('.csv', '')}`);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${step}: ${file}, line ${line}: ${fields} fields where the header has 3 (id, label, x)`);
    expect(fx.exists('out')).toBe(false);
  });

  it('the same steps run on the file once the line is mended', () => {
    fx.write('short.csv', [header, ...good].join('\n') + '\n');
    fx.write('long.csv', [header, ...good].join('\n') + '\n');
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
