// The built-in data steps against plain nodejs-polars scripts doing the same work, on a generated CSV of 1,000,000
// rows and 20 columns with nulls. Each bench/steps/<step>.mjs prepares its inputs and settings and gives the source of
// its baseline script; both run as separate processes under /usr/bin/time, for wall time and peak memory.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Columns: id, c01..c09 floats (~2% null), s01..s05 categories (~1% null), label (3 classes), ts (ISO date), n01..n03 ints. */
export async function generateCsv(path, rows) {
  const out = createWriteStream(path);
  const write = (s) => (out.write(s) ? Promise.resolve() : new Promise((res) => out.once('drain', res)));
  const floats = Array.from({ length: 9 }, (_, i) => `c0${i + 1}`);
  const strings = Array.from({ length: 5 }, (_, i) => `s0${i + 1}`);
  await write(`${['id', ...floats, ...strings, 'label', 'ts', 'n01', 'n02', 'n03'].join(',')}\n`);
  // A small deterministic generator (xorshift32): the same file every run.
  let x = 2463534242;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const labels = ['cat', 'dog', 'bird'];
  const start = Date.UTC(2020, 0, 1);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const cells = [String(i)];
    for (let f = 0; f < 9; f++) cells.push(rand() < 0.02 ? '' : ((rand() - 0.3) * 100 * (f + 1)).toFixed(4));
    for (let s = 0; s < 5; s++) cells.push(rand() < 0.01 ? '' : `v${s}_${Math.floor(rand() * (5 + s * 3))}`);
    const r = rand();
    cells.push(labels[r < 0.5 ? 0 : r < 0.8 ? 1 : 2]);
    cells.push(new Date(start + Math.floor(rand() * 4 * 365) * 86_400_000).toISOString().slice(0, 10));
    for (let n = 0; n < 3; n++) cells.push(String(Math.floor(rand() * 1000 * (n + 1))));
    chunk += `${cells.join(',')}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise((res) => out.end(res));
}

/** Wall seconds and peak resident megabytes of a command, via GNU time. */
function timed(cmd, args, cwd, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [secs, kb] = last.split(' ').map(Number);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return { secs, mb: kb / 1024 };
}

/**
 * Runs every bench/steps/*.mjs. `record(name, gitml, baselineName, baseline, target)` is the caller's reporter;
 * `extra` prints peak memory beside it.
 */
export async function benchData({ root, work, cli, rows, record, note }) {
  if (!existsSync('/usr/bin/time')) {
    note('note: /usr/bin/time is missing (Debian package `time`); the data step figures are skipped');
    return;
  }
  const csv = join(work, 'data.csv');
  const t = performance.now();
  await generateCsv(csv, rows);
  note(`generated ${rows} rows x 20 columns in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  // Baseline scripts live inside the repository so that `import pl from "nodejs-polars"` resolves.
  const scripts = join(root, 'bench/.work');
  mkdirSync(scripts, { recursive: true });
  try {
    for (const file of readdirSync(join(root, 'bench/steps')).filter((f) => f.endsWith('.mjs')).sort()) {
      const step = file.replace(/\.mjs$/, '');
      const mod = await import(join(root, 'bench/steps', file));
      const dir = mkdtempSync(join(work, `${step}-`));
      const prepared = await mod.prepare(dir, csv);
      const cwd = prepared.cwd ?? dir;
      const baselineFile = join(scripts, `${step}-baseline.mjs`);
      writeFileSync(baselineFile, prepared.baseline);
      let ours = { secs: Infinity, mb: 0 };
      let base = { secs: Infinity, mb: 0 };
      // Best of two for each, alternating, so neither gets a warmer page cache.
      for (let i = 0; i < 2; i++) {
        const a = timed(process.execPath, [cli, 'step', step, '--with', JSON.stringify(prepared.with), '-q'], cwd);
        const b = timed(process.execPath, [baselineFile], cwd);
        if (a.secs < ours.secs) ours = a;
        if (b.secs < base.secs) base = b;
      }
      record(`step ${step}, ${rows} rows`, ours.secs, 'nodejs-polars script', base.secs, 1.5, { gitmlPeakMb: ours.mb, baselinePeakMb: base.mb });
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(scripts, { recursive: true, force: true });
  }
}
