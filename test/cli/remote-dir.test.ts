import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_STAGE, makeFixture, objectPath, type Fixture } from '../helpers/fixture.js';

// Two stages: a binary file and a directory with a nested file; a second stage's file that depends on the first.
const PIPELINE = `stages:
${BUILD_STAGE}  report:
    cmd: wc -c < out/a.txt | tr -d ' ' > report.txt
    deps: [out/a.txt]
    outs: [report.txt]
`;
const OUTPUTS = ['model.bin', 'out/a.txt', 'out/nested/b.bin', 'report.txt'];

/** A workspace that ran its pipeline and committed it, with a directory remote `origin` as the default. */
function origin(): { a: Fixture; remote: string } {
  const remote = makeFixture({}, { git: false }).dir;
  const a = makeFixture({ 'ml.yaml': PIPELINE, 'in.txt': 'alpha\n' });
  ok(a, 'repro');
  ok(a, 'remote', 'add', 'origin', remote, '--default');
  a.git('add', '-A');
  a.git('commit', '-qm', 'pipeline and remote');
  return { a, remote };
}

/** A second git clone of the same repository: lockfile and config, no cache, no outputs. */
function clone(a: Fixture): Fixture {
  const b = makeFixture({}, { git: false });
  b.git('clone', '-q', a.dir, '.');
  return b;
}

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function bytes(fx: Fixture, files = OUTPUTS): Record<string, Buffer> {
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(fx.dir, f))]));
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

function remoteObject(remote: string, hash: string): string {
  const hex = hash.split(':')[1]!;
  return join(remote, 'blake3', hex.slice(0, 2), hex.slice(2));
}

