import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsForFiles } from '../../core/serve/config.js';
import { ModelSet } from '../../core/serve/models.js';
import { InferenceServer } from '../../core/serve/server.js';
import { packagedModels } from '../helpers/packaged-models.js';

/** A response's JSON body, untyped for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const j = async (r: Response | Promise<Response>): Promise<any> => (await r).json();

/** The last version answers: the default without traffic settings. */
const lastVersion = (s: { versions: string[] }) => ({ choose: () => s.versions[s.versions.length - 1]!, mirror: () => false });

describe('the inference server', () => {
  const fx = packagedModels();
  let server: InferenceServer;
  let models: ModelSet;
  let base: string;
  let churnVersion: string;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    const settings = settingsForFiles([join(fx.dir, 'models/churn.onnx'), join(fx.dir, 'models/amount.onnx')], {});
    models = new ModelSet(settings.models, lastVersion);
    await models.load();
    server = new InferenceServer({ models, bodyLimit: 64 * 1024, requestTimeoutMs: 1000, version: '9.9.9' });
    const at = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${at.port}`;
    churnVersion = JSON.parse(fx.read('models/churn.signature.json')).model_version;
  });
  afterAll(() => server.close());

  it('answers the Open Inference Protocol: health, server and model metadata, readiness', async () => {
    expect(await j(fetch(`${base}/v2/health/live`))).toEqual({ live: true });
    expect(await j(fetch(`${base}/v2/health/ready`))).toEqual({ ready: true });
    expect(await j(fetch(`${base}/v2`))).toEqual({ name: 'gitml', version: '9.9.9', extensions: [] });
    const meta = await j(fetch(`${base}/v2/models/churn`));
    expect(meta).toEqual({
      name: 'churn',
      versions: [churnVersion],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'tenure', datatype: 'FP64', shape: [-1] },
        { name: 'spend', datatype: 'FP64', shape: [-1] },
        { name: 'plan', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    expect((await fetch(`${base}/v2/models/churn/versions/${churnVersion}`)).status).toBe(200);
    expect(await j(fetch(`${base}/v2/models/churn/versions/${churnVersion}/ready`))).toEqual({ name: 'churn', version: churnVersion, ready: true });
    const missing = await fetch(`${base}/v2/models/nope`);
    expect(missing.status).toBe(404);
    expect((await j(missing)).error).toMatch(/no model `nope` \(served: churn, amount\)/);
    expect((await fetch(`${base}/v2/models/churn/versions/zzz`)).status).toBe(404);
  });

  it('infers: tensors in row-major data, the id echoed, outputs chosen, [N] and [N, 1] shapes', async () => {
    const body = {
      id: 'req-1',
      inputs: [
        { name: 'tenure', shape: [2], datatype: 'FP64', data: [3, 50] },
        { name: 'spend', shape: [2, 1], datatype: 'FP32', data: [[90.5], [21]] },
        { name: 'plan', shape: [2], datatype: 'BYTES', data: ['pro', 'basic'] },
      ],
    };
    const r = await post('/v2/models/churn/infer', body);
    expect(r.status).toBe(200);
    const out = await j(r);
    expect(out).toMatchObject({ model_name: 'churn', model_version: churnVersion, id: 'req-1' });
    expect(out.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape])).toEqual([
      ['label', [2]],
      ['probabilities', [2, 2]],
    ]);
    const [label, probs] = out.outputs;
    for (let i = 0; i < 2; i++) {
      expect(probs.data[2 * i] + probs.data[2 * i + 1]).toBeCloseTo(1, 6);
      expect(label.data[i]).toBe(probs.data[2 * i + 1] > probs.data[2 * i] ? 'yes' : 'no');
    }
    const only = await j(post(`/v2/models/churn/versions/${churnVersion}/infer`, { ...body, outputs: [{ name: 'label' }] }));
    expect(only.outputs.map((o: { name: string }) => o.name)).toEqual(['label']);
    expect(only.outputs[0].data).toEqual(label.data);
    const reg = await j(post('/v2/models/amount/infer', { inputs: [{ name: 'tenure', shape: [1], datatype: 'INT64', data: [10] }, { name: 'spend', shape: [1], datatype: 'FP64', data: [40] }, { name: 'plan', shape: [1], datatype: 'BYTES', data: ['pro'] }] }));
    expect(reg.outputs).toEqual([{ name: 'value', datatype: 'FP64', shape: [1], data: [expect.any(Number)] }]);
  });

  it('gives each of 60 concurrent requests its own rows of the shared runs', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ tenure: i, spend: 20 + i, plan: ['basic', 'pro', 'team'][i % 3]! }));
    const body = (r: (typeof rows)[number]) => ({
      inputs: [
        { name: 'tenure', shape: [1], datatype: 'FP64', data: [r.tenure] },
        { name: 'spend', shape: [1], datatype: 'FP64', data: [r.spend] },
        { name: 'plan', shape: [1], datatype: 'BYTES', data: [r.plan] },
      ],
    });
    const alone: number[] = [];
    for (const r of rows) alone.push((await j(post('/v2/models/churn/infer', body(r)))).outputs[1].data[1]);
    const together = await Promise.all(rows.map(async (r) => (await j(post('/v2/models/churn/infer', body(r)))).outputs[1].data[1]));
    expect(together).toEqual(alone);
    expect(new Set(alone).size).toBeGreaterThan(5);
  });

  it('fails only the request whose columns do not fit, when it shares a run with others', async () => {
    const good = { inputs: { tenure: [3], spend: [90], plan: ['pro'] } };
    const expected = (await j(post('/invocations', good))).predictions[0];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 4 === 0 ? post('/invocations', { inputs: { tenure: [1, 2], spend: [5], plan: ['pro', 'pro'] } }) : post('/invocations', good),
      ),
    );
    for (const [i, r] of results.entries()) {
      if (i % 4 === 0) {
        expect(r.status).toBe(400);
        expect((await j(r)).message).toMatch(/`spend` has 1 rows, the others 2/);
      } else expect((await j(r)).predictions[0]).toEqual(expected);
    }
  });

  it('echoes an id that cannot be a header in the body, and refuses a bad %-escape in the path', async () => {
    const body = {
      id: 'req-日本\n',
      inputs: [
        { name: 'tenure', shape: [1], datatype: 'FP64', data: [3] },
        { name: 'spend', shape: [1], datatype: 'FP64', data: [90] },
        { name: 'plan', shape: [1], datatype: 'BYTES', data: ['pro'] },
      ],
    };
    const r = await post('/v2/models/churn/infer', body);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBeNull();
    expect((await j(r)).id).toBe('req-日本\n');
    const bad = await post('/v2/models/%ZZ/infer', body);
    expect(bad.status).toBe(400);
    expect((await j(bad)).error).toMatch(/bad %-escape/);
  });

  it("refuses bad requests with the protocol's 4xx and a message", async () => {
    const good = [
      { name: 'tenure', shape: [1], datatype: 'FP64', data: [3] },
      { name: 'spend', shape: [1], datatype: 'FP64', data: [90] },
      { name: 'plan', shape: [1], datatype: 'BYTES', data: ['pro'] },
    ];
    const cases: [unknown, number, RegExp][] = [
      ['{"inputs": [', 400, /not valid JSON/],
      [{}, 400, /`inputs` must be a non-empty list/],
      [{ inputs: [...good, { name: 'age', shape: [1], datatype: 'FP64', data: [1] }] }, 400, /unknown input `age`; the model takes tenure, spend, plan/],
      [{ inputs: good.slice(0, 2) }, 400, /missing input `plan`/],
      [{ inputs: [{ ...good[0], shape: [2] }, ...good.slice(1)] }, 400, /shape \[2\] needs 2 values, data has 1/],
      [{ inputs: [{ ...good[0], shape: [1, 3] }, ...good.slice(1)] }, 400, /one value per row/],
      [{ inputs: [{ ...good[0], datatype: 'BYTES' }, ...good.slice(1)] }, 400, /datatype BYTES, but the model takes numbers/],
      [{ inputs: [{ ...good[0], data: ['NaN'] }, ...good.slice(1)] }, 400, /value 0 is "NaN", not a finite number/],
      [{ inputs: [{ ...good[0], data: [null] }, ...good.slice(1)] }, 400, /not a finite number/],
      [{ inputs: [...good.slice(0, 2), { ...good[2], data: [7] }] }, 400, /value 0 is 7, not a string/],
      [{ inputs: good, outputs: [{ name: 'nope' }] }, 400, /unknown output `nope`/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post('/v2/models/churn/infer', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect((await j(r)).error).toMatch(message);
    }
    const big = await post('/v2/models/churn/infer', { inputs: good, pad: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect((await fetch(`${base}/v2/models/churn/infer`)).status).toBe(405);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  it("speaks MLflow's scoring protocol: the four payload shapes, ping, health, version, its error shape", async () => {
    const records = [
      { tenure: 3, spend: 90.5, plan: 'pro' },
      { tenure: 50, spend: null, plan: null },
    ];
    const shapes = [
      { dataframe_split: { columns: ['tenure', 'spend', 'plan'], data: records.map((r) => [r.tenure, r.spend, r.plan]) } },
      { dataframe_records: records },
      { instances: records },
      { inputs: { tenure: [3, 50], spend: [90.5, null], plan: ['pro', null] } },
    ];
    const answers = [];
    for (const body of shapes) {
      const r = await post('/invocations', body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      answers.push(await j(r));
    }
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0].predictions).toHaveLength(2);
    expect(Object.keys(answers[0].predictions[0])).toEqual(['label', 'probability_no', 'probability_yes']);
    const reg = await j(post('/invocations?model=amount', { dataframe_records: records }));
    expect(reg.predictions).toEqual([expect.any(Number), expect.any(Number)]);

    const two = await post('/invocations', { instances: records, inputs: records });
    expect(two.status).toBe(400);
    expect(await j(two)).toEqual({ error_code: 'BAD_REQUEST', message: expect.stringMatching(/give exactly one of dataframe_split, dataframe_records, instances, inputs/) });
    const wrong = await post('/invocations', { dataframe_records: [{ tenure: 'long', spend: 1, plan: 'pro' }] });
    expect(await j(wrong)).toEqual({ error_code: 'BAD_REQUEST', message: expect.stringMatching(/`tenure` must be a number, a boolean or null, got "long"/) });
    expect((await post('/invocations?model=nope', { instances: records })).status).toBe(404);
    expect((await fetch(`${base}/ping`)).status).toBe(200);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/version`)).text()).toBe('9.9.9');
  });

  it('answers 10,000 hostile requests with the right status each, and keeps serving', async () => {
    const good = [
      { name: 'tenure', shape: [1], datatype: 'FP64', data: [3] },
      { name: 'spend', shape: [1], datatype: 'FP64', data: [90] },
      { name: 'plan', shape: [1], datatype: 'BYTES', data: ['pro'] },
    ];
    const kinds: { path: string; body: string; status: number }[] = [
      { path: '/v2/models/churn/infer', body: JSON.stringify({ inputs: good }), status: 200 },
      { path: '/v2/models/churn/infer', body: '{"inputs": [{"name": "tenure", "shape": [1], "datatype": "FP64", "data": [1e999]}]}', status: 400 },
      { path: '/v2/models/churn/infer', body: '{"inputs": [', status: 400 },
      { path: '/v2/models/churn/infer', body: '[]', status: 400 },
      { path: '/v2/models/churn/infer', body: JSON.stringify({ inputs: [{ ...good[0], shape: [-1] }, ...good.slice(1)] }), status: 400 },
      { path: '/v2/models/churn/infer', body: JSON.stringify({ inputs: [{ ...good[0], data: { a: 1 } }, ...good.slice(1)] }), status: 400 },
      { path: '/v2/models/churn/infer', body: JSON.stringify({ inputs: [{ ...good[0], data: [[[[1]]]] }, ...good.slice(1)] }), status: 400 },
      { path: '/v2/models/churn/infer', body: JSON.stringify({ inputs: good, pad: 'x'.repeat(65 * 1024) }), status: 413 },
      { path: '/v2/models/churn/infer', body: '\u0000\uffff', status: 400 },
      { path: '/v2/models/ghost/infer', body: JSON.stringify({ inputs: good }), status: 404 },
      { path: '/invocations', body: '{"instances": 5}', status: 400 },
      { path: '/invocations', body: JSON.stringify({ dataframe_split: { columns: ['tenure'], data: [[1, 2]] } }), status: 400 },
    ];
    const counts = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < 10_000) {
        const k = kinds[next++ % kinds.length]!;
        const r = await post(k.path, k.body);
        await r.arrayBuffer();
        expect(r.status, `${k.path} ${k.body.slice(0, 80)}`).toBe(k.status);
        counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    expect([...counts.values()].reduce((a, b) => a + b)).toBeGreaterThanOrEqual(10_000);
    expect(counts.get(500)).toBeUndefined();
    expect(await j(post('/v2/models/churn/infer', { inputs: good }))).toMatchObject({ model_name: 'churn' });
  }, 120_000);

  it('answers a request whose body was still arriving when the models were reloaded', async () => {
    const body = JSON.stringify({
      inputs: [
        { name: 'tenure', shape: [1], datatype: 'FP64', data: [3] },
        { name: 'spend', shape: [1], datatype: 'FP64', data: [90] },
        { name: 'plan', shape: [1], datatype: 'BYTES', data: ['pro'] },
      ],
    });
    const { port } = new URL(base);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`POST /v2/models/churn/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`);
    await new Promise((r) => setTimeout(r, 50));
    // The versions the request looked up are replaced (and their sessions closed) before its body is complete.
    await models.load();
    const reply = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    socket.write(body.slice(20));
    expect(await reply).toMatch(/^HTTP\/1\.1 200[\s\S]*"model_name":"churn"/);
  });

  it('forgets a request whose client hung up in the middle of its body', async () => {
    const { port } = new URL(base);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /v2/models/churn/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"inputs": [');
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requestsInFlight).toBe(0);
    expect(await j(fetch(`${base}/v2/health/live`))).toEqual({ live: true });
  });

  it('cuts off a client that sends its request too slowly', async () => {
    const { port } = new URL(base);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /v2/models/churn/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"inp');
    const started = Date.now();
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(await j(fetch(`${base}/v2/health/live`))).toEqual({ live: true });
  });
});
