import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../core/hash/hash-path.js';
import { cachedOutputs, planObjects } from '../../core/remote/plan.js';
import { formatBytes } from '../../core/util/format.js';
import { hashOfKey, objectKey, runKey, selectRemote, stageKeyOfRunKey } from '../../core/remote/remote.js';
import { s3Settings } from '../../core/remote/s3.js';
import { parseRemoteUrl } from '../../core/remote/url.js';
import type { Lockfile } from '../../core/lockfile/lockfile.js';
import type { ResolvedRemote } from '../../core/config.js';

const h = (c: string) => `blake3:${c.repeat(64)}`;

describe('parseRemoteUrl', () => {
  it('reads s3 URLs, directories and file URLs', () => {
    expect(parseRemoteUrl('s3://my-bucket/some/prefix/')).toEqual({ location: { kind: 's3', bucket: 'my-bucket', prefix: 'some/prefix' } });
    expect(parseRemoteUrl('s3://my-bucket')).toEqual({ location: { kind: 's3', bucket: 'my-bucket', prefix: '' } });
    expect(parseRemoteUrl('../storage')).toEqual({ location: { kind: 'dir', path: '../storage' } });
    expect(parseRemoteUrl('/mnt/share/ml')).toEqual({ location: { kind: 'dir', path: '/mnt/share/ml' } });
    expect(parseRemoteUrl('file:///mnt/share')).toEqual({ location: { kind: 'dir', path: '/mnt/share' } });
  });

  it('says what is wrong with an unusable URL', () => {
    expect(parseRemoteUrl('gs://bucket/x')).toEqual({ error: 'unsupported URL scheme `gs://`; a remote is a directory path or s3://bucket/prefix' });
    expect(parseRemoteUrl('s3:///prefix')).toEqual({ error: '`s3:///prefix` names no bucket; write s3://bucket/prefix' });
    expect(parseRemoteUrl('s3://Bad_Bucket/x')).toMatchObject({ error: expect.stringContaining('not a valid S3 bucket name') });
    expect(parseRemoteUrl('  ')).toEqual({ error: 'must not be empty' });
  });
});

describe('keys on the remote mirror .ml/cache', () => {
  it('maps hashes and stage keys to keys and back', () => {
    expect(objectKey(h('a'))).toBe(`blake3/aa/${'a'.repeat(62)}`);
    expect(hashOfKey(objectKey(h('a')))).toBe(h('a'));
    expect(hashOfKey('blake3/aa/short')).toBeUndefined();
    expect(runKey(h('b'))).toBe(`runs/bb/${'b'.repeat(62)}.json`);
    expect(stageKeyOfRunKey(runKey(h('b')))).toBe(h('b'));
    expect(stageKeyOfRunKey('runs/bb/x.json.tmp-1')).toBeUndefined();
  });
});

describe('planObjects', () => {
  const lock: Lockfile = {
    schema: '1',
    stages: {
      train: { cmd: ['x'], deps: {}, outs: { 'model.bin': { hash: h('1'), size: 3 }, data: { hash: h('d'), size: 5, nfiles: 2 }, 'm.json': { hash: h('9'), size: 1, cache: false } } },
      copy: { cmd: ['y'], deps: {}, outs: { 'again.bin': { hash: h('1'), size: 3 } } },
    },
  };
  const manifest: Manifest = { files: [{ path: 'a.txt', hash: h('2'), size: 2 }, { path: 'sub/b.txt', hash: h('1'), size: 3 }] };

  it('lists the cached outputs of the chosen stages, sorted', () => {
    expect(cachedOutputs(lock).map((w) => `${w.stage}:${w.path}`)).toEqual(['copy:again.bin', 'train:data', 'train:model.bin']);
    expect(cachedOutputs(lock, ['train']).map((w) => w.path)).toEqual(['data', 'model.bin']);
  });

  it('names each object once, with the first path that needs it, and lists a directory through its manifest', () => {
    const plan = planObjects(cachedOutputs(lock), (hash) => (hash === h('d') ? manifest : undefined));
    expect(plan.manifests).toEqual([{ hash: h('d'), path: 'data' }]);
    expect(plan.files).toEqual([
      { hash: h('1'), path: 'again.bin' },
      { hash: h('2'), path: 'data/a.txt' },
    ]);
    expect(plan.unlisted).toEqual([]);
    expect(plan.filesOf.get(h('d'))).toEqual([h('2'), h('1')]);
  });

  it('marks a directory whose manifest is not at hand as unlisted', () => {
    const plan = planObjects(cachedOutputs(lock, ['train']), () => undefined);
    expect(plan.unlisted).toEqual([{ hash: h('d'), path: 'data' }]);
    expect(plan.files).toEqual([{ hash: h('1'), path: 'model.bin' }]);
  });

  it('formats sizes for summaries', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(3_400_000)).toBe('3.4 MB');
    expect(formatBytes(12_500)).toBe('12.5 kB');
  });
});

describe('selectRemote', () => {
  const remote = (name: string): ResolvedRemote => ({ name, url: `/r/${name}`, location: { kind: 'dir', path: `/r/${name}` } });
  const config = { remotes: { origin: remote('origin'), backup: remote('backup') }, defaultRemote: 'origin' };

  it('takes the named remote, else the default', () => {
    expect(selectRemote(config, 'backup').name).toBe('backup');
    expect(selectRemote(config).name).toBe('origin');
  });

  it('suggests the closest name for a typo and says when no default is set', () => {
    expect(() => selectRemote(config, 'orign')).toThrow('unknown remote `orign`; did you mean `origin`?');
    expect(() => selectRemote({ remotes: config.remotes })).toThrow(/no remote given and no default remote set; name one with -r \(backup, origin\)/);
    expect(() => selectRemote({ remotes: {} }, 'x')).toThrow('unknown remote `x`; none is configured (add one with `gitml remote add NAME URL`)');
  });
});

describe('s3Settings', () => {
  const remote: ResolvedRemote = { name: 's', url: 's3://b/p', location: { kind: 's3', bucket: 'b', prefix: 'p' } };

  it('fills what the config leaves out from the AWS environment variables', () => {
    const env = { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_SESSION_TOKEN: 'T', AWS_DEFAULT_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://e:9000' };
    expect(s3Settings(remote, env)).toEqual({
      endpoint: 'http://e:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' },
    });
    expect(s3Settings(remote, { ...env, AWS_ENDPOINT_URL_S3: 'http://s3:1', AWS_REGION: 'us-west-2' })).toMatchObject({ endpoint: 'http://s3:1', region: 'us-west-2' });
  });

  it('prefers the config, keeps an environment session token away from configured keys, and defaults sensibly', () => {
    const configured = { ...remote, accessKeyId: 'CK', secretAccessKey: 'CS', region: 'ap-south-1', forcePathStyle: false, endpoint: 'http://c' };
    expect(s3Settings(configured, { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_SESSION_TOKEN: 'T' })).toEqual({
      endpoint: 'http://c',
      region: 'ap-south-1',
      forcePathStyle: false,
      credentials: { accessKeyId: 'CK', secretAccessKey: 'CS' },
    });
    expect(s3Settings(remote, {})).toEqual({ region: 'us-east-1', forcePathStyle: false });
  });
});
