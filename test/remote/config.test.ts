import { describe, expect, it } from 'vitest';
import { CONFIG_FILE, LOCAL_CONFIG_FILE, loadConfig } from '../../core/config.js';
import { InvalidConfigError } from '../../core/errors.js';

function load(files: Record<string, string>) {
  return loadConfig((p) => files[p] ?? null);
}

function problems(files: Record<string, string>): string[] {
  try {
    load(files);
  } catch (err) {
    if (err instanceof InvalidConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('remotes in .ml/config.yaml', () => {
  it('resolves remotes and the default; config.local.yaml wins setting by setting', () => {
    const config = load({
      [CONFIG_FILE]: 'remotes:\n  origin:\n    url: s3://bucket/ml\n    region: eu-west-1\n  share:\n    url: ../share\ndefault_remote: origin\n',
      [LOCAL_CONFIG_FILE]: 'remotes:\n  origin:\n    access_key_id: AK\n    secret_access_key: SK\n    region: us-east-2\n',
    });
    expect(config.defaultRemote).toBe('origin');
    expect(config.remotes).toEqual({
      origin: {
        name: 'origin',
        url: 's3://bucket/ml',
        location: { kind: 's3', bucket: 'bucket', prefix: 'ml' },
        region: 'us-east-2',
        accessKeyId: 'AK',
        secretAccessKey: 'SK',
      },
      share: { name: 'share', url: '../share', location: { kind: 'dir', path: '../share' } },
    });
  });

  it('has no remotes when none is configured', () => {
    expect(load({})).toEqual({ linkModes: ['reflink', 'copy'], remotes: {} });
  });

  it('reports every problem with file, line, column and key', () => {
    expect(
      problems({
        [CONFIG_FILE]: 'remotes:\n  a:\n    url: gs://x/y\n  b:\n    secret_key: x\n    force_path_style: yes\n  c:\n    url: s3://b/p\n',
        [LOCAL_CONFIG_FILE]: 'remotes:\n  d:\n    region: eu-west-1\n',
      }),
    ).toEqual([
      '.ml/config.yaml:5:5: remotes.b.secret_key: unknown key `secret_key` (allowed: url, endpoint, region, access_key_id, secret_access_key, session_token, force_path_style)',
      '.ml/config.yaml:6:23: remotes.b.force_path_style: expected true or false, got the string "yes"',
      '.ml/config.local.yaml:3:5: remotes.d: missing `url` (a directory path or s3://bucket/prefix)',
    ]);
    // A URL that cannot be used, and a remote that has no URL once both files are merged, point where they were set.
    expect(
      problems({
        [CONFIG_FILE]: 'remotes:\n  a:\n    url: gs://x/y\n',
        [LOCAL_CONFIG_FILE]: 'remotes:\n  d:\n    region: eu-west-1\n',
      }),
    ).toEqual([
      '.ml/config.yaml:3:10: remotes.a.url: unsupported URL scheme `gs://`; a remote is a directory path or s3://bucket/prefix',
      '.ml/config.local.yaml:3:5: remotes.d: missing `url` (a directory path or s3://bucket/prefix)',
    ]);
  });
});
