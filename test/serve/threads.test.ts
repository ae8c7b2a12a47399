import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Model } from '../../core/serve/model.js';
import { packagedModels } from '../helpers/packaged-models.js';

// The built modules: the threads load dist/core/serve/model-worker.js and log-worker.js, which only exist there.
const DIST = fileURLToPath(new URL('../../dist/core/serve/', import.meta.url));
const load = async <T>(name: string) => (await import(pathToFileURL(join(DIST, name)).href)) as T;
type ModelThreadModule = typeof import('../../core/serve/model-thread.js');
type PredictionLogModule = typeof import('../../core/serve/prediction-log.js');

const columns = (n: number, offset = 0) => ({
  tenure: Float64Array.from({ length: n }, (_, i) => (i + offset) % 40),
  spend: Float64Array.from({ length: n }, (_, i) => 20 + ((i * 7 + offset) % 90)),
  plan: Array.from({ length: n }, (_, i) => ['free', 'pro', 'team', ''][(i + offset) % 4]!),
});

describe('the serving threads, as built', () => {
  const fx = packagedModels();
  const churn = join(fx.dir, 'models/churn.onnx');
  const closing: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const c of closing) await c.close();
  });

  it('a model on its own thread answers as the model does here, batches in the order they were sent', async () => {
    expect(existsSync(join(DIST, 'model-worker.js')), 'dist/ must be built (npm run build)').toBe(true);
    const { openModel } = await load<ModelThreadModule>('model-thread.js');
    const threaded = await openModel(churn);
    const here = await Model.load(churn);
    closing.push(threaded, here);
    expect(threaded).not.toBeInstanceOf(Model);
    expect(threaded.signature).toEqual(here.signature);
    // Sent together; each comes back with its own rows.
    const sent = [columns(500), columns(3, 1), columns(2000, 2)];
    const answers = await Promise.all(sent.map((c) => threaded.predictBatch(c)));
    for (const [i, c] of sent.entries()) {
      const expected = await here.predictBatch(c);
      expect(answers[i]!.rows).toBe(expected.rows);
      expect(answers[i]!.label).toEqual(expected.label);
      expect(Array.from(answers[i]!.probabilities!)).toEqual(Array.from(expected.probabilities!));
    }
  });

  it('a bad input fails its own batch with the same error, and the thread goes on', async () => {
    const { openModel } = await load<ModelThreadModule>('model-thread.js');
    const threaded = await openModel(churn);
    closing.push(threaded);
    const bad = { ...columns(3), spend: ['a', 'b', 'c'] };
    await expect(threaded.predictBatch(bad as never)).rejects.toMatchObject({ code: 'E_MODEL_INPUT', column: 'spend', message: expect.stringMatching(/spend/) });
    expect((await threaded.predictBatch(columns(4))).rows).toBe(4);
    await expect(openModel(join(fx.dir, 'models/nope.onnx'))).rejects.toMatchObject({ code: 'E_MODEL_FILE' });
  });

  it('the prediction log formats and appends from its thread, and close waits for every line', async () => {
    expect(existsSync(join(DIST, 'log-worker.js'))).toBe(true);
    const { PredictionLog } = await load<PredictionLogModule>('prediction-log.js');
    const path = join(fx.dir, 'logs-thread/p.ndjson');
    const log = new PredictionLog({ to: { file: { path } }, pageRows: 64 });
    for (let i = 0; i < 1000; i++) log.record(`t${i}`, 'churn', 'a', { tenure: Float64Array.from([i]) }, { rows: 1, value: Float64Array.from([i / 2]) }, 0.5);
    await log.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(Array.from({ length: 1000 }, (_, i) => `t${i}`));
    expect(lines[999]).toMatchObject({ inputs: { tenure: [999] }, outputs: { value: [499.5] }, latency_ms: 0.5 });
  });
});
