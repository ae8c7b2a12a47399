#!/usr/bin/env node
// `npm run bench`: measures gitml against baselines run on the same machine in the same run, prints each figure
// beside its baseline with the ratio and the target, and writes bench/results.json. Trees are generated in a
// temporary directory and removed afterwards. Needs a built dist/ (npm install builds it).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchData } from './data.mjs';
import { benchGbdt } from './gbdt.mjs';
import { benchNn } from './nn.mjs';
import { benchServe } from './serve.mjs';
import { benchSpeed } from './speed.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/bin.cjs');
const { PathHasher } = await import(join(ROOT, 'dist/core/hash/hash-path.js'));
const { closePool } = await import(join(ROOT, 'dist/core/hash/hash-pool.js'));

const quick = process.argv.includes('--quick'); // smaller trees, for trying the script out
// `--only data` (or hashing, tree, checkout, pipeline, startup, speed, nn, gbdt, serve): one group of figures.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const FILES = quick ? 10_000 : 100_000;
const BIG = quick ? 256 << 20 : 1 << 30;
const STAGES = quick ? 200 : 1000;

const work = mkdtempSync(join(tmpdir(), 'gitml-bench-'));
const results = [];

function has(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function ensureB3sum() {
  if (has('b3sum')) return true;
  // Debian ships b3sum; install it when we may (root or passwordless sudo), else report it as absent.
  const apt = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  spawnSync(apt[0], [...apt.slice(1), 'install', '-y', '-q', 'b3sum'], { stdio: 'ignore' });
  return has('b3sum');
}

/** Wall time of `fn` in seconds, best of `runs` (the least disturbed by other work on the machine). */
async function time(fn, runs = 3, before) {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    if (before) await before();
    const t = performance.now();
    await fn();
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return best;
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.toString();
}

const gitml = (cwd, ...args) => run(process.execPath, [CLI, ...args], cwd);

/**
 * Records one comparison. `target` is the largest allowed gitml/baseline time ratio, or for throughput (`higher`)
 * the smallest allowed gitml/baseline speed ratio.
 */
function record(name, gitmlValue, baselineName, baselineValue, target, unit = 's', higher = false, extra = undefined) {
  const ratio = baselineValue === undefined ? undefined : gitmlValue / baselineValue;
  const pass = ratio === undefined ? undefined : higher ? ratio >= target : ratio <= target;
  results.push({ name, gitml: gitmlValue, baseline: baselineName, baselineValue, unit, ratio, target: `${higher ? '>=' : '<='} ${target}x`, pass, ...extra });
  const units = { 'GiB/s': (v) => `${v.toFixed(2)} GiB/s`, 'rows/s': (v) => `${v.toFixed(0)} rows/s`, s: (v) => `${v.toFixed(3)} s` };
  const fmt = (v) => (v === undefined ? 'absent' : (units[unit] ?? ((x) => `${x.toFixed(4)} ${unit}`))(v));
  const memory = extra?.gitmlPeakMb ? `  peak ${extra.gitmlPeakMb.toFixed(0)} MB vs ${extra.baselinePeakMb.toFixed(0)} MB` : '';
  console.log(
    `${name.padEnd(44)} gitml ${fmt(gitmlValue).padStart(11)}   ${baselineName.padEnd(26)} ${fmt(baselineValue).padStart(11)}   ratio ${ratio === undefined ? '  n/a' : ratio.toFixed(2).padStart(5)}  target ${higher ? '>=' : '<='} ${target}x  ${pass === undefined ? 'baseline absent' : pass ? 'ok' : 'MISSED'}${memory}`,
  );
}

function writeFile(path, bytes) {
  const fd = openSync(path, 'w');
  const chunk = randomBytes(16 << 20);
  for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  closeSync(fd);
}

async function benchHashing() {
  const file = join(work, 'big.bin');
  writeFile(file, BIG);
  run('sh', ['-c', `cat '${file}' > /dev/null`]); // page-cached from here on
  const gib = BIG / (1 << 30);
  // Through the path status and repro take: a fresh hasher (no stat cache) asked for the file.
  const ours = gib / (await time(async () => (await PathHasher.create(work, { persist: false })).hashAll(['big.bin'])));
  const b3 = ensureB3sum() ? gib / (await time(() => run('b3sum', ['--num-threads', '1', file]))) : undefined;
  const md5 = has('md5sum') ? gib / (await time(() => run('md5sum', [file]))) : undefined;
  if (b3 === undefined) console.log('note: b3sum is not installed and could not be; its comparison is skipped');
  record(`hash ${gib} GiB page-cached file`, ours, 'b3sum --num-threads 1', b3, 0.8, 'GiB/s', true);
  record(`hash ${gib} GiB page-cached file`, ours, 'md5sum', md5, 4, 'GiB/s', true);
  rmSync(file);
}

function makeTree(dir, files) {
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(1024 + ((i * 2654435761) % 3072)));
  }
}

