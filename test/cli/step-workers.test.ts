import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeFixture, type Fixture } from '../helpers/fixture.js';

const ingest = (name: string, input: string, output: string) =>
  `  ${name}:\n    uses: gitml/data/ingest\n    with: {input: "${input}", output: ${output}}\n`;
const csv = (from: number, n: number) =>
  `id,score\n${Array.from({ length: n }, (_, k) => `${from + k},${((from + k) * 7) % 11}`).join('\n')}\n`;

/** Runs gitml with a preload that appends the pid of every Node main thread it starts to `pids.txt`. */
function reproCountingProcesses(fx: Fixture, env: Record<string, string> = {}) {
  const preload = join(fx.dir, 'pid.cjs');
  writeFileSync(
    preload,
    `if (require('node:worker_threads').isMainThread) require('node:fs').appendFileSync(${JSON.stringify(join(fx.dir, 'pids.txt'))}, process.pid + '\\n');\n`,
  );
  const r = spawnSync(process.execPath, [CLI, 'repro', '-f'], {
    cwd: fx.dir,
    encoding: 'utf8',
    env: { ...process.env, ...env, NODE_OPTIONS: `--require ${preload}` },
  });
  const pids = new Set(fx.read('pids.txt').trim().split('\n'));
  return { code: r.status, out: r.stdout + r.stderr, pids };
}

describe('built-in steps in worker threads', () => {
  it('a uses: stage runs inside the repro process, with no process of its own; GITML_STEP_ISOLATION=process starts one', () => {
    const fx = makeFixture({
      'ml.yaml': `stages:\n${ingest('a', 'a.csv', 'a.parquet')}${ingest('b', 'b.csv', 'b.parquet')}`,
      'a.csv': csv(0, 5),
      'b.csv': csv(5, 5),
    });
    const inWorker = reproCountingProcesses(fx);
    expect(inWorker.code, inWorker.out).toBe(0);
    expect(inWorker.out).toContain('[a] ingest: 5 rows, 2 columns from 1 file -> a.parquet');
    expect(inWorker.pids.size).toBe(1);
    expect(fx.read('.ml/logs/a.log')).toContain('$ gitml step ingest (in a worker thread)\ningest: 5 rows');

    fx.remove('pids.txt');
    const isolated = reproCountingProcesses(fx, { GITML_STEP_ISOLATION: 'process' });
    expect(isolated.code, isolated.out).toBe(0);
    expect(isolated.out).toContain('[b] ingest: 5 rows, 2 columns from 1 file -> b.parquet');
    // The repro and one `gitml step` per stage.
    expect(isolated.pids.size).toBe(3);
  });
});

describe('a built-in step that fails or is stopped', () => {
  it('fails only its own stage: the worker is reused and the next stage runs and is recorded', () => {
    const fx = makeFixture({
      'ml.yaml': `stages:\n${ingest('bad', 'bad.json', 'bad.parquet')}${ingest('good', 'a.csv', 'a.parquet')}`,
      'bad.json': '{not json',
      'a.csv': csv(0, 3),
    });
    const r = fx.gitml('repro', '-k', '-j', '1');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[bad] error: ingest: bad.json: expected a JSON array of records');
    expect(r.stdout).toContain('Stage `bad` failed: step `ingest` failed');
    expect(r.stdout).toContain('Stage `good` done');
    expect(Object.keys(fx.lock().stages)).toEqual(['good']);
    expect(fx.exists('bad.parquet')).toBe(false);
  });

  it('on SIGINT stops at once, exits 130, and leaves neither the output nor a temporary file', async () => {
    const fx = makeFixture({ 'ml.yaml': `stages:\n${ingest('big', 'parts/*.csv', 'out/big.parquet')}` });
    // Thousands of small files: the step reads them one by one for seconds, in JavaScript between native reads.
    for (let i = 0; i < 3000; i++) fx.write(`parts/p${String(i).padStart(5, '0')}.csv`, csv(i, 1));
    const child = spawn(process.execPath, [CLI, 'repro'], { cwd: fx.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const end = Date.now() + 20_000;
    while (!out.includes('Running stage `big`') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const sent = Date.now();
    child.kill('SIGINT');
    expect(await exited, out).toBe(130);
    expect(Date.now() - sent).toBeLessThan(3000);
    expect(out).toContain('Received SIGINT');
    expect(out).not.toContain('Stage `big` done');
    expect(fx.exists('out/big.parquet')).toBe(false);
    expect(fx.exists('out') ? readdirSync(join(fx.dir, 'out')) : []).toEqual([]);
    expect(fx.exists('ml.lock.json') ? Object.keys(fx.lock().stages) : []).toEqual([]);
  });
});

describe('temporary files of a killed run', () => {
  it('the next repro removes what a step of a dead gitml left beside its output, and keeps a live one', () => {
    const fx = makeFixture({ 'ml.yaml': `stages:\n${ingest('a', 'a.csv', 'out.parquet')}`, 'a.csv': csv(0, 3) });
    // What a step writing out.parquet leaves when its gitml is killed with SIGKILL mid-write.
    fx.write('.out.parquet.tmp-999999999-1', 'half a parquet file');
    // Another process's file that is still being written is not ours to delete.
    fx.write(`.out.parquet.tmp-${process.pid}-1`, 'being written');
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fx.exists('.out.parquet.tmp-999999999-1')).toBe(false);
    expect(fx.exists(`.out.parquet.tmp-${process.pid}-1`)).toBe(true);
    expect(fx.exists('out.parquet')).toBe(true);
  });
});
