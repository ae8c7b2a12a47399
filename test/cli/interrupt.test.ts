import { readdirSync, watch } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

// `slow` starts a background child and waits on it while `slow.flag` exists, so a test can interrupt it mid-run and
// then let a later run finish quickly.
const PIPELINE = `
stages:
  fast:
    cmd: echo done > fast.txt
    outs: [fast.txt]
  slow:
    cmd: echo partial > slow.txt && if [ -e slow.flag ]; then sleep 30 & echo $! > child.pid; echo started; wait; fi; echo full > slow.txt
    outs: [slow.txt]
`;

async function waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function interrupt(fx: Fixture, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  const child = fx.spawnGitml('repro', '-j', '2');
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => fx.exists('ml.lock.json') && fx.exists('child.pid') && fx.read('child.pid').trim() !== '', 'fast to finish and slow to start');
  child.kill(signal);
  return { code: await exited, stderr };
}

describe('interrupting gitml repro', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`on ${signal} stops the running stage and its children, keeps finished stages and a valid lockfile`, async () => {
      const fx = makeFixture({ 'ml.yaml': PIPELINE, 'slow.flag': '' });
      const r = await interrupt(fx, signal);
      expect(r.code).toBe(code);
      expect(r.stderr).toContain(`Received ${signal}`);

      const grandchild = Number(fx.read('child.pid'));
      await waitFor(() => !alive(grandchild), 'the stage child process to be stopped', 10_000);

      const lock = fx.lock(); // parses: never half-written
      expect(Object.keys(lock.stages)).toEqual(['fast']);
      expect(fx.exists('.ml/state/running.pid')).toBe(false);
      expect(readdirSync(fx.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);

      const status = JSON.parse(fx.gitml('status', '--json').stdout);
      expect(status.stages.fast.changed).toBe(false);
      expect(status.stages.slow.reasons).toEqual(['never run']);

      fx.remove('slow.flag');
      const again = fx.gitml('repro');
      expect(again.code).toBe(0);
      expect(again.stdout).not.toContain('Running stage `fast`');
      expect(fx.read('slow.txt')).toBe('full\n');
    });
  }
});

describe('a gitml killed with SIGKILL', () => {
  it('leaves its stage commands recorded in the guard; the next run stops them, says so, and only then runs', async () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'slow.flag': '' });
    const child = fx.spawnGitml('repro', '-j', '2');
    child.stdout!.resume();
    child.stderr!.resume();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => fx.exists('ml.lock.json') && fx.exists('child.pid') && fx.read('child.pid').trim() !== '', 'fast to finish and slow to start');
    child.kill('SIGKILL');
    await exited;

    const orphan = Number(fx.read('child.pid'));
    expect(alive(orphan)).toBe(true);
    const guard = JSON.parse(fx.read('.ml/state/running.pid'));
    expect(guard.pid).toBe(child.pid);
    expect(guard.groups).toHaveLength(1);

    fx.remove('slow.flag');
    const again = fx.gitml('repro');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`Stopped stage commands left running by gitml pid ${child.pid}, which was killed (process group ${guard.groups[0].pid}).`);
    expect(alive(orphan)).toBe(false);
    expect(fx.read('slow.txt')).toBe('full\n');
    expect(fx.exists('.ml/state/running.pid')).toBe(false);
  }, 30_000);

  it('takes over a guard in the old plain-pid format', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    fx.write('.ml/state/running.pid', '999999999\n');
    const r = fx.gitml('repro');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('Stopped');
  });
});

describe('temporary files', () => {
  it('are never created among the workspace files; those a killed run left under .ml/tmp are removed by the next', async () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    fx.write('.ml/tmp/write/999999999-1-ml.lock.json', '{"half": ');
    const seen: string[] = [];
    const watcher = watch(fx.dir, (_event, name) => name && seen.push(name));
    try {
      const child = fx.spawnGitml('repro');
      child.stdout!.resume();
      child.stderr!.resume();
      expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    } finally {
      watcher.close();
    }
    expect(fx.exists('ml.lock.json')).toBe(true);
    expect(seen.filter((n) => /tmp/.test(n))).toEqual([]);
    expect(fx.exists('.ml/tmp/write/999999999-1-ml.lock.json')).toBe(false);
  });
});

describe('a checkout killed while it copies a large output', () => {
  it('leaves no partial copy among the workspace files, and the next checkout removes it and finishes', async () => {
    const fx = makeFixture({
      'ml.yaml': 'stages:\n  big:\n    cmd: head -c 400000000 /dev/zero > model.bin\n    outs: [model.bin]\n',
      '.ml/config.yaml': 'cache:\n  link: copy\n',
    });
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.remove('model.bin');
    const child = fx.spawnGitml('checkout');
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const partial = () => [
      ...readdirSync(fx.dir).filter((n) => n.includes('.tmp-')),
      ...(fx.exists('.ml/tmp/write') ? readdirSync(`${fx.dir}/.ml/tmp/write`) : []),
    ];
    // Killed once the copy has begun, wherever its temporary file is.
    await waitFor(() => partial().length > 0, 'the copy to start', 20_000);
    child.kill('SIGKILL');
    await exited;
    expect(readdirSync(fx.dir).filter((n) => n.startsWith('model.bin'))).toEqual([]);

    const r = fx.gitml('checkout');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('restored model.bin');
    expect(readdirSync(fx.dir).filter((n) => n.startsWith('model.bin'))).toEqual(['model.bin']);
    expect(readdirSync(`${fx.dir}/.ml/tmp/write`)).toEqual([]);
  }, 60_000);
});
