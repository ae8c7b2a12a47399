import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

/** Rows with nulls, quotes and repeats; every expectation below is computed from these arrays in plain JS. */
interface Row {
  id: number;
  name: string | null;
  score: number | null;
  day: string;
  zip: string;
}
function rows(from: number, n: number): Row[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      id: i,
      name: i % 7 === 3 ? null : ['ann', 'bob', 'cy, jr', 'dee'][i % 4]!,
      score: i % 5 === 1 ? null : ((i * 13) % 40) / 4,
      day: `2022-05-${String((i % 28) + 1).padStart(2, '0')}`,
      zip: String((i * 37) % 1000).padStart(5, '0'),
    };
  });
}
const cell = (v: unknown, sep: string) =>
  v === null ? '' : typeof v === 'string' && (v.includes(sep) || v.includes('"')) ? `"${v.replace(/"/g, '""')}"` : String(v);
/** A delimited file with the columns in the given order. */
const delimited = (data: Row[], cols: (keyof Row)[], sep = ',') =>
  `${cols.join(sep)}\n${data.map((r) => cols.map((c) => cell(r[c], sep)).join(sep)).join('\n')}\n`;
const COLS: (keyof Row)[] = ['id', 'name', 'score', 'day', 'zip'];

const stage = (name: string, w: string, extra = '') => `  ${name}:\n    uses: gitml/data/ingest\n${extra}    with: ${w}\n`;
const records = (fx: Fixture, path: string) => pl.readParquet(join(fx.dir, path)).toRecords() as Record<string, unknown>[];
const hmac = (key: string, v: string) => createHmac('sha256', key).update(v, 'utf8').digest('hex');

