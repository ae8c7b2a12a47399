import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, makeFixture, type Fixture } from '../helpers/fixture.js';

const PIPELINE = 'stages:\n  a:\n    cmd: echo x > a.txt\n    outs: [a.txt]\n';

function ok(fx: Fixture, ...args: string[]): string {
  const r = fx.gitml(...args);
  expect(r.code, `gitml ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('gitml remote', () => {
  it('add, list, modify and remove edit .ml/config.yaml and keep its comments and other keys', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, '.ml/config.yaml': '# shared settings\njobs: 2 # two at a time\n' });
    expect(ok(fx, 'remote', 'add', 'origin', 's3://team-bucket/ml', '--default')).toBe(
      'added remote `origin` (s3://team-bucket/ml) to .ml/config.yaml as the default\n' +
        'commit .ml/config.yaml so that clones use it too: git add .ml/config.yaml && git commit -m "Add data remote"\n',
    );
    ok(fx, 'remote', 'add', 'nas', '/mnt/nas/ml');
    ok(fx, 'remote', 'modify', 'origin', 'region', 'eu-west-1');
    ok(fx, 'remote', 'modify', 'origin', 'force_path_style', 'true');
    expect(fx.read('.ml/config.yaml')).toBe(
      [
        '# shared settings',
        'jobs: 2 # two at a time',
        'remotes:',
        '  origin:',
        '    url: s3://team-bucket/ml',
        '    region: eu-west-1',
        '    force_path_style: true',
        '  nas:',
        '    url: /mnt/nas/ml',
        'default_remote: origin',
        '',
      ].join('\n'),
    );
    expect(ok(fx, 'remote', 'list')).toBe('nas     /mnt/nas/ml\norigin  s3://team-bucket/ml  (default)\n');

    expect(ok(fx, 'remote', 'remove', 'origin')).toBe('removed remote `origin` from .ml/config.yaml\n');
    expect(fx.read('.ml/config.yaml')).toBe('# shared settings\njobs: 2 # two at a time\nremotes:\n  nas:\n    url: /mnt/nas/ml\n');
    ok(fx, 'remote', 'remove', 'nas');
    expect(fx.read('.ml/config.yaml')).toBe('# shared settings\njobs: 2 # two at a time\n');
    expect(ok(fx, 'remote', 'list')).toBe('No remotes; add one with `gitml remote add NAME URL`.\n');
  });

  it('the first remote added becomes the default; `remote default NAME` moves it, and says to commit the config', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    expect(ok(fx, 'remote', 'add', 'first', '/srv/first')).toContain('added remote `first` (/srv/first) to .ml/config.yaml as the default\n');
    expect(ok(fx, 'remote', 'add', 'second', '/srv/second')).toMatch(/^added remote `second` \(\/srv\/second\) to \.ml\/config\.yaml\ncommit /);
    expect(ok(fx, 'remote', 'default')).toBe('first\n');
    expect(ok(fx, 'remote', 'default', 'second')).toBe(
      '`second` is now the default remote in .ml/config.yaml\n' +
        'commit .ml/config.yaml so that clones use it too: git add .ml/config.yaml && git commit -m "Add data remote"\n',
    );
    expect(ok(fx, 'remote', 'list')).toBe('first   /srv/first\nsecond  /srv/second  (default)\n');
    expect(fx.read('.ml/config.yaml')).toContain('default_remote: second\n');
    const typo = fx.gitml('remote', 'default', 'secnd');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe('error: unknown remote `secnd`; did you mean `second`?\n');
    expect(fx.read('.ml/config.yaml')).toContain('default_remote: second\n');
    expect(ok(fx, '-q', 'remote', 'default', 'first')).toBe('');
    expect(ok(fx, 'remote', 'default')).toBe('first\n');
  });

  it('--local keeps credentials in .ml/config.local.yaml, which git ignores and which wins setting by setting', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    ok(fx, 'remote', 'add', 'origin', 's3://team-bucket/ml', '--default');
    ok(fx, 'remote', 'modify', 'origin', 'access_key_id', 'AKIDEXAMPLE', '--local');
    ok(fx, 'remote', 'modify', 'origin', 'secret_access_key', 'wJalrXUtnFEMI', '--local');
    ok(fx, 'remote', 'modify', 'origin', 'url', 's3://my-bucket/ml', '--local');
    expect(fx.read('.ml/config.local.yaml')).toBe(
      'remotes:\n  origin:\n    access_key_id: AKIDEXAMPLE\n    secret_access_key: wJalrXUtnFEMI\n    url: s3://my-bucket/ml\n',
    );
    expect(fx.git('status', '--porcelain', '--ignored', '.ml')).toContain('!! .ml/config.local.yaml');
    // The list never shows credentials.
    expect(ok(fx, 'remote', 'list', '--json')).toBe(`${JSON.stringify([{ name: 'origin', url: 's3://my-bucket/ml', default: true }], null, 2)}\n`);

    const shared = fx.gitml('remote', 'modify', 'origin', 'secret_access_key', 'oops');
    expect(shared.code).toBe(0);
    expect(shared.stderr).toContain('warning: secret_access_key is now in .ml/config.yaml, which git shares');

    expect(ok(fx, 'remote', 'remove', 'origin')).toBe('removed remote `origin` from .ml/config.yaml and .ml/config.local.yaml\n');
  });

  it('refuses bad names, URLs, keys and values, and unknown remotes, without writing anything', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    ok(fx, 'remote', 'add', 'origin', '/srv/ml');
    const before = fx.read('.ml/config.yaml');
    const cases: [string[], string][] = [
      [['remote', 'add', 'gcs', 'gs://bucket/x'], 'error: invalid remote URL `gs://bucket/x`: unsupported URL scheme `gs://`; a remote is a directory path or s3://bucket/prefix'],
      [['remote', 'add', 'b', 's3://Bad_Bucket'], 'error: invalid remote URL `s3://Bad_Bucket`: `Bad_Bucket` is not a valid S3 bucket name'],
      [['remote', 'add', 'no/slash', '/x'], 'error: invalid remote name `no/slash`'],
      [['remote', 'add', 'origin', '/elsewhere'], 'error: remote `origin` already exists in .ml/config.yaml; change it with `gitml remote modify origin url URL`'],
      [['remote', 'modify', 'origin', 'regoin', 'x'], 'error: unknown remote setting `regoin`; did you mean `region`?'],
      [['remote', 'modify', 'origin', 'force_path_style', 'maybe'], 'error: force_path_style must be true or false, got `maybe`'],
      [['remote', 'modify', 'orgin', 'region', 'x'], 'error: unknown remote `orgin`; did you mean `origin`?'],
      [['remote', 'remove', 'origni'], 'error: unknown remote `origni`; did you mean `origin`?'],
      [['push', '-j', '0'], 'error: --jobs must be a whole number >= 1, got `0`'],
    ];
    for (const [args, message] of cases) {
      const r = fx.gitml(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
    expect(fx.read('.ml/config.yaml')).toBe(before);
  });

  it('a hand-edited bad remote is reported with file, line, column and key by every command', () => {
    const fx = makeFixture({ 'ml.yaml': PIPELINE, '.ml/config.yaml': 'remotes:\n  origin:\n    url: ftp://host/x\n    regon: eu\n' });
    for (const args of [['push'], ['status'], ['remote', 'list']]) {
      const r = fx.gitml(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe('.ml/config.yaml:4:5: remotes.origin.regon: unknown key `regon`; did you mean `region`?\n');
    }
    fx.write('.ml/config.yaml', 'remotes:\n  origin:\n    url: ftp://host/x\n');
    expect(fx.gitml('status').stderr).toBe(
      '.ml/config.yaml:3:10: remotes.origin.url: unsupported URL scheme `ftp://`; a remote is a directory path or s3://bucket/prefix\n',
    );
    // The remote commands refuse to build on a broken file rather than hide the problem.
    expect(fx.gitml('remote', 'add', 'b', '/x').stderr).toContain('.ml/config.yaml:3:10: remotes.origin.url');
  });
});

