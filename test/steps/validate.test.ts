import { describe, expect, it } from 'vitest';
import { parseExpectations } from '../../core/steps/expectations.js';
import { makeFixture, type Fixture } from '../helpers/fixture.js';
import { mean, std } from '../helpers/stats.js';
import type { ValidationResult } from '../../core/steps/validate.js';

/** 200 rows with known nulls and values; every statistic below is computed from these arrays in plain JS. */
const N = 200;
const SPECIES = ['cat', 'dog', 'bird'];
interface Row {
  id: number;
  species: string | null;
  weight: number | null;
  ts: string;
  code: string;
  flag: boolean;
}
function rows(): Row[] {
  return Array.from({ length: N }, (_, i) => ({
    id: i + 1,
    species: i % 50 === 7 ? null : SPECIES[i % 3]!,
    weight: i % 40 === 3 ? null : ((i * 37) % 100) / 10 + 0.5,
    ts: `2021-02-${String((i % 28) + 1).padStart(2, '0')}`,
    code: `${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + ((i * 7) % 26))}${String(i % 100).padStart(2, '0')}`,
    flag: i % 4 === 0,
  }));
}
const csv = (data: Row[]) =>
  `id,species,weight,ts,code,flag\n${data.map((r) => [r.id, r.species ?? '', r.weight ?? '', r.ts, r.code, r.flag].join(',')).join('\n')}\n`;

const PIPELINE = (examples = 3) => `stages:
  check:
    uses: gitml/data/validate
    with: {input: data/rows.csv, expectations: expect.yaml, output: reports/validation.json, examples: ${examples}}
`;

const PASSING = `rows: {min: 100, max: 1000}
column_set: {exactly: [id, species, weight, ts, code, flag]}
columns:
  id: {type: int, unique: true, not_null: true, min: 1}
  species: {type: category, not_null: {mostly: 0.95}, in: [cat, dog, bird]}
  weight: {type: float, min: 0, max: 10.5, not_null: {mostly: 0.9}, mean: {min: 0, max: 100}, std: {min: 0}}
  ts: {type: date, min: "2021-02-01", max: "2021-02-28"}
  code: {regex: '[A-Z]{2}\\d{2}'}
  flag: {type: bool, in: {values: [false], mostly: 0.7}}
`;

function workspace(data: Row[], expectations: string, examples = 3): Fixture {
  return makeFixture({ 'ml.yaml': PIPELINE(examples), 'data/rows.csv': csv(data), 'expect.yaml': expectations });
}

const find = (results: ValidationResult[], column: string | null, expectation: string) => {
  const r = results.find((x) => x.column === column && x.expectation === expectation);
  if (!r) throw new Error(`no result for ${column} ${expectation}`);
  return r;
};

