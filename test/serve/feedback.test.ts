import { describe, expect, it } from 'vitest';
import { checkFeedback, FeedbackError, parseFeedback, parseTime } from '../../core/serve/feedback.js';

const now = new Date('2024-05-01T12:00:00.000Z');

function feedbackError(run: () => unknown): FeedbackError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FeedbackError);
    return err as FeedbackError;
  }
  throw new Error('no error');
}

describe('parseFeedback (POST /v2/models/{name}/feedback)', () => {
  it('takes one record, stamped with the model of the URL and the time it arrived', () => {
    expect(parseFeedback({ id: 'req-1', truth: 'churned' }, 'churn', { now })).toEqual([
      { id: 'req-1', model: 'churn', truth: 'churned', ts: '2024-05-01T12:00:00.000Z' },
    ]);
  });

  it('takes a list of records with numbers, flags, integer ids and their own times', () => {
    const body = {
      records: [
        { id: 'a', truth: 3.25 },
        { id: 17, truth: true, ts: '2024-04-30T08:00:00+02:00' },
        { id: 'c', truth: 'no', model: 'churn', ts: '2024-04-30' },
      ],
    };
    expect(parseFeedback(body, 'churn', { now })).toEqual([
      { id: 'a', model: 'churn', truth: 3.25, ts: '2024-05-01T12:00:00.000Z' },
      { id: '17', model: 'churn', truth: true, ts: '2024-04-30T06:00:00.000Z' },
      { id: 'c', model: 'churn', truth: 'no', ts: '2024-04-30T00:00:00.000Z' },
    ]);
  });

  it('names the record and the key of every problem', () => {
    const err = feedbackError(() =>
      parseFeedback({ records: [{ id: 'a', truth: 1 }, { truth: 'x' }, { id: 'c', truth: null }, { id: '', truht: 'y' }, 'oops'] }, 'churn', { now }),
    );
    expect(err.code).toBe('E_FEEDBACK');
    expect(err.exitCode).toBe(2);
    expect(err.message.split('\n')).toEqual([
      'request body: records[4]: must be an object {"id": ..., "truth": ...}',
      'request body: records[1].id: missing: give the id of the request the truth is for',
      'request body: records[2].truth: missing: give the true class, value or anomaly flag',
      'request body: records[3].truht: unknown key; did you mean `truth`? (feedback takes id, truth, model, ts)',
      'request body: records[3].id: must be a non-empty string (the request id), got ""',
      'request body: records[3].truth: missing: give the true class, value or anomaly flag',
    ]);
    expect(err.problems[1]).toEqual({ file: 'request body', path: 'records[1].id', message: 'missing: give the id of the request the truth is for' });
  });

  it('refuses values of the wrong type, another model, and bad times', () => {
    const messages = (body: unknown) => feedbackError(() => parseFeedback(body, 'churn', { now })).message;
    expect(messages({ id: 'a', truth: { class: 'x' } })).toBe('request body: truth: must be a class name, a finite number or true/false, got {"class":"x"}');
    expect(messages({ id: 'a', truth: Number.NaN })).toBe('request body: truth: must be a class name, a finite number or true/false, got NaN');
    expect(messages({ id: 1.5, truth: 1 })).toBe('request body: id: must be a non-empty string (the request id), got 1.5');
    expect(messages({ id: 'a', truth: 1, model: 'fraud' })).toBe('request body: model: `fraud`, but this feedback is for model `churn`');
    expect(messages({ id: 'a', truth: 1, ts: '2024-02-30T00:00:00Z' })).toBe(
      'request body: ts: must be an ISO 8601 time such as 2024-05-01T12:00:00Z (UTC when it names no zone), got "2024-02-30T00:00:00Z"',
    );
    expect(messages({ id: 'a', truth: 1, ts: 1714560000 })).toContain('ts: must be an ISO 8601 time');
  });

  it('refuses a body of another shape', () => {
    const shape = 'request body: the body must be {"id": ..., "truth": ...} or {"records": [{"id": ..., "truth": ...}, ...]}';
    expect(feedbackError(() => parseFeedback([{ id: 'a', truth: 1 }], 'm')).message).toBe(shape);
    expect(feedbackError(() => parseFeedback('text', 'm')).message).toBe(shape);
    expect(feedbackError(() => parseFeedback(null, 'm')).message).toBe(shape);
    expect(feedbackError(() => parseFeedback({ records: [] }, 'm')).message).toBe('request body: records: must be a non-empty list of {"id": ..., "truth": ...}');
    expect(feedbackError(() => parseFeedback({ records: [{ id: 'a', truth: 1 }], id: 'b' }, 'm')).message).toMatch(/^request body: id: a body with `records` takes no other key/);
  });
});

