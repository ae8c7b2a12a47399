import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchPrediction } from '../../core/serve/model.js';
import { PredictionLog } from '../../core/serve/prediction-log.js';
import type { LogSink } from '../../core/serve/server.js';

const cols = (tenure: number[], plan: string[]) => ({ tenure: Float64Array.from(tenure), plan });
const answer = (labels: string[]): BatchPrediction => ({
  rows: labels.length,
  label: labels,
  probabilities: Float32Array.from(labels.flatMap((l) => (l === 'yes' ? [0.25, 0.75] : [0.75, 0.25]))),
});

/** A sink that keeps what it is given. */
function memory(): LogSink & { text: string; closed: boolean } {
  return {
    text: '',
    closed: false,
    write(record) {
      this.text += `${String(record)}\n`;
    },
    writeLines(lines) {
      this.text += lines.join('');
    },
    flush: async () => {},
    async close() {
      this.closed = true;
    },
  };
}

const records = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('the prediction log', () => {
  it('writes every request to the file, in order within a model version, once closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitml-plog-'));
    const log = new PredictionLog({ to: { file: { path: join(dir, 'logs/p.ndjson') } }, inline: true, pageRows: 3 });
    for (let i = 0; i < 10; i++) log.record(`r${i}`, 'churn', i % 2 ? 'b' : 'a', cols([i, i + 0.5], ['pro', 'free']), answer(['yes', 'no']), i);
    log.record('amount-1', 'amount', 'v1', { tenure: Float64Array.from([1]) }, { rows: 1, value: Float64Array.from([42.5]) }, 0.1);
    await log.close();
    const lines = records(readFileSync(join(dir, 'logs/p.ndjson'), 'utf8'));
    expect(lines).toHaveLength(11);
    expect(lines.filter((r) => r.version === 'a').map((r) => r.id)).toEqual(['r0', 'r2', 'r4', 'r6', 'r8']);
    expect(lines.find((r) => r.id === 'r3')).toMatchObject({
      model: 'churn',
      version: 'b',
      inputs: { tenure: [3, 3.5], plan: ['pro', 'free'] },
      outputs: { label: ['yes', 'no'], probabilities: [0.25, 0.75, 0.75, 0.25] },
      latency_ms: 3,
    });
    expect(lines.find((r) => r.id === 'amount-1')).toMatchObject({ model: 'amount', inputs: { tenure: [1] }, outputs: { value: [42.5] } });
    // Records after close are dropped, never thrown.
    log.record('late', 'churn', 'a', cols([1], ['pro']), answer(['yes']), 1);
  });

  it('hands lines to a sink when it has no file, and flush waits for them', async () => {
    const sink = memory();
    const log = new PredictionLog({ to: { sink }, inline: true, flushMs: 10_000 });
    log.record('x', 'churn', 'a', cols([1], ['pro']), answer(['yes']), 1);
    expect(sink.text).toBe('');
    await log.flush();
    expect(records(sink.text).map((r) => r.id)).toEqual(['x']);
    await log.close();
    expect(sink.closed).toBe(true);
  });

  it('keeps requests whose columns come in another order on a page of their own', async () => {
    const sink = memory();
    const log = new PredictionLog({ to: { sink }, inline: true });
    log.record('one', 'churn', 'a', { tenure: Float64Array.from([1]), plan: ['pro'] }, answer(['yes']), 1);
    log.record('two', 'churn', 'a', { plan: ['free'], tenure: Float64Array.from([2]) }, answer(['no']), 1);
    await log.close();
    expect(records(sink.text).map((r) => [r.id, r.inputs])).toEqual([
      ['one', { tenure: [1], plan: ['pro'] }],
      ['two', { plan: ['free'], tenure: [2] }],
    ]);
  });

  it('keeps the declared share of requests', async () => {
    const sink = memory();
    let n = 0;
    const log = new PredictionLog({ to: { sink }, inline: true, sample: 0.25, random: () => (n++ % 4) / 4 });
    for (let i = 0; i < 100; i++) log.record(`r${i}`, 'churn', 'a', cols([i], ['pro']), answer(['yes']), 1);
    await log.close();
    expect(records(sink.text)).toHaveLength(25);
  });

  it('grows its pages past their first size without losing a row', async () => {
    const sink = memory();
    const log = new PredictionLog({ to: { sink }, inline: true, pageRows: 100_000 });
    const rows = Array.from({ length: 700 }, (_, i) => i);
    for (let i = 0; i < 5; i++) log.record(`big${i}`, 'churn', 'a', cols(rows, rows.map(String)), answer(rows.map((r) => (r % 2 ? 'yes' : 'no'))), 1);
    await log.close();
    const lines = records(sink.text);
    expect(lines).toHaveLength(5);
    for (const l of lines) {
      expect(l.inputs.tenure).toEqual(rows);
      expect(l.outputs.label).toHaveLength(700);
      expect(l.outputs.probabilities).toHaveLength(1400);
    }
  });
});