describe('a directory remote', () => {
  it('push, then pull into a second clone restores every output byte for byte; a second push moves nothing', () => {
    const { a, remote } = origin();
    const pushed = ok(a, 'push');
    // model.bin, out/a.txt, out/nested/b.bin, the manifest of out/, report.txt
    expect(pushed).toMatch(/^pushed 5 objects \(\d+ B\), 0 already on the remote\n$/);
    expect(filesUnder(remote).every((f) => f.startsWith('blake3/') && !f.includes('.tmp-'))).toBe(true);
    expect(statSync(join(remote, filesUnder(remote)[0]!)).mode & 0o777).toBe(0o444);
    expect(ok(a, 'push')).toBe('pushed 0 objects (0 B), 5 already on the remote\n');

    const b = clone(a);
    expect(b.exists('model.bin')).toBe(false);
    const pulled = ok(b, 'pull');
    expect(pulled).toContain('fetched 5 objects');
    expect(pulled).toContain('restored model.bin');
    expect(pulled).toContain('restored out');
    expect(bytes(b)).toEqual(bytes(a));
    expect(JSON.parse(ok(b, 'status', '--json')).stages).toEqual({
      build: { changed: false, reasons: [] },
      report: { changed: false, reasons: [] },
    });
    // Cache objects arrive read-only, like the ones gitml writes itself.
    const hash = b.lock().stages.build.outs['model.bin'].hash as string;
    expect(statSync(objectPath(b, hash)).mode & 0o777).toBe(0o444);
    expect(ok(b, 'pull')).toBe('fetched 0 objects (0 B), 5 already in the cache\n');
  });

  it('status --remote says what is missing where, before and after push, as text and JSON', () => {
    const { a, remote } = origin();
    expect(ok(a, 'status', '--remote')).toBe(
      [
        `Remote \`origin\` (${remote}):`,
        '  model.bin: not on the remote',
        '  out: not on the remote',
        '  report.txt: not on the remote',
        'Run `gitml push` to upload what the remote lacks.',
        '',
      ].join('\n'),
    );
    ok(a, 'push', 'report');
    const json = JSON.parse(ok(a, 'status', '--remote', 'origin', '--json'));
    expect(json.remote.name).toBe('origin');
    expect(json.outputs).toEqual({
      'model.bin': { stage: 'build', objects: 1, missingLocal: 0, missingRemote: 1 },
      out: { stage: 'build', objects: 3, missingLocal: 0, missingRemote: 3 },
      'report.txt': { stage: 'report', objects: 1, missingLocal: 0, missingRemote: 0 },
    });
    ok(a, 'push');
    expect(ok(a, 'status', '--remote')).toContain('  out: in the local cache and on the remote\n');

    // In a fresh clone the objects are on the remote only; the manifest of out/ is read from the remote to count them.
    const b = clone(a);
    const inClone = JSON.parse(ok(b, 'status', '--remote', '--json')).outputs;
    expect(inClone.out).toEqual({ stage: 'build', objects: 3, missingLocal: 3, missingRemote: 0 });
    expect(ok(b, 'status', '--remote')).toContain('Run `gitml pull` to get what the cache lacks.');
  });

  it('a corrupt object on the remote fails the pull naming it; nothing corrupt is kept and the other outputs are restored', () => {
    const { a, remote } = origin();
    ok(a, 'push');
    const bad = fileHash(a, 'out', 'nested/b.bin');
    const file = remoteObject(remote, bad);
    chmodSync(file, 0o644);
    writeFileSync(file, 'bit rot\n');

    const b = clone(a);
    const r = b.gitml('pull');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: out/nested/b.bin: object ${bad} on remote \`origin\` is corrupt`);
    expect(r.stderr).toContain('error: out: not restored, its objects could not be fetched');
    expect(r.stderr).toContain('1 object could not be fetched');
    expect(existsSync(objectPath(b, bad))).toBe(false);
    expect(filesUnder(join(b.dir, '.ml/cache')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(bytes(b, ['model.bin', 'report.txt'])).toEqual(bytes(a, ['model.bin', 'report.txt']));
    expect(b.exists('out')).toBe(false);

    // Once the remote holds the right bytes again, pulling again completes the workspace.
    chmodSync(file, 0o644);
    writeFileSync(file, readFileSync(objectPath(a, bad)));
    expect(ok(b, 'pull')).toContain('fetched 1 object');
    expect(bytes(b)).toEqual(bytes(a));
  });

  it('fetch fills the cache without touching the workspace; stages narrow what moves', () => {
    const { a, remote } = origin();
    expect(ok(a, 'push', 'report', '-j', '2')).toMatch(/^pushed 1 object /);
    expect(filesUnder(remote)).toHaveLength(1);

    const b = clone(a);
    const partial = b.gitml('fetch');
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain(`model.bin: object ${a.lock().stages.build.outs['model.bin'].hash} is not on remote \`origin\``);
    expect(partial.stdout).toContain('fetched 1 object');
    expect(b.exists('report.txt')).toBe(false);

    ok(a, 'push');
    expect(ok(b, 'fetch', 'build')).toContain('fetched 4 objects');
    expect(b.exists('model.bin')).toBe(false);
    ok(b, 'checkout');
    expect(bytes(b)).toEqual(bytes(a));
  });

  it('pull of one stage restores only its outputs', () => {
    const { a } = origin();
    ok(a, 'push');
    const b = clone(a);
    const out = ok(b, 'pull', 'report');
    expect(out).toContain('restored report.txt');
    expect(b.exists('report.txt')).toBe(true);
    expect(b.exists('model.bin')).toBe(false);
  });

  it('--run-cache carries run-cache entries, so a clone restores a run it never did', () => {
    const { a } = origin();
    const v1 = bytes(a);
    // A second version of the input; the run for the first one stays in the run-cache.
    a.write('in.txt', 'gamma delta\n');
    ok(a, 'repro');
    a.git('commit', '-qam', 'v2');
    const pushed = ok(a, 'push', '--run-cache');
    expect(pushed).toContain('; 4 run-cache entries pushed, 0 already there');
    expect(ok(a, 'push', '--run-cache')).toContain('; 0 run-cache entries pushed, 4 already there');

    const b = clone(a);
    expect(ok(b, 'pull', '--run-cache')).toContain('4 run-cache entries fetched');
    b.write('in.txt', 'alpha\n');
    const repro = ok(b, 'repro');
    expect(repro).toContain('Stage `build` restored from run-cache');
    expect(repro).toContain('Stage `report` restored from run-cache');
    expect(bytes(b)).toEqual(v1);
  });

  it('a remote given relative to the workspace root works from a subdirectory', () => {
    const a = makeFixture({ 'ml.yaml': PIPELINE, 'in.txt': 'alpha\n', 'sub/keep': '' });
    mkdirSync(join(a.dir, 'storage'));
    ok(a, 'repro');
    ok(a, 'remote', 'add', 'local', 'storage', '--default');
    expect(ok(a, '-C', 'sub', 'push')).toContain('pushed 5 objects');
    expect(filesUnder(join(a.dir, 'storage'))).toHaveLength(5);
  });

  it('prints nothing but errors under --quiet', () => {
    const { a } = origin();
    const r = a.gitml('-q', 'push');
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const b = clone(a);
    expect(b.gitml('-q', 'pull')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(bytes(b)).toEqual(bytes(a));
  });
});

describe('remote errors', () => {
  it('an unknown remote gets a did-you-mean; no default remote says how to set one', () => {
    const { a } = origin();
    const r = a.gitml('push', '-r', 'orign');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: unknown remote `orign`; did you mean `origin`?\n');

    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'in.txt': 'x\n' });
    const none = fx.gitml('pull');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('error: no remote given and no default remote set; add one with `gitml remote add --default NAME URL`\n');
    // Written by hand: `remote add` makes the first remote the default.
    fx.write('.ml/config.yaml', 'remotes:\n  one:\n    url: /tmp/gitml-nowhere-one\n');
    expect(fx.gitml('status', '--remote').stderr).toContain('name one with -r (one) or set a default');
  });

  it('push creates a directory remote that does not exist; pull and fetch from a missing directory name it', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, 'in.txt': 'x\n' });
    ok(fx, 'repro');
    const add = fx.gitml('remote', 'add', 'gone', 'no/such/dir');
    expect(add.code).toBe(0);
    expect(add.stderr).toBe(`warning: directory ${join(fx.dir, 'no/such/dir')} does not exist yet; \`gitml push\` will create it\n`);
    const missing = `error: remote \`gone\` (no/such/dir): directory ${join(fx.dir, 'no/such/dir')} does not exist; create it, or point the remote elsewhere with \`gitml remote modify gone url PATH\`\n`;
    for (const verb of ['pull', 'fetch']) {
      const r = fx.gitml(verb);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(missing);
      expect(existsSync(join(fx.dir, 'no/such/dir'))).toBe(false);
    }
    expect(ok(fx, 'push')).toContain('pushed 5 objects');
    expect(filesUnder(join(fx.dir, 'no/such/dir'))).toHaveLength(5);
  });

  it('an unknown stage is refused with a suggestion', () => {
    const { a } = origin();
    const r = a.gitml('push', 'reprot');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown stage `reprot`; did you mean `report`?');
  });
});

