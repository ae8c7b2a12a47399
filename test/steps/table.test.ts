import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

// Every step writing a different format, each read by the next: the output's extension chooses the format.
const PIPELINE = `stages:
  ingest:
    uses: gitml/data/ingest
    with: {input: raw/rows.csv, output: data/rows.csv}
  clean:
    uses: gitml/data/clean
    with: {input: data/rows.csv, output: data/clean.tsv, drop_nulls: [score]}
  features:
    uses: gitml/data/features
    with: {input: data/clean.tsv, output: data/feats.ndjson, transform: models/t.json, standardize: [score]}
  split:
    uses: gitml/data/split
    with: {input: data/feats.ndjson, outputs: {train: data/train.arrow, test: data/test.json}, fractions: {train: 0.75, test: 0.25}, seed: 1}
`;

const RAW = `id,name,score\n${Array.from({ length: 40 }, (_, i) => `${i},${['ann', 'bob', 'cy'][i % 3]},${i % 10 === 3 ? '' : i / 2}`).join('\n')}\n`;

describe('built-in steps write the format their output names', () => {
  it('CSV, TSV, NDJSON, Arrow and JSON outputs, each read by the next step, byte-identical when rerun', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'raw/rows.csv': RAW });
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const csv = fx.read('data/rows.csv').split('\n');
    expect(csv[0]).toBe('id,name,score');
    expect(csv.filter(Boolean)).toHaveLength(41);
    const tsv = fx.read('data/clean.tsv').split('\n').filter(Boolean);
    expect(tsv[0]).toBe('id\tname\tscore');
    expect(tsv).toHaveLength(37); // four rows with no score dropped
    const ndjson = fx.read('data/feats.ndjson').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ndjson).toHaveLength(36);
    expect(Object.keys(ndjson[0]!)).toEqual(['id', 'name', 'score']);
    const mean = ndjson.reduce((s, row) => s + (row.score as number), 0) / ndjson.length;
    expect(Math.abs(mean)).toBeLessThan(1e-9); // standardized
    const train = pl.readIPC(readFileSync(join(fx.dir, 'data/train.arrow')));
    const test = JSON.parse(fx.read('data/test.json')) as unknown;
    expect(train.height).toBe(27);
    expect(Array.isArray(test) ? test.length : pl.readJSON(join(fx.dir, 'data/test.json')).height).toBe(9);

    const outs = (): Record<string, string> =>
      Object.fromEntries(
        Object.values(fx.lock().stages as Record<string, { outs: Record<string, { hash: string }> }>).flatMap((s) =>
          Object.entries(s.outs).map(([p, e]) => [p, e.hash]),
        ),
      );
    const before = outs();
    const bytes = readFileSync(join(fx.dir, 'data/train.arrow'));
    expect(fx.gitml('repro', '-f', '--no-run-cache').code).toBe(0);
    expect(outs()).toEqual(before);
    expect(readFileSync(join(fx.dir, 'data/train.arrow')).equals(bytes)).toBe(true);
  });

  it('an output with an extension no format has is refused in words, with its location', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE.replace('output: data/rows.csv', 'output: data/rows.txt'), 'raw/rows.csv': RAW });
    const r = fx.gitml('repro');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'ml.yaml:4:41: stages.ingest.with.output: must end in .csv, .tsv, .parquet, .json, .ndjson or .arrow: the extension chooses the format written; got `data/rows.txt`',
    );
    expect(r.stderr).not.toContain('\\.(');
    expect(fx.exists('data')).toBe(false);
  });
});
