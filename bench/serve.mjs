// Serving and batch prediction against their baselines, each in the same run:
// - single-row Open Inference Protocol infer, 50 connections on loopback (autocannon), against a bare node:http
//   server answering a fixed small JSON: requests per second (target >= 0.6x) and p99 latency (target <= 2 ms);
// - the same with the prediction log on, against it off (target >= 0.9x);
// - the server's memory after 1M requests against after the first 100k (target: growth within noise, <= 1.1x);
// - `gitml predict` from Parquet against onnxruntime-node on in-memory tensors of the same rows (target >= 0.5x).
// Servers run in their own processes, the load from `wrk` (one thread) when it is installed, else autocannon in this
// process; runs alternate and the medians are kept. gitml is measured as one process and with `--workers 2`.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const FEATURES = 8;

/** `rows` rows of 8 numeric features and a binary label, as CSV (seeded). */
export function dataset(rows, seed) {
  let s = seed >>> 0;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const head = [...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'];
  const lines = [head.join(',')];
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: FEATURES }, () => rand() * 2 - 1);
    const z = x[0] + x[1] * x[2] - 0.5 * x[3] + 0.3 * (rand() - 0.5);
    lines.push(`${x.map((v) => v.toFixed(5)).join(',')},${z > 0 ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

export const PIPELINE = `stages:
  features:
    uses: gitml/data/features
    with: {input: train.csv, output: features.parquet, transform: transform.json, standardize: [${Array.from({ length: FEATURES }, (_, i) => `f${i}`).join(', ')}]}
  train:
    uses: gitml/model/train
    with: {input: features.parquet, label: label, model: gbdt, max_iter: 100, transform: transform.json, output: model}
  package:
    uses: gitml/model/package
    with: {model: model, output: model.onnx, parity: train.csv}
`;

const BARE = `require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = '{"model_name":"m","outputs":[{"name":"label","datatype":"BYTES","shape":[1],"data":["yes"]}]}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });`;

/** Starts a server process and resolves its URL and pid once it prints where it listens. */
function startServer(cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d) => {
      out += d.toString();
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve({ url: m[1], child });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${out}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+)/)[1]) / 1024;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk prints its usage and exits 1 when asked its version: it is there.
    return err.status === 1;
  }
}

/** `wrk` with one thread and 50 connections: requests per second and p99 in milliseconds. */
function wrkLoad(url, script, seconds) {
  const out = execFileSync('wrk', ['-t1', '-c50', `-d${seconds}s`, '-s', script, '--latency', url], { encoding: 'utf8' });
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]);
  const [, v, unit] = out.match(/\s99%\s+([\d.]+)(us|ms|s)/);
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/);
  if (errors) throw new Error(`${url}: ${errors[0]}`);
  return { rps, p99: Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1) };
}

