import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/fixture.js';
import { packagedModels } from '../helpers/packaged-models.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const j = async (r: Response | Promise<Response>): Promise<any> => (await r).json();

/** `gitml serve ARGS` in `cwd`, resolved with its URL once it listens; its output is kept. */
function startServe(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args, '--port', '0'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve({ url: m[1]!, child, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gitml serve exited (${code}): ${out}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

const ROW = {
  inputs: [
    { name: 'tenure', shape: [1], datatype: 'FP64', data: [3] },
    { name: 'spend', shape: [1], datatype: 'FP64', data: [90] },
    { name: 'plan', shape: [1], datatype: 'BYTES', data: ['pro'] },
  ],
};

const fx = packagedModels();

describe('gitml serve', () => {
  let server: { url: string; child: ChildProcess; output: () => string };
  const infer = (headers: Record<string, string> = {}) =>
    j(fetch(`${server.url}/v2/models/churn/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(ROW) }));

  beforeAll(async () => {
    copyFileSync(join(fx.dir, 'models/churn.onnx'), join(fx.dir, 'models/churn-b.onnx'));
    fx.write(
      'serve.yaml',
      `models:
  - name: churn
    versions:
      - {path: models/churn.onnx, version: a}
      - {path: models/churn-b.onnx, version: b}
    weights: {a: 80, b: 20}
    shadow: {version: b, share: 0.5}
  - versions: [{path: models/amount.onnx}]
log: {path: logs/predictions.ndjson}
admin_token_env: SERVE_TEST_TOKEN
`,
    );
    server = await startServe(fx.dir, ['--config', 'serve.yaml'], { SERVE_TEST_TOKEN: 'sesame' });
  });
  afterAll(() => {
    server.child.kill('SIGKILL');
  });

  it('splits traffic by the declared weights, keeps a request key on one version, and mirrors to the shadow', async () => {
    const answered = { a: 0, b: 0 };
    for (let i = 0; i < 1000; i++) answered[((await infer()).model_version as 'a' | 'b')]++;
    // 80/20 over 1,000 requests: the standard deviation is 1.3 points; allow 4.
    expect(Math.abs(answered.a / 1000 - 0.8)).toBeLessThan(0.04);
    const sticky = new Set<string>();
    for (let i = 0; i < 20; i++) sticky.add((await infer({ 'x-request-key': 'customer-42' })).model_version);
    expect(sticky.size).toBe(1);
    // An explicit version is always that version.
    for (let i = 0; i < 10; i++) expect((await j(fetch(`${server.url}/v2/models/churn/versions/b/infer`, { method: 'POST', body: JSON.stringify(ROW) }))).model_version).toBe('b');

    // Shadow requests run after the answers: give them a moment, then read the metrics.
    await new Promise((r) => setTimeout(r, 300));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const families = new Map(parsePrometheus(text).map((f: { name: string }) => [f.name, f]));
    const value = (family: string, labels: Record<string, string>): number => {
      const f = families.get(family) as { metrics: { labels?: Record<string, string>; value: string }[] } | undefined;
      const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
      return m ? Number(m.value) : 0;
    };
    const servedByA = value('gitml_requests_total', { model: 'churn', version: 'a', protocol: 'v2', status: '200' });
    expect(servedByA).toBe(answered.a + [...sticky].filter((v) => v === 'a').length * 20);
    // Half of version a's answers are mirrored to b (b's own answers never are); the two files are the same model.
    const mirrored = value('gitml_shadow_requests_total', { model: 'churn', primary: 'a', shadow: 'b' });
    expect(Math.abs(mirrored / servedByA - 0.5)).toBeLessThan(0.06);
    expect(value('gitml_shadow_agreement_ratio', { model: 'churn', primary: 'a', shadow: 'b' })).toBe(1);
    expect(value('gitml_predictions_total', { model: 'churn', version: 'a', class: 'yes' }) + value('gitml_predictions_total', { model: 'churn', version: 'a', class: 'no' })).toBe(servedByA);
  }, 60_000);

  it('records feedback, reloads on SIGHUP and from the admin endpoint without dropping requests, and stops gracefully', async () => {
    const predicted = await infer({ 'x-request-id': 'req-77' });
    const fb = await fetch(`${server.url}/v2/models/churn/feedback`, { method: 'POST', body: JSON.stringify({ id: 'req-77', truth: 'yes' }) });
    expect(await j(fb)).toEqual({ accepted: 1 });
    const bad = await fetch(`${server.url}/v2/models/churn/feedback`, { method: 'POST', body: JSON.stringify({ id: 'req-77', truht: 'yes' }) });
    expect(bad.status).toBe(400);
    expect((await j(bad)).error).toMatch(/truht/);

    // Requests keep flowing while the models reload.
    let failures = 0;
    let done = 0;
    let flowing = true;
    const flow = (async () => {
      while (flowing) {
        const r = await fetch(`${server.url}/v2/models/churn/infer`, { method: 'POST', body: JSON.stringify(ROW) });
        if (r.status !== 200) failures++;
        await r.arrayBuffer();
        done++;
      }
    })();
    server.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    expect(server.output()).toMatch(/reloaded: churn \(a, b\), amount/);
    expect((await fetch(`${server.url}/admin/reload`, { method: 'POST' })).status).toBe(401);
    expect(await j(fetch(`${server.url}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer sesame' } }))).toEqual({ reloaded: true, models: ['churn', 'amount'] });
    flowing = false;
    await flow;
    expect(done).toBeGreaterThan(10);
    expect(failures).toBe(0);

    // SIGTERM: the server stops, flushing the prediction log and the feedback.
    const code = exited(server.child);
    server.child.kill('SIGTERM');
    expect(await code).toBe(0);
    const log = fx.read('logs/predictions.ndjson').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.length).toBeGreaterThan(1000);
    const record = log.find((r) => r.id === 'req-77');
    expect(record).toMatchObject({ model: 'churn', version: predicted.model_version, inputs: { tenure: [3], spend: [90], plan: ['pro'] }, outputs: { label: predicted.outputs[0].data } });
    expect(record.latency_ms).toBeGreaterThan(0);
    expect(fx.read('logs/feedback.ndjson').trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ id: 'req-77', model: 'churn', truth: 'yes', ts: expect.any(String) }]);
  }, 60_000);

  it('names a problem in the serve config at its line, and a version the traffic names that is not served', () => {
    fx.write('bad.yaml', 'models:\n  - versions: [{path: models/churn.txt}]\n');
    const r = fx.gitml('serve', '--config', 'bad.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:2:\d+: .*end in \.onnx/);
    fx.write('bad.yaml', 'models:\n  - versions: [{path: models/churn.onnx, version: a}]\n    weights: {z: 1}\n');
    const r2 = fx.gitml('serve', '--config', 'bad.yaml');
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/model churn: traffic names version z, which is not served \(versions: a\)/);
    fx.write('bad.yaml', 'models:\n  - versions: [{path: models/churn.onnx}]\n  - versions: [{path: models/churn-b.onnx}]\n');
    const r3 = fx.gitml('serve', '--config', 'bad.yaml');
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/model churn is declared twice; list its files as versions of one entry/);
    fx.write('bad.yaml', 'workers: many\nmodels:\n  - versions: [{path: models/churn.onnx}]\n');
    const r4 = fx.gitml('serve', '--config', 'bad.yaml');
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/bad\.yaml:1:10: workers: must be a whole number from 1 to 256, or auto/);
  });
});

