import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_STAGE, CLI, makeFixture, objectPath, type CliResult, type Fixture } from '../helpers/fixture.js';

const PIPELINE = `stages:
${BUILD_STAGE}`;
const OUTPUTS = ['model.bin', 'out/a.txt', 'out/nested/b.bin'];
const BUCKET = 'gitml-test';
/** s3rver accepts this key pair. */
const KEYS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
/** Settings of the test process that must not leak into the CLI. */
const CLEAN_ENV = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('AWS_')).map((k) => [k, undefined]));

let server: S3rver;
let endpoint: string;
let s3: S3Client;
const storage = mkdtempSync(join(tmpdir(), 'gitml-s3rver-'));

beforeAll(async () => {
  // This process's own client would warn about Node 20 support on stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: storage, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  rmSync(storage, { recursive: true, force: true });
});

/**
 * Runs the CLI without blocking this process, which serves the S3 requests. `env` is added to a copy of the
 * environment without any AWS_* variable of the test process.
 */
function gitml(fx: Fixture, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: fx.dir, env: { ...process.env, ...CLEAN_ENV, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function ok(fx: Fixture, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await gitml(fx, args, env);
  expect(r.code, `gitml ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/**
 * A workspace that ran its pipeline with an S3 remote under `prefix` as the default. The endpoint is shared through
 * .ml/config.yaml; the credentials stay in .ml/config.local.yaml, which a clone does not get.
 */
async function origin(prefix: string): Promise<Fixture> {
  const a = makeFixture({ 'ml.yaml': PIPELINE, 'in.txt': `alpha ${prefix}\n` });
  await ok(a, ['repro']);
  await ok(a, ['remote', 'add', 'storage', `s3://${BUCKET}/${prefix}`, '--default']);
  await ok(a, ['remote', 'modify', 'storage', 'endpoint', endpoint]);
  await ok(a, ['remote', 'modify', '--local', 'storage', 'access_key_id', 'S3RVER']);
  await ok(a, ['remote', 'modify', '--local', 'storage', 'secret_access_key', 'S3RVER']);
  a.git('add', '-A');
  a.git('commit', '-qm', 'pipeline and remote');
  return a;
}

function clone(a: Fixture): Fixture {
  const b = makeFixture({}, { git: false });
  b.git('clone', '-q', a.dir, '.');
  return b;
}

function bytes(fx: Fixture): Record<string, Buffer> {
  return Object.fromEntries(OUTPUTS.map((f) => [f, readFileSync(join(fx.dir, f))]));
}

async function keysUnder(prefix: string): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

describe('an S3 remote', () => {
  it('push, then pull into a clone with credentials from the environment; a second push moves nothing', async () => {
    const a = await origin('roundtrip');
    expect(await ok(a, ['status', '--remote'])).toContain('  out: not on the remote\n');
    expect(await ok(a, ['push'])).toMatch(/^pushed 4 objects \(\d+ B\), 0 already on the remote\n$/);
    const keys = await keysUnder('roundtrip');
    expect(keys).toHaveLength(4);
    expect(keys.every((k) => /^roundtrip\/blake3\/[0-9a-f]{2}\/[0-9a-f]{62}$/.test(k))).toBe(true);
    expect(await ok(a, ['push'])).toBe('pushed 0 objects (0 B), 4 already on the remote\n');
    expect(await ok(a, ['status', '--remote'])).toContain('  out: in the local cache and on the remote\n');

    const b = clone(a);
    const pulled = await ok(b, ['pull', '-j', '3'], KEYS);
    expect(pulled).toContain('fetched 4 objects');
    expect(pulled).toContain('restored out');
    expect(bytes(b)).toEqual(bytes(a));
    expect(JSON.parse(await ok(b, ['status', '--json'])).stages.build).toEqual({ changed: false, reasons: [] });
  });

  it('a corrupt object in the bucket fails the pull naming it and the output; the rest is restored', async () => {
    const a = await origin('corrupt');
    await ok(a, ['push']);
    const model = a.lock().stages.build.outs['model.bin'].hash as string;
    const hex = model.split(':')[1]!;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `corrupt/blake3/${hex.slice(0, 2)}/${hex.slice(2)}`, Body: 'bit rot' }));

    const b = clone(a);
    const r = await gitml(b, ['pull'], KEYS);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: model.bin: object ${model} on remote \`storage\` is corrupt`);
    expect(r.stderr).toContain('error: model.bin: not restored, its objects could not be fetched');
    expect(() => readFileSync(objectPath(b, model))).toThrow();
    expect(b.read('out/a.txt')).toBe('alpha corrupt\n');
    expect(b.exists('model.bin')).toBe(false);
  });

  it('a corrupt object in the local cache is not pushed: it is quarantined, the rest goes up, exit 1', async () => {
    const a = await origin('pushbad');
    const model = a.lock().stages.build.outs['model.bin'].hash as string;
    const file = objectPath(a, model);
    chmodSync(file, 0o644);
    const bytes = readFileSync(file);
    bytes[0] = bytes[0]! ^ 0x01;
    writeFileSync(file, bytes);

    const r = await gitml(a, ['push']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: model.bin: object ${model} in the local cache is corrupt`);
    expect(r.stderr).toContain(`moved to .ml/cache/quarantine/blake3-${model.split(':')[1]}--model.bin`);
    const hex = model.split(':')[1]!;
    const keys = await keysUnder('pushbad');
    expect(keys).not.toContain(`pushbad/blake3/${hex.slice(0, 2)}/${hex.slice(2)}`);
    // out/a.txt, out/nested/b.bin and the manifest of out/
    expect(keys).toHaveLength(3);
  });

  it('--run-cache moves run-cache entries through the bucket', async () => {
    const a = await origin('runs');
    a.write('in.txt', 'second\n');
    await ok(a, ['repro']);
    a.git('commit', '-qam', 'v2');
    expect(await ok(a, ['push', '--run-cache'])).toContain('; 2 run-cache entries pushed, 0 already there');
    expect((await keysUnder('runs/runs')).length).toBe(2);

    const b = clone(a);
    expect(await ok(b, ['fetch', '--run-cache'], KEYS)).toContain('2 run-cache entries fetched, 0 already here');
    b.write('in.txt', 'alpha runs\n');
    expect(await ok(b, ['repro'])).toContain('Stage `build` restored from run-cache');
  });

  it('refused credentials, a missing bucket and a dead endpoint are one line naming the remote and URL', async () => {
    const a = await origin('errors');
    const b = clone(a);
    const denied = await gitml(b, ['push'], { AWS_ACCESS_KEY_ID: 'NOBODY', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: remote `storage` \(s3:\/\/gitml-test\/errors\): the credentials were refused \(InvalidAccessKeyId\); check access_key_id/);
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);

    await ok(a, ['remote', 'add', 'nobucket', 's3://no-such-bucket/x']);
    await ok(a, ['remote', 'modify', 'nobucket', 'endpoint', endpoint]);
    const missing = await gitml(a, ['status', '--remote', 'nobucket'], KEYS);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: remote \`nobucket\` (s3://no-such-bucket/x): bucket \`no-such-bucket\` does not exist at ${endpoint}\n`);

    await ok(a, ['remote', 'add', 'dead', 's3://gitml-test/x']);
    // Nothing listens on port 9 of the loopback; the setting comes from the environment this time.
    const dead = await gitml(a, ['push', '-r', 'dead'], { ...KEYS, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' });
    expect(dead.code).toBe(1);
    expect(dead.stderr).toBe('error: remote `dead` (s3://gitml-test/x): cannot connect to http://127.0.0.1:9 (ECONNREFUSED)\n');
  });
});