describe('checkFeedback (rows of a file)', () => {
  it('reads CSV text: numbers become numbers, empty cells are missing, a row model wins over the default', () => {
    const rows = [
      { file: 'f.csv', line: 2, values: { id: 'a', truth: '42', model: '', ts: '' } },
      { file: 'f.csv', line: 3, values: { id: 'b', truth: 'yes', model: 'fraud', ts: '2024-04-01 10:30' } },
      { file: 'f.csv', line: 4, values: { id: 'c', truth: '-1.5e-3', model: '', ts: '' } },
      { file: 'f.csv', line: 5, values: { id: 'd', truth: '0x1F', model: '', ts: '' } },
    ];
    expect(checkFeedback(rows, { model: 'churn', now, text: true })).toEqual([
      { id: 'a', model: 'churn', truth: 42, ts: '2024-05-01T12:00:00.000Z' },
      { id: 'b', model: 'fraud', truth: 'yes', ts: '2024-04-01T10:30:00.000Z' },
      { id: 'c', model: 'churn', truth: -0.0015, ts: '2024-05-01T12:00:00.000Z' },
      { id: 'd', model: 'churn', truth: '0x1F', ts: '2024-05-01T12:00:00.000Z' },
    ]);
  });

  it('names the file and line, and asks for a model when neither the row nor the default gives one', () => {
    const err = feedbackError(() => checkFeedback([{ file: 'f.csv', line: 7, values: { id: 'a', truth: '', extra: 'x' } }], { now, text: true }));
    expect(err.message.split('\n')).toEqual([
      'f.csv:7:1: extra: unknown column (feedback takes id, truth, model, ts)',
      'f.csv:7:1: truth: missing: give the true class, value or anomaly flag',
      'f.csv:7:1: model: missing: add a `model` column or pass --model NAME',
    ]);
  });

  it('lists the first ten problems and counts the rest', () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ file: 'f.ndjson', line: i + 1, values: { id: `r${i}` } }));
    const err = feedbackError(() => checkFeedback(rows, { model: 'm', now }));
    expect(err.problems).toHaveLength(12);
    expect(err.message.split('\n').at(-1)).toBe('... and 2 more problems in f.ndjson');
  });
});

describe('parseTime', () => {
  it('reads ISO 8601 dates and times as UTC', () => {
    expect(parseTime('2024-05-01T12:00:00Z')).toBe('2024-05-01T12:00:00.000Z');
    expect(parseTime('2024-05-01T12:00:00.123456Z')).toBe('2024-05-01T12:00:00.123Z');
    expect(parseTime('2024-05-01T12:00-0530')).toBe('2024-05-01T17:30:00.000Z');
    expect(parseTime('2024-05-01 12:00:05')).toBe('2024-05-01T12:00:05.000Z');
    expect(parseTime('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('refuses days and times that do not exist and other formats', () => {
    for (const t of ['2023-02-29', '2024-13-01', '2024-05-01T24:00:00Z', '2024-05-01T12:60Z', '2024-05-01T12:00+25:00', '01/05/2024', '2024-05-01Z', 'now', ''])
      expect(parseTime(t), t).toBeUndefined();
  });
});