describe('gitml/data/ingest', () => {
  it('concatenates globs (sorted) and a list of CSV, TSV, JSON, NDJSON, Arrow and Parquet files, aligning columns by name, with schema casts', () => {
    // In the NDJSON part `name` first appears after 120 records, past where polars stops inferring by default.
    const late = rows(70, 150).map((r, k) => (k < 120 ? { ...r, name: null } : r));
    const parts = [rows(0, 30), rows(30, 20), rows(50, 10), rows(60, 10), late, rows(220, 6), rows(226, 4)];
    const fx = makeFixture({
      'ml.yaml': `stages:\n${stage('ingest', '{input: [raw/part-*.csv, extra/c.tsv, extra/d.json, extra/e.ndjson, "extra/*.{parquet,arrow}"], output: data/all.parquet, schema: {day: date, zip: string, score: float}}')}`,
      // Written out of order, and the second with its columns in another order: glob order and names decide.
      'raw/part-2.csv': delimited(parts[1]!, ['zip', 'score', 'name', 'id', 'day']),
      'raw/part-1.csv': delimited(parts[0]!, COLS),
      'extra/c.tsv': delimited(parts[2]!, COLS, '\t'),
      'extra/d.json': JSON.stringify(parts[3]),
      'extra/e.ndjson': `${parts[4]!.map((r) => JSON.stringify({ ...r, name: r.name ?? undefined })).join('\n')}\n`,
      'raw/notes.txt': 'not matched by the glob\n',
    });
    // Typed files: score as float, columns in another order.
    const typed = (data: Row[]) =>
      pl.DataFrame(
        data.map((r) => ({ day: r.day, zip: r.zip, id: r.id, name: r.name, score: r.score })),
        { schema: { day: pl.Utf8, zip: pl.Utf8, id: pl.Int64, name: pl.Utf8, score: pl.Float64 } },
      );
    typed(parts[6]!).writeParquet(join(fx.dir, 'extra/g.parquet'));
    typed(parts[5]!).writeIPC(join(fx.dir, 'extra/f.arrow'));
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ingest: 230 rows, 5 columns from 7 files -> data/all.parquet (cast 3 columns)');

    const expected = parts.flat();
    const out = records(fx, 'data/all.parquet');
    expect(Object.keys(out[0]!)).toEqual(COLS);
    expect(out).toHaveLength(expected.length);
    out.forEach((o, k) => {
      const e = expected[k]!;
      expect(o.id).toBe(e.id);
      expect(o.name).toBe(e.name);
      expect(o.score).toBe(e.score);
      // Read as text, so leading zeros survive.
      expect(o.zip).toBe(e.zip);
      expect((o.day as Date).toISOString().slice(0, 10)).toBe(e.day);
    });
    const types = pl.readParquet(join(fx.dir, 'data/all.parquet')).dtypes.map(String);
    expect(types).toEqual(['DataType(Int64)', 'DataType(String)', 'DataType(Float64)', 'DataType(Date)', 'DataType(String)']);

    // Nothing to do the second time; a changed setting is named; a forced rerun writes the same bytes.
    const hash = fx.lock().stages.ingest.outs['data/all.parquet'].hash;
    expect(fx.gitml('repro').stdout).toContain('Nothing to reproduce');
    expect(fx.gitml('repro', '-f').code).toBe(0);
    expect(fx.lock().stages.ingest.outs['data/all.parquet'].hash).toBe(hash);
    fx.write('ml.yaml', fx.read('ml.yaml').replace('day: date', 'day: string'));
    expect(fx.gitml('status').stdout).toContain('with `schema` changed');
  });

  it('masks columns with keyed HMAC-SHA256 tokens: equal values give equal tokens across columns, nulls stay null', () => {
    const data = rows(0, 40).map((r) => ({ ...r, buddy: r.id % 3 === 0 ? null : ['ann', 'eve'][r.id % 2]! }));
    const cols = [...COLS, 'buddy'] as (keyof (typeof data)[0])[];
    const fx = makeFixture({
      'ml.yaml': `stages:\n${stage('masked', '{input: raw.csv, output: masked.parquet, mask: [name, buddy, id], mask_key_env: TEST_MASK_KEY}', '    env: {TEST_MASK_KEY: s3cret}\n')}`,
      'raw.csv': `${cols.join(',')}\n${data.map((r) => cols.map((c) => cell(r[c], ',')).join(',')).join('\n')}\n`,
    });
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('masked name, buddy, id');
    const out = records(fx, 'masked.parquet');
    out.forEach((o, k) => {
      const e = data[k]!;
      expect(o.name).toBe(e.name === null ? null : hmac('s3cret', e.name));
      expect(o.buddy).toBe(e.buddy === null ? null : hmac('s3cret', e.buddy));
      // A number is hashed as its text.
      expect(o.id).toBe(hmac('s3cret', String(e.id)));
      expect(o.score).toBe(e.score);
    });
    expect(out.find((_, k) => data[k]!.name === 'ann')!.name).toBe(out.find((_, k) => data[k]!.buddy === 'ann')!.buddy);
  });

  it('locates ragged rows by file and line (quoted newlines counted), skips blank lines, reads CRLF files', () => {
    const quoted = 'id,note,v\n1,"two\nlines",3\n2,"a ""quoted"", comma",4\n\n';
    const fx = makeFixture({
      'ml.yaml': `stages:\n${[
        stage('ok', '{input: good.csv, output: out/ok.parquet}'),
        stage('crlf', '{input: crlf.csv, output: out/crlf.parquet}'),
        stage('short', '{input: short.csv, output: out/short.parquet}'),
        stage('long', '{input: long.csv, output: out/long.parquet}'),
        stage('plain', '{input: plain.csv, output: out/plain.parquet}'),
      ].join('')}`,
      // No quotes anywhere: only the lines of rows with a null last field are looked at.
      'plain.csv': 'a,b,c\n1,2,3\n\n4,5,\n6,7\n8,9,10\n',
      'good.csv': `${quoted}3,plain,\n\n4,x,5\n`,
      'crlf.csv': 'a,b\r\n1,2\r\n\r\n3,4\r\n',
      'short.csv': `${quoted}3,only two\n4,x,5\n`,
      'long.csv': `${quoted}3,x,4,5\n`,
    });
    const r = fx.gitml('repro', '-k', '-j', '4');
    expect(r.code).toBe(1);
    const all = r.stdout + r.stderr;
    expect(all).toContain('ingest: short.csv, line 6: 2 fields where the header has 3 (id, note, v)');
    expect(all).toContain('ingest: long.csv, line 6: 4 fields where the header has 3 (id, note, v)');
    expect(all).toContain('ingest: plain.csv, line 5: 2 fields where the header has 3 (a, b, c)');
    expect(all).toContain('ingest: 4 rows, 3 columns from 1 file -> out/ok.parquet (skipped 2 blank lines)');
    expect(records(fx, 'out/ok.parquet')).toEqual([
      { id: 1, note: 'two\nlines', v: 3 },
      { id: 2, note: 'a "quoted", comma', v: 4 },
      { id: 3, note: 'plain', v: null },
      { id: 4, note: 'x', v: 5 },
    ]);
    expect(records(fx, 'out/crlf.parquet')).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: 4 },
    ]);
    expect(['short', 'long', 'plain'].some((n) => fx.exists(`out/${n}.parquet`))).toBe(false);
  });

  it('fails with a clear message, exit 1 and no output for missing, empty, mismatched or uncastable input', () => {
    const good = delimited(rows(0, 10), COLS);
    const fx = makeFixture({
      'ml.yaml': `stages:\n${[
        stage('noglob', '{input: "raw/*.parquet", output: out/noglob.parquet}'),
        stage('empty', '{input: empty.csv, output: out/empty.parquet}'),
        stage('header', '{input: header.csv, output: out/header.parquet}'),
        stage('mismatch', '{input: [a.csv, b.csv], output: out/mismatch.parquet}'),
        stage('badcast', '{input: a.csv, output: out/badcast.parquet, schema: {name: int}}'),
        stage('baddate', '{input: a.csv, output: out/baddate.parquet, schema: {zip: date}}'),
        stage('nocol', '{input: a.csv, output: out/nocol.parquet, schema: {nope: int}}'),
        stage('nomaskcol', '{input: a.csv, output: out/nomaskcol.parquet, mask: [nope]}', '    env: {GITML_MASK_KEY: k}\n'),
        stage('nokey', '{input: a.csv, output: out/nokey.parquet, mask: [name], mask_key_env: GITML_TEST_UNSET_KEY}'),
        stage('object', '{input: obj.json, output: out/object.parquet}'),
        stage('unknown', '{input: data.txt, output: out/unknown.parquet}'),
      ].join('')}`,
      'a.csv': good,
      'b.csv': delimited(rows(10, 5), ['id', 'name', 'score', 'day']),
      'raw/x.csv': good,
      'empty.csv': '',
      'header.csv': 'id,name\n',
      'obj.json': '{"id": [1, 2]}',
      'data.txt': good,
    });
    delete process.env.GITML_TEST_UNSET_KEY;
    const r = fx.gitml('repro', '-k', '-j', '4');
    expect(r.code).toBe(1);
    const all = r.stdout + r.stderr;
    expect(all).toContain('ingest: input `raw/*.parquet` matches no file');
    expect(all).toContain('ingest: empty.csv is empty');
    expect(all).toContain('ingest: header.csv has no rows');
    expect(all).toContain('ingest: b.csv has columns id, name, score, day but a.csv has id, name, score, day, zip (missing: zip)');
    expect(all).toContain('ingest: schema: column `name`: 9 values cannot be read as int, e.g. "ann"');
    expect(all).toContain('ingest: schema: column `zip`: 10 values cannot be read as date, e.g. "00000"');
    expect(all).toContain('ingest: schema: column `nope` does not exist; the columns are id, name, score, day, zip');
    expect(all).toContain('ingest: mask: column `nope` does not exist; the columns are id, name, score, day, zip');
    expect(all).toContain('ingest: mask: set the environment variable GITML_TEST_UNSET_KEY to a secret key');
    expect(all).toContain('ingest: obj.json: expected a JSON array of records, found an object first');
    expect(all).toContain('ingest: data.txt: cannot tell the format from its extension; set `format`');
    expect(fx.exists('out')).toBe(false);

    // A missing file listed in ml.yaml stops repro before any stage runs; the step itself names it too.
    const step = fx.gitml('step', 'ingest', '--with', JSON.stringify({ input: ['a.csv', 'nope.csv'], output: 'out/missing.parquet' }));
    expect(step.code).toBe(1);
    expect(step.stderr).toContain('ingest: nope.csv does not exist');
    const self = fx.gitml('step', 'ingest', '--with', JSON.stringify({ input: 'out/x.parquet', output: 'out/x.parquet' }));
    expect(self.stderr).toContain('ingest: input `out/x.parquet` is also the output');

    // `format` reads a file whatever its extension says.
    fx.write('ml.yaml', `stages:\n${stage('unknown', '{input: data.txt, output: out/unknown.parquet, format: csv}')}`);
    expect(fx.gitml('repro').code).toBe(0);
    expect(records(fx, 'out/unknown.parquet')).toHaveLength(10);
  });
});