/** The hash of a file inside a directory output, read from the cached manifest. */
function fileHash(fx: Fixture, out: string, rel: string): string {
  const manifest = JSON.parse(readFileSync(objectPath(fx, fx.lock().stages.build.outs[out].hash), 'utf8')) as { files: { path: string; hash: string }[] };
  return manifest.files.find((f) => f.path === rel)!.hash;
}

describe('an interrupted push', () => {
  it('leaves its partial uploads only under tmp/, and a later push removes those over an hour old', async () => {
    const remote = makeFixture({}, { git: false }).dir;
    const a = makeFixture({
      'ml.yaml': `stages:
  many:
    cmd: mkdir -p many && for i in $(seq 1 3000); do echo "file $i" > many/$i.txt; done && head -c 3000000 /dev/urandom > big.bin
    outs: [many, big.bin]
`,
    });
    ok(a, 'repro');
    ok(a, 'remote', 'add', 'origin', remote, '--default');

    const child = a.spawnGitml('push');
    child.stdout!.resume();
    child.stderr!.resume();
    const exited = new Promise((res) => child.once('exit', res));
    // Killed as soon as the upload is under way.
    await new Promise<void>((res) => {
      const poll = setInterval(() => {
        if (existsSync(join(remote, 'tmp')) || existsSync(join(remote, 'blake3'))) {
          clearInterval(poll);
          child.kill('SIGKILL');
          res();
        }
      }, 1);
    });
    await exited;

    const left = filesUnder(remote);
    expect(left.filter((f) => !f.startsWith('tmp/') && /tmp/.test(f))).toEqual([]);
    // What the killed push left, aged past the hour, and a fresh upload of someone else's that must stay.
    mkdirSync(join(remote, 'tmp'), { recursive: true });
    writeFileSync(join(remote, 'tmp', '999999-1-dead'), 'part');
    writeFileSync(join(remote, 'tmp', '999999-2-fresh'), 'part');
    const hoursAgo = new Date(Date.now() - 2 * 3600_000);
    for (const f of filesUnder(join(remote, 'tmp'))) if (f !== '999999-2-fresh') utimesSync(join(remote, 'tmp', f), hoursAgo, hoursAgo);

    ok(a, 'push');
    expect(filesUnder(join(remote, 'tmp'))).toEqual(['999999-2-fresh']);
    expect(ok(a, 'status', '--remote')).not.toContain('missing');
  }, 60_000);
});
