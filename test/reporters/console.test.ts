import { describe, expect, it } from 'vitest';
import { formatKeyValues, formatReproSummary } from '../../reporters/console.js';
import { formatSeconds } from '../../core/util/format.js';

describe('formatReproSummary', () => {
  it('lists what each stage did and how long it took, then the counts and the total', () => {
    expect(
      formatReproSummary({
        stages: [
          { name: 'prepare', result: 'up-to-date' },
          { name: 'train', result: 'ran', seconds: 83.5 },
          { name: 'evaluate', result: 'restored', seconds: 0.042 },
          { name: 'report', result: 'failed', seconds: 1.5 },
          { name: 'publish', result: 'skipped' },
          { name: 'legacy', result: 'frozen' },
        ],
        seconds: 86.2,
      }),
    ).toEqual([
      '',
      'Summary:',
      '  train     ran                      1 min 24 s',
      '  evaluate  restored from run-cache  0.04 s',
      '  report    failed                   1.50 s',
      '  publish   not run',
      '6 stages: 1 ran, 1 restored from the run-cache, 1 up to date, 1 frozen, 1 failed, 1 not run; total 1 min 26 s.',
    ]);
  });

  it('says there was nothing to do when every stage was up to date', () => {
    expect(formatReproSummary({ stages: [{ name: 'a', result: 'up-to-date' }], seconds: 0.31 })).toEqual([
      'Nothing to reproduce: every stage is up to date (0.31 s).',
    ]);
  });
});

describe('formatSeconds', () => {
  it('prints short runs to the hundredth, longer ones to the tenth, and minutes past a minute', () => {
    expect([0.004, 9.994, 12.34, 59.96, 60, 3725].map(formatSeconds)).toEqual(['0.00 s', '9.99 s', '12.3 s', '1 min 0 s', '1 min 0 s', '62 min 5 s']);
  });
});

describe('formatKeyValues', () => {
  it('rounds metric fractions to their file precision, keeps counts whole, and prints params as they are', () => {
    const groups = { 'm.json': { auc: 0.876543219, n: 1234567 }, 'n.json': { loss: 0.123456789 } };
    expect(formatKeyValues(groups, { 'm.json': 3 })).toEqual(['m.json', '  auc  0.877', '  n    1234567', 'n.json', '  loss  0.12346']);
    expect(formatKeyValues({ 'params.yaml': { lr: 0.123456789 } })).toEqual(['params.yaml', '  lr  0.123456789']);
  });
});