export async function benchServe({ root, work, cli, quick, record, note }) {
  const autocannon = createRequire(import.meta.url)('autocannon');
  const dir = join(work, 'serve');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.csv'), dataset(5000, 11));
  writeFileSync(join(dir, 'ml.yaml'), PIPELINE);
  spawnSync('git', ['init', '-q'], { cwd: dir });
  const built = spawnSync(process.execPath, [cli, 'repro', '-q'], { cwd: dir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the served model failed: ${built.stderr}`);
  writeFileSync(join(dir, 'serve.yaml'), 'models:\n  - versions: [{path: model.onnx}]\nlog: {path: logs/predictions.ndjson}\n');

  const row = {
    inputs: Array.from({ length: FEATURES }, (_, i) => ({ name: `f${i}`, shape: [1], datatype: 'FP64', data: [0.1 * i - 0.3] })),
  };
  const body = JSON.stringify(row);
  const seconds = quick ? 3 : 8;
  const wrk = hasWrk();
  const luaFile = join(dir, 'post.lua');
  writeFileSync(luaFile, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`);
  /** Requests per second and p99 in ms over `secs` seconds at 50 connections, or `amount` requests (autocannon). */
  const load = async (url, path, opts = {}) => {
    if (wrk && !opts.amount) return wrkLoad(`${url}${path}`, luaFile, opts.duration ?? seconds);
    const r = await autocannon({ url: `${url}${path}`, connections: 50, method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(opts.amount ? {} : { duration: opts.duration ?? seconds }), ...opts });
    if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    return { rps: r.requests.average, p99: r.latency.p99 };
  };
  const gitmlServer = (args) => startServer(process.execPath, [cli, 'serve', ...args, '--port', '0'], dir);
  note(`  serve: load from ${wrk ? 'wrk, 1 thread' : 'autocannon (wrk is not installed)'}, 50 connections, ${seconds} s per run`);

  // Requests per second and p99: bare node:http against gitml serve, one process and two, log off and on; alternated.
  const rounds = quick ? 1 : 3;
  const kinds = {
    bare: () => startServer(process.execPath, ['-e', BARE], dir),
    gitml: () => gitmlServer(['model.onnx']),
    logged: () => gitmlServer(['--config', 'serve.yaml']),
    workers: () => gitmlServer(['model.onnx', '--workers', '2']),
    'workers, logged': () => gitmlServer(['--config', 'serve.yaml', '--workers', '2']),
  };
  const runs = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [kind, start] of Object.entries(kinds)) {
      const { url, child } = await start();
      const path = kind === 'bare' ? '/' : '/v2/models/model/infer';
      await load(url, path, { duration: 1 }); // warm-up
      runs[kind].push(await load(url, path));
      await stop(child);
    }
  }
  const rps = (xs) => median(xs.map((x) => x.rps));
  const p99 = (xs) => median(xs.map((x) => x.p99));
  for (const [kind, xs] of Object.entries(runs)) note(`  serve ${kind}: ${xs.map((x) => `${x.rps.toFixed(0)} req/s p99 ${x.p99} ms`).join('; ')}`);
  const extra = { rounds, statistic: 'median', load: wrk ? 'wrk' : 'autocannon' };
  record('serve: single-row OIP infer, 50 connections', rps(runs.gitml), 'bare node:http fixed JSON', rps(runs.bare), 0.6, 'req/s', true, extra);
  record('serve --workers 2: single-row OIP infer', rps(runs.workers), 'bare node:http fixed JSON', rps(runs.bare), 0.6, 'req/s', true, extra);
  record('serve: p99 latency, single-row OIP infer', p99(runs.gitml), 'target 2 ms', 2, 1, 'ms');
  record('serve --workers 2: p99 latency', p99(runs.workers), 'target 2 ms', 2, 1, 'ms');
  record('serve: req/s with the prediction log on', rps(runs.logged), 'gitml serve, log off', rps(runs.gitml), 0.9, 'req/s', true, extra);
  record('serve --workers 2: req/s with the log on', rps(runs['workers, logged']), 'log off', rps(runs.workers), 0.9, 'req/s', true, extra);

  // Memory: resident size after the first 100k requests and after 1M.
  {
    const total = quick ? 200_000 : 1_000_000;
    const { url, child } = await gitmlServer(['--config', 'serve.yaml']);
    await load(url, '/v2/models/model/infer', { amount: 100_000 });
    const early = rssMb(child.pid);
    await load(url, '/v2/models/model/infer', { amount: total - 100_000 });
    const late = rssMb(child.pid);
    await stop(child);
    note(`  serve memory: ${early.toFixed(0)} MB after 100k requests, ${late.toFixed(0)} MB after ${total / 1000}k`);
    record(`serve: RSS after ${total / 1e6}M requests`, late, 'RSS after 100k requests', early, 1.1, 'MB');
  }

  // Batch prediction from Parquet against onnxruntime-node on in-memory tensors of the same rows.
  {
    const rows = quick ? 200_000 : 1_000_000;
    const { loadPolars } = await import(join(root, 'dist/core/steps/table.js'));
    const pl = await loadPolars();
    const csv = dataset(rows, 12);
    const df = pl.readCSV(csv);
    df.writeParquet(join(dir, 'big.parquet'));
    const cols = Object.fromEntries(Array.from({ length: FEATURES }, (_, i) => [`f${i}`, Float64Array.from(df.getColumn(`f${i}`).toArray())]));
    const ort = createRequire(join(root, 'package.json'))('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const raw = async () => {
      const t = performance.now();
      for (let start = 0; start < rows; start += 8192) {
        const n = Math.min(8192, rows - start);
        const feeds = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, new ort.Tensor('float64', v.subarray(start, start + n), [n])]));
        await session.run(feeds);
      }
      return rows / ((performance.now() - t) / 1000);
    };
    const predict = () => {
      const t = performance.now();
      const r = spawnSync(process.execPath, [cli, 'predict', 'model.onnx', '-i', 'big.parquet', '-o', 'out.csv', '-q'], { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`gitml predict failed: ${r.stderr}`);
      return rows / ((performance.now() - t) / 1000);
    };
    const a = [];
    const b = [];
    for (let i = 0; i < rounds; i++) {
      a.push(predict());
      b.push(await raw());
    }
    await session.release();
    note(`  predict: gitml ${a.map((x) => x.toFixed(0)).join(' ')} rows/s; raw onnxruntime ${b.map((x) => x.toFixed(0)).join(' ')} rows/s`);
    record(`predict ${rows / 1e6}M rows from Parquet`, median(a), 'onnxruntime-node, in memory', median(b), 0.5, 'rows/s', true, { rounds, statistic: 'median' });
  }
}
