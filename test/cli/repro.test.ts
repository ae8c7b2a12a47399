import { statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';

/** Two stages in a chain plus one independent; commands are plain shell so the tests stay fast. */
const PIPELINE = `
stages:
  prepare:
    cmd: mkdir -p data && tr a-z A-Z < raw.txt > data/clean.txt
    deps: [raw.txt]
    outs: [data]
  count:
    cmd: wc -c < data/clean.txt | tr -d ' ' > count.txt && echo counted
    deps: [data/clean.txt]
    params: [count.mode]
    outs: [count.txt]
  other:
    cmd: echo \${other.greeting} > other.txt
    outs: [other.txt]
`;

const PARAMS = `count:\n  mode: bytes\nother:\n  greeting: hello\n`;

function pipeline() {
  return makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': PARAMS, 'raw.txt': 'abc\n' });
}

describe('gitml repro', () => {
  it('runs every stage of a new pipeline, records hashes and params, and prefixes stage output', () => {
    const fx = pipeline();
    const r = fx.gitml('repro');
    expect(r.code).toBe(0);
    expect(fx.read('data/clean.txt')).toBe('ABC\n');
    expect(fx.read('count.txt').trim()).toBe('4');
    expect(r.stdout).toContain('[count] counted');
    expect(r.stdout).toContain('Running stage `prepare` (never run)');

    const lock = fx.lock();
    expect(lock.schema).toBe('1');
    expect(Object.keys(lock.stages).sort()).toEqual(['count', 'other', 'prepare']);
    expect(lock.stages.prepare.deps['raw.txt'].hash).toMatch(/^blake3:[0-9a-f]{64}$/);
    expect(lock.stages.prepare.outs.data).toMatchObject({ nfiles: 1, size: 4 });
    expect(lock.stages.count.params).toEqual({ 'params.yaml': { 'count.mode': 'bytes' } });
    // A param read through ${...} in cmd is tracked without being listed.
    expect(lock.stages.other.params).toEqual({ 'params.yaml': { 'other.greeting': 'hello' } });
    expect(lock.stages.other.cmd).toEqual(['echo hello > other.txt']);
    expect(fx.read('.ml/logs/count.log')).toContain('counted');
  });

  it('does nothing the second time and leaves the lockfile byte-identical', () => {
    const fx = pipeline();
    fx.gitml('repro');
    const before = fx.read('ml.lock.json');
    const r = fx.gitml('repro');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Nothing to reproduce');
    expect(r.stdout).not.toContain('Running stage');
    expect(fx.read('ml.lock.json')).toBe(before);
  });

  it('reruns a stage when its dependency changes, and the downstream when its inputs changed', () => {
    const fx = pipeline();
    fx.gitml('repro');
    fx.write('raw.txt', 'xyz\n');
    const r = fx.gitml('repro');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Running stage `prepare` (dep `raw.txt` modified)');
    expect(r.stdout).toContain('Running stage `count`');
    expect(r.stdout).not.toContain('Running stage `other`');
  });

  it('does not run a downstream stage when the upstream reran but produced identical output', () => {
    const fx = pipeline();
    fx.gitml('repro');
    // Changing the command of `prepare` reruns it, but its output is the same bytes.
    fx.write('ml.yaml', PIPELINE.replace('tr a-z A-Z < raw.txt', 'tr a-z A-Z  < raw.txt'));
    const r = fx.gitml('repro');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Running stage `prepare` (command changed)');
    expect(r.stdout).toContain('Stage `count` is up to date (its inputs came out unchanged)');
    expect(r.stdout).not.toContain('Running stage `count`');
  });

  it('reruns a stage when a tracked param changes', () => {
    const fx = pipeline();
    fx.gitml('repro');
    fx.write('params.yaml', PARAMS.replace('greeting: hello', 'greeting: bonjour'));
    const r = fx.gitml('repro');
    expect(r.stdout).toContain('Running stage `other` (command changed; param `other.greeting` changed `hello -> bonjour`)');
    expect(fx.read('other.txt')).toBe('bonjour\n');
  });

  it('runs only the named stage and its upstream; --downstream runs what depends on it', () => {
    const fx = pipeline();
    let r = fx.gitml('repro', 'count');
    expect(r.stdout).toContain('Running stage `prepare`');
    expect(r.stdout).toContain('Running stage `count`');
    expect(fx.exists('other.txt')).toBe(false);

    fx.gitml('repro');
    r = fx.gitml('repro', '-f', '--downstream', 'prepare');
    expect(r.stdout).toContain('Running stage `prepare` (forced)');
    expect(r.stdout).toContain('Running stage `count` (forced)');
    expect(r.stdout).not.toContain('Running stage `other`');
  });

  it('--dry prints the plan with reasons and runs nothing', () => {
    const fx = pipeline();
    const r = fx.gitml('repro', '--dry');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('prepare: would run (never run)');
    expect(fx.exists('data')).toBe(false);
    expect(fx.exists('ml.lock.json')).toBe(false);

    fx.gitml('repro');
    fx.write('raw.txt', 'changed\n');
    const dry = fx.gitml('repro', '--dry');
    expect(dry.stdout).toContain('prepare: would run (dep `raw.txt` modified)');
    expect(dry.stdout).toContain('count: may run (upstream `prepare` runs first)');
    expect(dry.stdout).toContain('other: up to date');
  });

  it('-f runs everything even when up to date', () => {
    const fx = pipeline();
    fx.gitml('repro');
    const r = fx.gitml('repro', '-f');
    expect(r.stdout.match(/Running stage/g)).toHaveLength(3);
  });

  it('deletes declared outputs before running unless persist is set', () => {
    const fx = makeFixture({
      'ml.yaml': `
stages:
  fresh:
    cmd: test ! -e fresh.txt && echo new > fresh.txt
    outs: [fresh.txt]
  kept:
    cmd: echo run >> kept.txt
    outs:
      - kept.txt: {persist: true}
`,
    });
    expect(fx.gitml('repro').code).toBe(0);
    expect(fx.gitml('repro', '-f').code).toBe(0);
    expect(fx.read('kept.txt')).toBe('run\nrun\n');
  });

  it('fails with exit 1 when a command fails, shows the end of its log and keeps the old lock entry', () => {
    const fx = pipeline();
    fx.gitml('repro');
    const before = fx.lock().stages.other;
    fx.write('ml.yaml', PIPELINE.replace('echo ${other.greeting} > other.txt', 'echo about to fail && exit 3'));
    const r = fx.gitml('repro');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Stage `other` failed: command `echo about to fail && exit 3` exited with code 3');
    expect(r.stdout).toContain('  | about to fail');
    expect(r.stderr).toContain('stage failed: other');
    expect(fx.lock().stages.other).toEqual(before);
    expect(fx.read('.ml/logs/other.log')).toContain('about to fail');
  });

  it('fails when a command succeeds without creating a declared output', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  lazy:\n    cmd: "true"\n    outs: [never.txt]\n' });
    const r = fx.gitml('repro');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('did not create `never.txt`');
    expect(fx.exists('ml.lock.json')).toBe(false);
  });

  it('without --keep-going a failure stops new stages; with it, only dependents are skipped', () => {
    const yaml = `
stages:
  bad:
    cmd: exit 1
    outs: [bad.txt]
  after_bad:
    cmd: cp bad.txt after.txt
    deps: [bad.txt]
    outs: [after.txt]
  good:
    cmd: echo ok > good.txt
    outs: [good.txt]
`;
    const fx = makeFixture({ 'ml.yaml': yaml });
    let r = fx.gitml('repro', '-j', '1');
    expect(r.code).toBe(1);
    expect(fx.exists('good.txt')).toBe(false);

    r = fx.gitml('repro', '-j', '1', '--keep-going');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Stage `after_bad` skipped: upstream `bad` did not complete');
    expect(fx.read('good.txt')).toBe('ok\n');
    expect(Object.keys(fx.lock().stages)).toEqual(['good']);
  });

  it('runs independent stages in parallel, up to --jobs at once', () => {
    const stage = (n: number) => `  s${n}:\n    cmd: date +%s%N > s${n}.start && sleep 1 && date +%s%N > s${n}.end\n    outs: [s${n}.start, s${n}.end]\n`;
    const span = (fx: ReturnType<typeof makeFixture>, n: number) => [Number(fx.read(`s${n}.start`)), Number(fx.read(`s${n}.end`))] as const;

    const fx = makeFixture({ 'ml.yaml': `stages:\n${[1, 2, 3].map(stage).join('')}` });
    expect(fx.gitml('repro', '-j', '3').code).toBe(0);
    const spans = [1, 2, 3].map((n) => span(fx, n));
    // All three overlapped: the last to start did so before the first to finish.
    expect(Math.max(...spans.map((s) => s[0]))).toBeLessThan(Math.min(...spans.map((s) => s[1])));

    const fx1 = makeFixture({ 'ml.yaml': `stages:\n${[1, 2].map(stage).join('')}` });
    expect(fx1.gitml('repro', '-j', '1').code).toBe(0);
    const [a, b] = [span(fx1, 1), span(fx1, 2)];
    expect(b[0] >= a[1] || a[0] >= b[1]).toBe(true); // one after the other
  });

  it('never runs a frozen stage', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  ice:\n    cmd: echo x > ice.txt\n    outs: [ice.txt]\n    frozen: true\n' });
    const r = fx.gitml('repro');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Stage `ice` is frozen');
    expect(fx.exists('ice.txt')).toBe(false);
    expect(fx.gitml('repro', '-f').stdout).not.toContain('Running stage');
  });

  it('ends with a summary: what ran, what the run-cache restored, what was up to date, each duration and the total', () => {
    const fx = pipeline();
    const first = fx.gitml('repro');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /\nSummary:\n {2}prepare {2}ran {2}\d+\.\d\d s\n {2}other {4}ran {2}\d+\.\d\d s\n {2}count {4}ran {2}\d+\.\d\d s\n3 stages: 3 ran, 0 restored from the run-cache, 0 up to date; total \d+\.\d\d s\.\n$/,
    );
    expect(fx.gitml('repro').stdout).toMatch(/Nothing to reproduce: every stage is up to date \(\d+\.\d\d s\)\.\n$/);

    // Back to an earlier input: the run-cache restores `prepare`; `count` sees the same bytes as then.
    fx.write('raw.txt', 'xyz\n');
    expect(fx.gitml('repro').code).toBe(0);
    fx.write('raw.txt', 'abc\n');
    const again = fx.gitml('repro');
    expect(again.stdout).toMatch(/\n {2}prepare {2}restored from run-cache {2}\d+\.\d\d s\n/);
    expect(again.stdout).toMatch(/\n3 stages: \d ran, [12] restored from the run-cache, 1 up to date; total \d+\.\d\d s\.\n$/);

    fx.write('raw.txt', 'fail\n');
    fx.write('ml.yaml', PIPELINE.replace('tr a-z A-Z < raw.txt', 'false'));
    const failed = fx.gitml('repro');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/\n {2}prepare {2}failed +\d+\.\d\d s\n {2}count {4}not run\n3 stages: 0 ran, 0 restored from the run-cache, 1 up to date, 1 failed, 1 not run; total/);
    expect(fx.gitml('-q', 'repro').stdout).toBe('');
  });

  it('drops the lock entry and .gitignore line of a stage removed from ml.yaml, and says so; user lines stay', () => {
    const fx = pipeline();
    expect(fx.gitml('repro').code).toBe(0);
    fx.write('.gitignore', `# mine\n${fx.read('.gitignore')}count.txt\n`);
    fx.write('ml.yaml', PIPELINE.replace(/ {2}other:\n.*\n.*\n/, ''));
    // A subset of stages still drops only what left ml.yaml.
    const r = fx.gitml('repro', 'count');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Removed stage `other` from ml.lock.json: it is no longer in ml.yaml\n');
    expect(r.stdout).toContain('Removed from .gitignore: /other.txt\n');
    expect(r.stdout).toContain('`gitml gc` can collect them');
    expect(Object.keys(fx.lock().stages).sort()).toEqual(['count', 'prepare']);
    expect(fx.read('.gitignore')).toBe('# mine\n/count.txt\n/data\ncount.txt\n');
    expect(fx.gitml('repro').stdout).not.toContain('Removed');
  });

  it('writes .gitignore entries sorted, whatever order the stages finish in', () => {
    const fx = makeFixture({
      'ml.yaml': 'stages:\n  slow:\n    cmd: sleep 0.3 && echo a > a.txt\n    outs: [a.txt]\n  fast:\n    cmd: echo z > z.txt\n    outs: [z.txt]\n',
      '.gitignore': 'node_modules\n',
    });
    expect(fx.gitml('repro', '-j', '2').code).toBe(0);
    expect(fx.read('.gitignore')).toBe('node_modules\n/a.txt\n/z.txt\n');
  });

  it('saves cached outputs read-only in .ml/cache and keeps them and .ml out of git', () => {
    const fx = pipeline();
    fx.gitml('repro');
    const hash: string = fx.lock().stages.count.outs['count.txt'].hash;
    const hex = hash.split(':')[1]!;
    const object = join(fx.dir, '.ml/cache/blake3', hex.slice(0, 2), hex.slice(2));
    expect(statSync(object).mode & 0o222).toBe(0);
    expect(fx.read('.gitignore')).toContain('/count.txt');
    expect(fx.git('status', '--porcelain')).not.toMatch(/count\.txt|\.ml\/cache|\.ml\/logs|\.ml\/state/);
  });

  it('runs a stage in its wdir with its env, and foreach/matrix stages by their expanded names', () => {
    const fx = makeFixture({
      'ml.yaml': `
stages:
  sub:
    wdir: sub
    cmd: echo "$GREETING" > out.txt
    env: {GREETING: hi}
    outs: [out.txt]
  each:
    foreach: [a, b]
    do:
      cmd: echo \${item} > each-\${item}.txt
      outs:
        - each-\${item}.txt
  grid:
    matrix: {x: [1, 2], y: [u]}
    cmd: echo \${item.x}\${item.y} > grid-\${item.x}-\${item.y}.txt
    outs:
      - grid-\${item.x}-\${item.y}.txt
`,
      'sub/.keep': '',
    });
    const r = fx.gitml('repro');
    expect(r.code).toBe(0);
    expect(fx.read('sub/out.txt')).toBe('hi\n');
    expect(fx.read('each-b.txt')).toBe('b\n');
    expect(fx.read('grid-2-u.txt')).toBe('2u\n');
    expect(Object.keys(fx.lock().stages).sort()).toEqual(['each@a', 'each@b', 'grid@1-u', 'grid@2-u', 'sub']);
    expect(fx.lock().stages.sub.outs).toHaveProperty(['sub/out.txt']);
  });

  it('rejects an invalid ml.yaml with every problem and exit 2, leaving the workspace untouched', () => {
    const fx = makeFixture({
      'ml.yaml': 'stages:\n  a:\n    cmd: echo ${nope}\n    depz: [x]\n  b:\n    outs: [y]\n',
    });
    const r = fx.gitml('repro');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ml.yaml:4:5: stages.a.depz: unknown key `depz`; did you mean `deps`?');
    expect(r.stderr).toContain('ml.yaml:6:5: stages.b: missing `cmd`');
    expect(fx.exists('ml.lock.json')).toBe(false);
  });

  it('rejects graph errors with exit 2: cycles, a dep nothing produces, a symlink out of the workspace', () => {
    const cycle = makeFixture({
      'ml.yaml': 'stages:\n  a:\n    cmd: cp b.txt a.txt\n    deps: [b.txt]\n    outs: [a.txt]\n  b:\n    cmd: cp a.txt b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n',
    });
    let r = cycle.gitml('repro');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the stages form a cycle: (a -> b -> a|b -> a -> b)/);

    const missing = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: cat in.txt > a.txt\n    deps: [in.txt]\n    outs: [a.txt]\n' });
    r = missing.gitml('status');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ml.yaml:2:3: stages.a: dependency `in.txt` does not exist and no stage produces it');

    const link = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: cat escape/x > a.txt\n    deps: [escape]\n    outs: [a.txt]\n' });
    symlinkSync('/tmp', join(link.dir, 'escape'));
    r = link.gitml('status');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dependency `escape` resolves outside the workspace');
  });

  it('refuses to run while another gitml process holds the workspace, and takes over a dead one', () => {
    const fx = pipeline();
    fx.write('.ml/state/running.pid', String(process.pid));
    const r = fx.gitml('repro');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`another gitml process (pid ${process.pid})`);
    fx.write('.ml/state/running.pid', '999999999');
    expect(fx.gitml('repro').code).toBe(0);
    expect(fx.exists('.ml/state/running.pid')).toBe(false);
  });
});