describe('gitml serve --workers', () => {
  let server: { url: string; child: ChildProcess; output: () => string };
  const infer = (id: string) =>
    fetch(`${server.url}/v2/models/churn/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify(ROW) });
  /** The server processes the primary started. */
  const workers = () =>
    execFileSync('pgrep', ['-P', String(server.child.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  const until = async (what: () => boolean, ms = 20_000) => {
    for (const end = Date.now() + ms; !what(); ) {
      if (Date.now() > end) throw new Error(`timed out; output: ${server.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const answered: string[] = [];

  beforeAll(async () => {
    copyFileSync(join(fx.dir, 'models/churn.onnx'), join(fx.dir, 'models/churn-b.onnx'));
    fx.write(
      'workers.yaml',
      `workers: 2
models:
  - name: churn
    versions:
      - {path: models/churn.onnx, version: a}
      - {path: models/churn-b.onnx, version: b}
    weights: {a: 1}
    shadow: {version: b, share: 1}
  - versions: [{path: models/amount.onnx}]
log: {path: logs-w/predictions.ndjson}
admin_token_env: SERVE_TEST_TOKEN
`,
    );
    server = await startServe(fx.dir, ['--config', 'workers.yaml'], { SERVE_TEST_TOKEN: 'sesame' });
  });
  afterAll(() => {
    server.child.kill('SIGKILL');
  });

  it('serves from two processes on one port, and /metrics adds up both', async () => {
    expect(server.output()).toMatch(/serving churn \(a, b\), amount \(\w+\) on http:\/\/127\.0\.0\.1:\d+ \(2 server processes\)/);
    expect(workers()).toHaveLength(2);
    // Many connections at once, so that both processes get some.
    await Promise.all(
      Array.from({ length: 20 }, async (_, c) => {
        for (let i = 0; i < 20; i++) {
          const id = `w-${c}-${i}`;
          const r = await infer(id);
          expect(r.status).toBe(200);
          expect((await j(r)).id).toBeUndefined();
          answered.push(id);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const families = new Map(parsePrometheus(text).map((f: { name: string }) => [f.name, f]));
    const sum = (family: string, labels: Record<string, string>) =>
      ((families.get(family) as { metrics: { labels?: Record<string, string>; value: string }[] } | undefined)?.metrics ?? [])
        .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
        .reduce((n, m) => n + Number(m.value), 0);
    expect(sum('gitml_requests_total', { model: 'churn', version: 'a', status: '200' })).toBe(400);
    expect(sum('gitml_shadow_requests_total', { model: 'churn', primary: 'a', shadow: 'b' })).toBe(400);
    expect(sum('gitml_shadow_agreement_ratio', { model: 'churn', primary: 'a', shadow: 'b' })).toBe(1);
  }, 60_000);

  it('replaces a server process that dies, reloads every process together, and stops with every log line written', async () => {
    const [first] = workers();
    process.kill(first!, 'SIGKILL');
    await until(() => /a server process exited \(SIGKILL\); starting another/.test(server.output()));
    await until(() => {
      const now = workers();
      return now.length === 2 && !now.includes(first!);
    });
    // Connections to the dead process are gone; new ones reach a live one.
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 20; i++) {
      const r = await infer(`after-${i}`);
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      answered.push(`after-${i}`);
    }

    server.child.kill('SIGHUP');
    await until(() => /reloaded: churn \(a, b\), amount/.test(server.output()));
    expect(await j(fetch(`${server.url}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer sesame' } }))).toEqual({ reloaded: true, models: ['churn', 'amount'] });
    expect(server.output().match(/reloaded:/g)).toHaveLength(2);
    expect(await j(fetch(`${server.url}/v2/models/churn/feedback`, { method: 'POST', body: JSON.stringify({ id: 'after-3', truth: 'no' }) }))).toEqual({ accepted: 1 });

    const code = exited(server.child);
    server.child.kill('SIGTERM');
    expect(await code).toBe(0);
    const ids = fx
      .read('logs-w/predictions.ndjson')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id as string);
    // Every answered request is in the log once, from whichever process answered it.
    expect(ids.filter((id) => !id.startsWith('w-') && !id.startsWith('after-'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of answered.filter((a) => a.startsWith('after-'))) expect(ids).toContain(id);
    expect(ids.filter((id) => id.startsWith('w-')).length).toBeGreaterThanOrEqual(380);
    expect(fx.read('logs-w/feedback.ndjson')).toMatch(/"id":"after-3"/);
  }, 60_000);

  it('fails to start, as one process does, when a model cannot be loaded', () => {
    fx.write('broken.onnx', 'not a model');
    const r = fx.gitml('serve', 'broken.onnx', '--workers', '2', '--port', '0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.onnx: not an ONNX model/);
    expect(fx.gitml('serve', 'broken.onnx', '--workers', 'none').stderr).toMatch(/--workers must be a whole number from 1 to 256, or auto; got none/);
  });
});
