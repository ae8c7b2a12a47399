// Speed of small runs: start-up of `gitml status`, the root demo end to end, and what a built-in step stage costs
// beyond the step's own work. Commands measured against each other are alternated run by run, so that load from
// elsewhere on the machine falls on both alike; each figure is the median.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Medians in seconds of each command, run in turn `runs` times. A command is [file, args, extra env]. */
function alternate(cwd, commands, runs) {
  const times = commands.map(() => []);
  for (let i = 0; i < runs; i++)
    commands.forEach(([file, args, env], j) => {
      const t = performance.now();
      const r = spawnSync(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
      times[j].push((performance.now() - t) / 1000);
    });
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

function workspace(dir, files) {
  mkdirSync(dir, { recursive: true });
  spawnSync('git', ['init', '-q'], { cwd: dir });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

export async function benchSpeed({ root, work, cli, quick, record, note }) {
  const node = process.execPath;
  const gitml = (...args) => [node, [cli, ...args], {}];

  // `gitml status` of a one-stage project, up to date, against Node starting and doing nothing.
  const one = join(work, 'speed-status');
  workspace(one, { 'ml.yaml': 'stages:\n  a:\n    cmd: echo x > a.txt\n    outs: [a.txt]\n' });
  alternate(one, [gitml('repro', '-q')], 1);
  const [status, bare] = alternate(one, [gitml('status'), [node, ['-e', '0'], {}]], quick ? 9 : 21);
  record('status, one-stage project', status, 'node -e 0', bare, 2);

  // The root demo pipeline, every stage forced; beside it the same run with a process per built-in step.
  const demo = join(work, 'speed-demo');
  mkdirSync(demo);
  for (const path of ['ml.yaml', 'params.yaml', 'ml.lock.json', 'demo', 'data/raw', 'data/expectations.yaml'])
    cpSync(join(root, path), join(demo, path), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(demo, 'node_modules'));
  spawnSync('git', ['init', '-q'], { cwd: demo });
  alternate(demo, [gitml('repro', '-q')], 1);
  const isolated = [node, [cli, 'repro', '-f', '-q'], { GITML_STEP_ISOLATION: 'process' }];
  const [full, perProcess] = alternate(demo, [gitml('repro', '-f', '-q'), isolated], quick ? 3 : 5);
  record('root demo, repro -f', full, 'target 3 s', 3, 1);
  note(`  (the same with GITML_STEP_ISOLATION=process, a process per step: ${perProcess.toFixed(3)} s)`);

  // What one more built-in step stage adds beyond the step's own work: 10 more ingest stages in the pipeline, against
  // 10 more calls of the same step (gitml's own runStep, in one process) in a script. Start-up cancels out.
  const steps = join(work, 'speed-steps');
  const csv = readFileSync(join(root, 'data/raw/customers.csv'), 'utf8');
  const pipeline = (n) =>
    `stages:\n${Array.from({ length: n }, (_, i) => `  s${i}:\n    uses: gitml/data/ingest\n    with: {input: in.csv, output: out/${i}.parquet}\n`).join('')}`;
  workspace(steps, { 'in.csv': csv, 'ten.yaml': pipeline(10), 'twenty.yaml': pipeline(20) });
  const script = (n) =>
    `import { runStep } from ${JSON.stringify(join(root, 'dist/core/steps/run.js'))};\nfor (let i = 0; i < ${n}; i++) await runStep('ingest', JSON.stringify({ input: 'in.csv', output: 'plain/' + i + '.parquet' }), { cwd: process.cwd(), log: () => {} });\n`;
  writeFileSync(join(steps, 'ten.mjs'), script(10));
  writeFileSync(join(steps, 'twenty.mjs'), script(20));
  const repro = (file, env = {}) => ['sh', ['-c', `cp ${file} ml.yaml && exec "$0" "$1" repro -f -q -j 1`, node, cli], env];
  alternate(steps, [repro('twenty.yaml')], 1);
  const runs = quick ? 3 : 7;
  const [g10, g20, s10, s20, p10, p20] = alternate(
    steps,
    [
      repro('ten.yaml'),
      repro('twenty.yaml'),
      [node, ['ten.mjs'], {}],
      [node, ['twenty.mjs'], {}],
      repro('ten.yaml', { GITML_STEP_ISOLATION: 'process' }),
      repro('twenty.yaml', { GITML_STEP_ISOLATION: 'process' }),
    ],
    runs,
  );
  const own = (s20 - s10) / 10;
  record('built-in step stage, overhead beyond the step', (g20 - g10) / 10 - own, 'target 100 ms', 0.1, 1);
  note(
    `  (the step's own work ${(own * 1000).toFixed(1)} ms a stage; with a process per step the overhead is ${(((p20 - p10) / 10 - own) * 1000).toFixed(0)} ms)`,
  );
}
