import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('gitml feedback', () => {
  it('appends a CSV of ground truth to logs/feedback.ndjson, one record per row', () => {
    const fx = makeFixture({ 'truth.csv': 'id,truth,ts\nreq-1,churned,2024-05-01T10:00:00Z\nreq-2,stayed,\nreq-3,12.5,2024-05-02\n' });
    const before = Date.now();
    const r = fx.gitml('feedback', 'truth.csv', '--model', 'churn');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('appended 3 feedback records for model churn to logs/feedback.ndjson\n');
    const got = lines(fx.read('logs/feedback.ndjson'));
    expect(got).toEqual([
      { id: 'req-1', model: 'churn', truth: 'churned', ts: '2024-05-01T10:00:00.000Z' },
      { id: 'req-2', model: 'churn', truth: 'stayed', ts: expect.stringMatching(ISO) },
      { id: 'req-3', model: 'churn', truth: 12.5, ts: '2024-05-02T00:00:00.000Z' },
    ]);
    expect(Date.parse(got[1]!.ts as string)).toBeGreaterThanOrEqual(before - 1000);
    // A second file appends after the first.
    fx.write('more.ndjson', '{"id": "req-4", "truth": true, "model": "fraud"}\n\n{"id": 5, "truth": "stayed"}\n');
    const again = fx.gitml('feedback', 'more.ndjson', '--model', 'churn');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('appended 2 feedback records for models churn, fraud to logs/feedback.ndjson\n');
    expect(lines(fx.read('logs/feedback.ndjson')).map((l) => [l.id, l.model, l.truth])).toEqual([
      ['req-1', 'churn', 'churned'],
      ['req-2', 'churn', 'stayed'],
      ['req-3', 'churn', 12.5],
      ['req-4', 'fraud', true],
      ['5', 'churn', 'stayed'],
    ]);
  });

  it('writes to --log, taking the model from a model column, relative to -C', () => {
    const fx = makeFixture({ 'in/truth.tsv': 'model\tid\ttruth\nchurn\ta\tyes\n' });
    const r = fx.gitml('-C', 'in', '-q', 'feedback', 'truth.tsv', '--log', 'monitor/fb.ndjson');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(lines(fx.read('in/monitor/fb.ndjson'))).toEqual([{ id: 'a', model: 'churn', truth: 'yes', ts: expect.stringMatching(ISO) }]);
  });

  it('appends nothing when a row is bad, naming every line and key (exit 2)', () => {
    const fx = makeFixture({ 'truth.csv': 'id,truth\nreq-1,yes\n,no\nreq-3,\n' });
    const r = fx.gitml('feedback', 'truth.csv', '--model', 'churn');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'truth.csv:3:1: id: missing: give the id of the request the truth is for',
      'truth.csv:4:1: truth: missing: give the true class, value or anomaly flag',
    ]);
    expect(fx.exists('logs/feedback.ndjson')).toBe(false);
  });

  it('asks for a model when the file names none', () => {
    const fx = makeFixture({ 'truth.csv': 'id,truth\nreq-1,yes\n' });
    const r = fx.gitml('feedback', 'truth.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('truth.csv:2:1: model: missing: add a `model` column or pass --model NAME\n');
  });

  it('says which columns are missing, which lines are not JSON objects, and which formats it reads', () => {
    const fx = makeFixture({
      'a.csv': 'request,truth\nreq-1,yes\n',
      'b.ndjson': '{"id": "a", "truth": 1}\n{"id": "b", truth: 2}\n[1]\n',
      'c.parquet': 'PAR1',
    });
    const a = fx.gitml('feedback', 'a.csv', '--model', 'm');
    expect([a.code, a.stderr]).toEqual([2, 'a.csv:1:1: no column `id` (the header has request, truth)\n']);
    const b = fx.gitml('feedback', 'b.ndjson', '--model', 'm');
    expect(b.code).toBe(2);
    expect(b.stderr.split('\n').filter(Boolean)).toEqual([
      'b.ndjson:2:13: not JSON: expected a "quoted" key, found `t`',
      'b.ndjson:3:1: each line must be an object {"id": ..., "truth": ...}',
    ]);
    const c = fx.gitml('feedback', 'c.parquet');
    expect([c.code, c.stderr]).toEqual([2, 'c.parquet: cannot read this format; give a .csv, .tsv or .ndjson file with the columns id and truth\n']);
    const d = fx.gitml('feedback', 'missing.csv');
    expect([d.code, d.stderr]).toEqual([2, 'missing.csv: no such file\n']);
    expect(fx.exists('logs')).toBe(false);
  });

  it('a log path it cannot write is an error naming it', () => {
    const fx = makeFixture({ 'truth.csv': 'id,truth\nreq-1,yes\n', logs: 'a file, not a directory' });
    const r = fx.gitml('feedback', 'truth.csv', '--model', 'm');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: logs\/feedback\.ndjson: could not append the feedback: ENOTDIR: not a directory/);
  });
});