describe('gitml/data/validate', () => {
  it('passes when every expectation holds, reporting counts and statistics that match the data', () => {
    const data = rows();
    const fx = workspace(data, PASSING);
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('data/rows.csv: 21 of 21 expectations passed on 200 rows');

    const report = JSON.parse(fx.read('reports/validation.json'));
    expect(report.success).toBe(true);
    expect(report.rows).toBe(N);
    expect(report.statistics).toEqual({ evaluated: 21, passed: 21, failed: 0 });
    const results: ValidationResult[] = report.results;
    // Results follow the file: table expectations, then columns and keys as written.
    expect(results.map((x) => `${x.column ?? ''}.${x.expectation}`).slice(0, 7)).toEqual([
      '.rows',
      '.column_set',
      'id.type',
      'id.unique',
      'id.not_null',
      'id.min',
      'species.type',
    ]);

    const weights = data.flatMap((d) => (d.weight === null ? [] : [d.weight]));
    const speciesNulls = data.filter((d) => d.species === null).length;
    expect(find(results, 'species', 'not_null')).toMatchObject({
      offending: speciesNulls,
      share: speciesNulls / N,
      observed: 1 - speciesNulls / N,
    });
    expect(find(results, 'weight', 'not_null')).toMatchObject({ offending: N - weights.length, share: (N - weights.length) / N });
    expect(find(results, 'weight', 'min').observed).toBe(Math.min(...weights));
    expect(find(results, 'weight', 'max').observed).toBe(Math.max(...weights));
    expect(find(results, 'weight', 'mean').observed).toBeCloseTo(mean(weights), 9);
    expect(find(results, 'weight', 'std').observed).toBeCloseTo(std(weights), 9);
    expect(find(results, 'id', 'unique')).toMatchObject({ offending: 0, observed: N });
    expect(find(results, 'ts', 'type')).toMatchObject({ success: true, offending: 0, observed: 'string' });
    expect(find(results, 'ts', 'min').observed).toBe('2021-02-01');
    expect(find(results, 'ts', 'max').observed).toBe('2021-02-28');
    // `mostly` lets some rows offend: they are counted and shown even though the expectation passes.
    const trues = data.filter((d) => d.flag).length;
    expect(find(results, 'flag', 'in')).toMatchObject({
      success: true,
      offending: trues,
      share: trues / N,
      examples: [true],
      observed: 1 - trues / N,
    });
    expect(find(results, null, 'rows')).toMatchObject({ success: true, observed: N });

    // Nothing changed: nothing runs.
    const again = fx.gitml('repro');
    expect(again.stdout).toContain('Nothing to reproduce');
    expect(again.stdout).not.toContain('Running stage');

    fx.write('ml.yaml', PIPELINE(5));
    expect(fx.gitml('status').stdout).toContain('with `examples` changed');
    // A changed expectations file is a changed dependency.
    fx.write('ml.yaml', PIPELINE(3));
    fx.write('expect.yaml', PASSING.replace('min: 100,', 'min: 150,'));
    expect(fx.gitml('status').stdout).toContain('expect.yaml');
  });

  it('fails on injected problems, naming each failed expectation with counts and examples, after writing the report', () => {
    const data = rows();
    data[10]!.species = 'cow';
    data[11]!.species = 'fish';
    data[12]!.species = 'cow';
    data[20]!.weight = -3;
    data[21]!.weight = -0.5;
    data[30]!.weight = 42;
    data[40]!.id = 1; // a duplicate of row 0
    data[50]!.ts = '2021-13-01';
    data[51]!.code = 'abc';
    for (const i of [60, 61, 62, 63, 64, 65, 66, 67, 68, 69]) data[i]!.species = null;
    const expectations = `${PASSING.replace('  flag:', '  zip: {not_null: true}\n  flag:')}`;
    const fx = workspace(data, expectations);
    const r = fx.gitml('repro');
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;

    // Independently: what offends each expectation.
    const speciesNulls = data.filter((d) => d.species === null).length;
    const speciesNonNull = N - speciesNulls;
    const weights = data.flatMap((d) => (d.weight === null ? [] : [d.weight]));
    expect(out).toContain(`validate: 9 of 22 expectations failed on data/rows.csv (200 rows; report: reports/validation.json)`);
    expect(out).toContain(
      `\`species\` not_null (mostly 0.95): ${speciesNulls} of 200 rows are null (${Number(((speciesNulls / N) * 100).toFixed(2))}%)`,
    );
    expect(out).toContain(`\`species\` in [cat, dog, bird]: 3 of ${speciesNonNull} non-null values offend`);
    expect(out).toContain('e.g. "cow", "fish"');
    expect(out).toContain(
      `\`weight\` min 0: 2 of ${weights.length} non-null values offend (${Number(((2 / weights.length) * 100).toFixed(2))}%), e.g. -3, -0.5`,
    );
    expect(out).toContain(`\`weight\` max 10.5: 1 of ${weights.length} non-null values offend`);
    expect(out).toContain('`id` unique: 2 of 200 non-null values offend (1%), e.g. 1');
    expect(out).toContain('`ts` type date: 1 of 200 non-null values offend (0.5%), e.g. "2021-13-01"');
    // Text order: the ISO dates compare as dates, and the bad month sorts after every real one.
    expect(out).toContain('`ts` max 2021-02-28: 1 of 200 non-null values offend (0.5%), e.g. "2021-13-01"');
    expect(out).toContain('`code` regex [A-Z]{2}\\d{2}: 1 of 200 non-null values offend (0.5%), e.g. "abc"');
    expect(out).toContain('`zip` exists: no such column; the columns are id, species, weight, ts, code, flag');

    // The report was written before the stage failed; the stage is not recorded, so the next repro runs it again.
    const report = JSON.parse(fx.read('reports/validation.json'));
    expect(report.success).toBe(false);
    expect(report.statistics).toEqual({ evaluated: 22, passed: 13, failed: 9 });
    const results: ValidationResult[] = report.results;
    expect(find(results, 'species', 'in')).toMatchObject({
      success: false,
      offending: 3,
      share: 3 / speciesNonNull,
      examples: ['cow', 'fish'],
    });
    expect(find(results, 'weight', 'min').examples).toEqual([-3, -0.5]);
    expect(find(results, 'weight', 'min').observed).toBe(-3);
    expect(find(results, 'weight', 'max')).toMatchObject({ offending: 1, examples: [42], observed: 42 });
    expect(find(results, 'zip', 'exists')).toMatchObject({ success: false, observed: ['id', 'species', 'weight', 'ts', 'code', 'flag'] });
    expect(results.filter((x) => x.column === 'zip')).toHaveLength(1);
    expect(fx.exists('ml.lock.json') ? fx.lock().stages.check : undefined).toBeUndefined();
    expect(fx.gitml('status').stdout).toContain('never run');
  });

  it('checks the expectations file first: every problem with file:line:col and a suggestion, no report', () => {
    const fx = workspace(
      rows(),
      `row: {min: 10}
columns:
  species: {typ: string, in: cat}
  weight: {type: flaot, min: {value: 0, mostly: 2}}
  id: {type: integer, unique: 1}
  exactly: [id, species]
`,
    );
    const r = fx.gitml('repro');
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain('validate: expect.yaml is invalid:');
    expect(out).toContain('expect.yaml:1:1: row: unknown key `row`; did you mean `rows`?');
    expect(out).toContain('expect.yaml:3:13: columns.species.typ: unknown key `typ`; did you mean `type`?');
    expect(out).toContain('expect.yaml:3:30: columns.species.in: expected a non-empty list of allowed values, got the string `cat`');
    expect(out).toContain('expect.yaml:4:18: columns.weight.type: unknown type `flaot`; did you mean `float`?');
    expect(out).toContain('columns.weight.min.mostly: expected a share between 0 (excluded) and 1');
    expect(out).toContain('expect.yaml:5:14: columns.id.type: unknown type `integer`; did you mean `int`?');
    expect(out).toContain('columns.id.unique: expected true or false, got `1`');
    expect(out).toContain('for the set of columns write `column_set: {exactly: [...]}` at the top level');
    expect(fx.exists('reports/validation.json')).toBe(false);

    // A pattern polars cannot run is found before any data is checked, at its place in the file.
    fx.write('expect.yaml', "columns:\n  code: {regex: '(?=A)[A-Z]+'}\n");
    const re = fx.gitml('repro');
    expect(re.code).toBe(1);
    expect(re.stdout + re.stderr).toContain('expect.yaml:2:10: columns.code.regex: invalid regular expression `(?=A)[A-Z]+`: look-around');
    expect(fx.exists('reports/validation.json')).toBe(false);

    fx.write('expect.yaml', 'columns:\n  id: {type: int\n');
    expect(fx.gitml('repro').stdout).toContain('expect.yaml:3:1: invalid YAML');
  });

  it('lists the first 10 problems of an expectations file and says how many more there are', () => {
    const columns = Array.from({ length: 15 }, (_, i) => `  c${i}: {typ: int}`).join('\n');
    const fx = workspace(rows(), `columns:\n${columns}\n`);
    const r = fx.gitml('step', 'validate', '--with', JSON.stringify({ input: 'data/rows.csv', expectations: 'expect.yaml', output: 'out.json' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('expect.yaml:11:8: columns.c9.typ: unknown key `typ`');
    expect(r.stderr).not.toContain('columns.c10.typ');
    expect(r.stderr).toContain('... and 5 more problems in expect.yaml');
    expect(fx.exists('out.json')).toBe(false);
  });

  it('names a missing input, a missing expectations file and an empty dataset', () => {
    const fx = workspace(rows(), PASSING);
    fx.write('data/rows.csv', 'id,species,weight,ts,code,flag\n');
    const empty = fx.gitml('repro');
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('validate: data/rows.csv has no rows');
    expect(fx.exists('reports/validation.json')).toBe(false);

    const byHand = (w: Record<string, unknown>) => fx.gitml('step', 'validate', '--with', JSON.stringify(w));
    const noData = byHand({ input: 'data/none.csv', expectations: 'expect.yaml', output: 'out.json' });
    expect(noData.code).toBe(1);
    expect(noData.stderr).toContain('validate: data/none.csv does not exist');
    const noExp = byHand({ input: 'data/rows.csv', expectations: 'nope.yaml', output: 'out.json' });
    expect(noExp.code).toBe(1);
    expect(noExp.stderr).toContain('validate: expectations file nope.yaml does not exist');
    expect(fx.exists('out.json')).toBe(false);
  });

  it('reports bounds that do not fit the column instead of guessing, and passes a text column whose values parse', () => {
    const fx = workspace(
      rows(),
      `columns:
  weight: {min: "2021-01-01"}
  ts: {min: 5, type: datetime}
  flag: {regex: 'true|false', mean: {min: 0}}
  id: {type: float, in: [1, 2]}
`,
    );
    const r = fx.gitml('repro');
    expect(r.code).toBe(1);
    const results: ValidationResult[] = JSON.parse(fx.read('reports/validation.json')).results;
    expect(find(results, 'weight', 'min')).toMatchObject({
      success: false,
      offending: null,
      error: 'min 2021-01-01: `weight` is float64, which has no order to compare `2021-01-01` with',
    });
    // Text that is no number cannot be above a numeric minimum: it offends, and is shown.
    expect(find(results, 'ts', 'min')).toMatchObject({
      success: false,
      offending: 200,
      examples: ['2021-02-01', '2021-02-02', '2021-02-03'],
    });
    expect(find(results, 'ts', 'type')).toMatchObject({
      success: false,
      offending: 200,
      examples: ['2021-02-01', '2021-02-02', '2021-02-03'],
    });
    expect(find(results, 'flag', 'regex')).toMatchObject({ success: true, offending: 0 });
    expect(find(results, 'flag', 'mean').error).toBe('mean needs numbers; `flag` is bool');
    expect(find(results, 'id', 'type')).toMatchObject({ success: true, observed: 'int64' });
    expect(find(results, 'id', 'in')).toMatchObject({ success: false, offending: 198, examples: [3, 4, 5] });
  });
});

describe('the expectations file', () => {
  it('reads every form, keeping the file order of columns (numeric names included)', () => {
    const { value, problems } = parseExpectations(
      `columns:
  zeta: {in: {values: [a, 1, true], mostly: 0.9}, regex: {pattern: 'a+', mostly: 0.5}}
  2020: {min: {value: -1, mostly: 0.99}, max: "2030-01-01", not_null: false, unique: false}
  alpha:
rows: {max: 10}
column_set: {at_least: [alpha, 2020]}
`,
      'e.yaml',
    );
    expect(problems).toEqual([]);
    expect(value.columns.map((c) => c.name)).toEqual(['zeta', '2020', 'alpha']);
    const [zeta, year, alpha] = value.columns;
    expect(zeta!.checks).toMatchObject([
      {
        kind: 'in',
        values: ['a', 1, true],
        mostly: 0.9,
        path: 'columns.zeta.in',
        origin: { line: 2, col: 10 },
        expected: { values: ['a', 1, true], mostly: 0.9 },
      },
      { kind: 'regex', pattern: 'a+', mostly: 0.5 },
    ]);
    // `false` asks for nothing.
    expect(year!.checks).toMatchObject([
      { kind: 'min', value: -1, mostly: 0.99 },
      { kind: 'max', value: '2030-01-01', mostly: 1 },
    ]);
    expect(alpha!.checks).toEqual([]);
    expect(value.rows).toMatchObject({ max: 10 });
    expect(value.columnSet).toMatchObject({ mode: 'at_least', columns: ['alpha', '2020'] });
  });

  it('reports every problem at once, sorted by position', () => {
    const { problems } = parseExpectations(
      `rows: {min: -1, mx: 3}
column_set: {exactly: [a], at_least: [b]}
columns:
  a: {mean: {}, std: {min: x}, in: {values: [1], mostly: 0}, regex: {patern: x}}
  b: 3
`,
      'e.yaml',
    );
    expect(problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)).toEqual([
      '1:13 rows.min: expected a whole number of rows, got `-1`',
      '1:17 rows.mx: unknown key `mx`; did you mean `max`?',
      '2:13 column_set: expected `{exactly: [columns...]}` or `{at_least: [columns...]}` (one of the two)',
      '4:13 columns.a.mean: expected `{min: 0.5, max: 2}` (either may be left out), got a map',
      '4:28 columns.a.std.min: expected a number, got the string `x`',
      '4:58 columns.a.in.mostly: expected a share between 0 (excluded) and 1, such as 0.99, got `0`',
      '4:69 columns.a.regex: missing `pattern` (expected a string or `{pattern: ..., mostly: 0.99}`)',
      '4:70 columns.a.regex.patern: unknown key `patern`; did you mean `pattern`?',
      '5:6 columns.b: expected a map of expectations for column `b`, got `3`; write e.g. `{type: float, not_null: true}`',
    ]);
    expect(parseExpectations('', 'e.yaml').problems[0]!.message).toContain('the file is empty');
    expect(parseExpectations('- a\n', 'e.yaml').problems[0]!.message).toContain('expected a map with `columns:`');
  });

  it('reports an alias with no anchor as a located problem instead of throwing', () => {
    expect(parseExpectations('rows: {min: 1}\ncolumns:\n  a: *typed\n', 'e.yaml').problems).toEqual([
      { file: 'e.yaml', line: 3, col: 6, path: '', message: 'invalid YAML: alias `*typed` names no anchor `&typed` set before it' },
    ]);
  });
});