/** A workspace whose one stage made a tree of FILES files of 1-4 KiB under data/, all saved in the cache. */
function treeWorkspace(name) {
  const ws = join(work, name);
  mkdirSync(ws);
  run('git', ['init', '-q'], ws);
  writeFileSync(join(ws, 'ml.yaml'), `stages:\n  gen:\n    cmd: node gen.mjs\n    outs: [data]\n`);
  // The stage that produces the tree; its body is not what is measured.
  writeFileSync(
    join(ws, 'gen.mjs'),
    `import { mkdirSync, writeFileSync } from 'node:fs';\nimport { randomBytes } from 'node:crypto';\nfor (let i = 0; i < ${FILES}; i++) {\n  if (i % 1000 === 0) mkdirSync('data/d' + i / 1000, { recursive: true });\n  writeFileSync('data/d' + Math.floor(i / 1000) + '/f' + i + '.bin', randomBytes(1024 + ((i * 2654435761) % 3072)));\n}\n`,
  );
  gitml(ws, 'repro', '-q');
  return ws;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * `gitml checkout` of the whole tree into an empty workspace against `cp -r` of the same tree, alternated `rounds`
 * times so that both see the same state of the machine; medians. Every object is verified against its hash on the
 * way in: in copy mode the bytes copied are the bytes hashed, in hardlink mode each object is read once to be hashed
 * before it is linked.
 */
function checkoutVsCp(ws, label, rounds = 5) {
  const ours = [];
  const cp = [];
  // cp -r copies a plain tree of the same files from outside the workspace, into the same place checkout writes:
  // where a directory is created decides how fast files are created in it (on ext4, cp -r into a directory beside a
  // large .ml/cache was measured ten times slower than into a fresh one elsewhere), so both write to ws/data.
  const ref = join(work, 'ref');
  if (!existsSync(ref)) run('cp', ['-r', join(ws, 'data'), ref]);
  const steps = [
    () => {
      rmSync(join(ws, 'data'), { recursive: true, force: true });
      const t = performance.now();
      gitml(ws, 'checkout', '-q');
      ours.push((performance.now() - t) / 1000);
    },
    () => {
      rmSync(join(ws, 'data'), { recursive: true, force: true });
      const t = performance.now();
      run('cp', ['-r', ref, join(ws, 'data')]);
      cp.push((performance.now() - t) / 1000);
    },
  ];
  // Alternated, and which goes first alternates too, so that both see the same state of the machine.
  for (let i = 0; i < rounds; i++) for (const step of i % 2 ? [...steps].reverse() : steps) step();
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(' ');
  console.log(`  ${label}: gitml ${fmt(ours)}; cp -r ${fmt(cp)}`);
  // Leave the workspace as checkout made it.
  rmSync(join(ws, 'data'), { recursive: true, force: true });
  gitml(ws, 'checkout', '-q');
  return { ours: median(ours), cp: median(cp) };
}

async function benchTree() {
  const ws = treeWorkspace('tree');

  const statDir = join(ws, '.ml/state/stat');
  const first = await time(() => gitml(ws, 'status'), 2, () => rmSync(statDir, { recursive: true, force: true }));
  // git add into a fresh repository each time: a second add into the same one finds every object already written.
  const gitAdd = await time(
    () => run('git', ['add', '-A', '-f', 'data'], ws),
    2,
    () => {
      rmSync(join(ws, '.git'), { recursive: true, force: true });
      run('git', ['init', '-q'], ws);
    },
  );
  record(`first status, ${FILES} files (all hashed)`, first, 'git add -A', gitAdd, 0.25);

  // The tree stays in git's index, so that git status compares all of it, as gitml status does.
  gitml(ws, 'status');
  const noop = await time(() => gitml(ws, 'status'), 5);
  const gitStatus = await time(() => run('git', ['status', '--porcelain'], ws), 5);
  record(`no-op status, ${FILES} files`, noop, 'git status', gitStatus, 2);
  rmSync(ws, { recursive: true, force: true });
}

async function benchCheckout() {
  const ws = treeWorkspace('checkout');
  const copy = checkoutVsCp(ws, 'copy mode (default), medians of alternated runs');
  record(`checkout ${FILES} files (verified) vs cp -r`, copy.ours, 'cp -r', copy.cp, 1, 's', false, { rounds: 5, statistic: 'median' });
  writeFileSync(join(ws, '.ml/config.yaml'), 'cache:\n  link: hardlink\n');
  const hard = checkoutVsCp(ws, 'hardlink mode, each object hashed before it is linked');
  record(`checkout ${FILES} files (hardlink, verified)`, hard.ours, 'cp -r', hard.cp, 1, 's', false, { rounds: 5, statistic: 'median' });
  rmSync(ws, { recursive: true, force: true });
  rmSync(join(work, 'ref'), { recursive: true, force: true });
}

async function benchPipeline() {
  const ws = join(work, 'pipeline');
  mkdirSync(join(ws, 'in'), { recursive: true });
  run('git', ['init', '-q'], ws);
  // Ten chains of stages: each copies its input and the previous stage's output.
  const lines = ['stages:'];
  for (let i = 0; i < STAGES; i++) {
    writeFileSync(join(ws, 'in', `${i}.txt`), `input ${i}\n`);
    const prev = i >= 10 ? ` out/${i - 10}.txt` : '';
    lines.push(`  s${i}:`, `    cmd: mkdir -p out && cat in/${i}.txt${prev} > out/${i}.txt`, `    deps: [in/${i}.txt${prev ? `,${prev}` : ''}]`, `    outs: [out/${i}.txt]`);
  }
  writeFileSync(join(ws, 'ml.yaml'), `${lines.join('\n')}\n`);
  gitml(ws, 'repro', '-q');
  const noop = await time(() => gitml(ws, 'repro'), 3);
  record(`repro, ${STAGES} stages all up to date`, noop, 'target 1 s', 1, 1);
  rmSync(ws, { recursive: true, force: true });
}

async function benchStartup() {
  const ours = await time(() => gitml(ROOT, '--version'), 10);
  const node = await time(() => run(process.execPath, ['-e', '0']), 10);
  record('gitml --version', ours, 'node -e 0', node, 2);
}

try {
  console.log(`gitml bench on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}${quick ? ', --quick' : ''}\n`);
  const groups = {
    hashing: benchHashing,
    tree: benchTree,
    checkout: benchCheckout,
    pipeline: benchPipeline,
    startup: benchStartup,
    speed: () => benchSpeed({ root: ROOT, work, cli: CLI, quick, record, note: (line) => console.log(line) }),
    data: () =>
      benchData({
        root: ROOT,
        work,
        cli: CLI,
        rows: quick ? 100_000 : 1_000_000,
        note: (line) => console.log(line),
        record: (name, ours, baselineName, base, target, extra) => record(name, ours, baselineName, base, target, 's', false, extra),
      }),
    nn: () => benchNn({ root: ROOT, quick, record, note: (line) => console.log(line) }),
    gbdt: () => benchGbdt({ root: ROOT, work, quick, record, note: (line) => console.log(line) }),
    serve: () => benchServe({ root: ROOT, work, cli: CLI, quick, record, note: (line) => console.log(line) }),
  };
  if (only && !groups[only]) throw new Error(`--only ${only}: the groups are ${Object.keys(groups).join(', ')}`);
  for (const [name, run] of Object.entries(groups)) if (!only || only === name) await run();
} finally {
  await closePool();
  rmSync(work, { recursive: true, force: true });
}

// With --only, the other groups' figures from the last full run stay in the file.
if (only && existsSync(join(ROOT, 'bench/results.json'))) {
  const previous = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')).results ?? [];
  const fresh = new Set(results.map((r) => `${r.name}\0${r.baseline}`));
  results.unshift(...previous.filter((r) => !fresh.has(`${r.name}\0${r.baseline}`)));
}
const out = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  gitmlCommit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).stdout?.toString().trim(),
  quick,
  results,
};
writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(out, null, 2)}\n`);
const missed = results.filter((r) => r.pass === false);
console.log(`\n${results.length - missed.length}/${results.length} targets met; written to bench/results.json`);