// Loaded with --import: any import of the AWS SDK fails loudly.
const hooks = mkdtempSync(join(tmpdir(), 'gitml-hooks-'));
writeFileSync(
  join(hooks, 'hooks.mjs'),
  `export async function resolve(specifier, context, next) {\n  if (/^@aws-sdk\\//.test(specifier)) throw new Error('forbidden import: ' + specifier);\n  return next(specifier, context);\n}\n`,
);
writeFileSync(join(hooks, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);

describe('the S3 client loads only for an S3 remote', () => {
  it('status, repro, remote commands and a push to a directory remote never load @aws-sdk', () => {
    const remote = makeFixture({}, { git: false }).dir;
    const fx = makeFixture({ 'ml.yaml': PIPELINE });
    const register = pathToFileURL(join(hooks, 'register.mjs')).href;
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', register, CLI, ...args], { cwd: fx.dir, encoding: 'utf8' });
    for (const args of [['repro'], ['remote', 'add', 'dir', remote, '--default'], ['remote', 'add', 's3', 's3://bucket/x'], ['status'], ['remote', 'list'], ['push'], ['pull'], ['status', '--remote']]) {
      const r = run(...args);
      expect(r.stderr, args.join(' ')).not.toContain('forbidden');
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    // The guard works: an S3 remote does load it.
    const s3 = run('push', '-r', 's3');
    expect(s3.stderr).toContain('forbidden import: @aws-sdk/client-s3');
  });
});
