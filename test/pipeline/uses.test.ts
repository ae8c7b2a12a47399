import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../core/pipeline/parse.js';
import { stageKeyRecord } from '../../core/plan/stage-key.js';
import { stageStatus } from '../../core/plan/stage-status.js';
import { toStageLock } from '../../core/lockfile/entry.js';
import { globBase } from '../../core/steps/registry.js';

const parse = (text: string) => parsePipeline(text, () => null);

describe('uses: built-in steps in ml.yaml', () => {
  it('derives deps and outs from the step settings, relative to wdir, and runs `gitml step`', () => {
    const { pipeline, problems } = parse(`stages:
  check:
    uses: gitml/data/validate
    wdir: data
    with: {input: clean.parquet, expectations: ../expect.yaml, output: reports/valid.json}
    deps: [extra.txt]
  split:
    uses: gitml/data/split
    with:
      input: data/clean.parquet
      outputs: {train: data/train.parquet, test: data/test.parquet}
      fractions: {train: 0.8, test: 0.2}
      seed: 1
`);
    expect(problems).toEqual([]);
    const [check, split] = pipeline!.stages;
    expect(check!.cmd).toEqual(['gitml step validate']);
    expect(check!.deps).toEqual(['data/clean.parquet', 'data/extra.txt', 'expect.yaml']);
    expect(check!.outs.map((o) => [o.path, o.cache])).toEqual([['data/reports/valid.json', false]]);
    expect(check!.with).toEqual({ input: 'clean.parquet', expectations: '../expect.yaml', output: 'reports/valid.json' });
    expect(split!.outs.map((o) => [o.path, o.cache])).toEqual([
      ['data/train.parquet', true],
      ['data/test.parquet', true],
    ]);
  });

  it('depends on the directory of a glob', () => {
    expect(globBase('data/raw/*.csv')).toBe('data/raw');
    expect(globBase('data/**/part-?.csv')).toBe('data');
    expect(globBase('data/raw/a.csv')).toBeUndefined();
    const { pipeline } = parse(`stages:
  ingest:
    uses: gitml/data/ingest
    with: {input: [data/raw/*.csv, extra/b.tsv], output: data/all.parquet}
`);
    expect(pipeline!.stages[0]!.deps).toEqual(['data/raw', 'extra/b.tsv']);
  });

  it('reports an unknown step, wrong keys and types with line, column and the accepted keys', () => {
    const { problems } = parse(`stages:
  a:
    uses: gitml/data/profil
    with: {input: x.csv, output: p.json}
  b:
    uses: gitml/data/profile
    with: {input: x.csv, output: p.json, bins: many, colour: red}
  c:
    uses: gitml/data/clean
    cmd: echo hi
    with: {input: x.csv, output: y.parquet}
  d:
    uses: gitml/data/split
    with: {input: x.csv}
`);
    expect(problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)).toEqual([
      '3:11 stages.a.uses: unknown step `gitml/data/profil`; did you mean `gitml/data/profile`?',
      '7:48 stages.b.with.bins: expected an integer, got the string "many"',
      '7:54 stages.b.with.colour: unknown key `colour` (profile accepts: input, output, html, label, bins, top, correlations)',
      '10:10 stages.c.cmd: a stage runs either `cmd` or a built-in step (`uses`), not both',
      '14:11 stages.d.with: missing `outputs`',
      '14:11 stages.d.with: missing `fractions`',
    ]);
  });

  it('puts with: in the stage key and the lockfile, and says which setting changed', () => {
    const text = (bins: number) => `stages:
  p:
    uses: gitml/data/profile
    with: {input: x.csv, output: p.json, bins: ${bins}}
`;
    const a = parse(text(10)).pipeline!.stages[0]!;
    const b = parse(text(20)).pipeline!.stages[0]!;
    const hash = { hash: 'blake3:00', size: 1 };
    const deps = new Map([['x.csv', hash]]);
    expect(stageKeyRecord(a, deps).with).toEqual({ input: 'x.csv', output: 'p.json', bins: 10 });
    const lock = toStageLock(a, deps, new Map([['p.json', hash]]));
    expect(lock.with).toEqual({ input: 'x.csv', output: 'p.json', bins: 10 });
    expect(stageStatus(b, lock, () => hash).reasons).toEqual(['with `bins` changed `10 -> 20`']);
    expect(stageStatus(a, lock, () => hash).changed).toBe(false);
  });

  it('keeps the type of a setting that is only ${...}, and tracks the param', () => {
    const { pipeline, problems } = parsePipeline(
      `stages:
  s:
    uses: gitml/data/split
    with:
      input: d.parquet
      outputs: {train: a.parquet, test: b.parquet}
      fractions:
        train: \${split.train}
        test: 0.25
      seed: \${split.seed}
`,
      (p) => (p === 'params.yaml' ? 'split:\n  train: 0.75\n  seed: 7\n' : null),
    );
    expect(problems).toEqual([]);
    const s = pipeline!.stages[0]!;
    expect(s.with).toMatchObject({ fractions: { train: 0.75, test: 0.25 }, seed: 7 });
    expect(s.params).toEqual({ 'params.yaml': { 'split.seed': 7, 'split.train': 0.75 } });
  });

  it('leaves the key of a cmd stage without a `with` field', () => {
    const s = parse('stages:\n  a:\n    cmd: echo\n').pipeline!.stages[0]!;
    expect('with' in stageKeyRecord(s, new Map())).toBe(false);
  });
});
