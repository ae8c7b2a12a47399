import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/** The built CLI, run exactly as `npx gitml` runs it. */
export const CLI = fileURLToPath(new URL('../../dist/cli/bin.cjs', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export interface Fixture {
  dir: string;
  write(path: string, text: string, opts?: { exec?: boolean }): void;
  read(path: string): string;
  exists(path: string): boolean;
  remove(path: string): void;
  /** Runs the gitml CLI in the fixture; never throws. */
  gitml(...args: string[]): CliResult;
  /** Starts the gitml CLI without waiting (for signal tests). */
  spawnGitml(...args: string[]): ChildProcess;
  git(...args: string[]): string;
  lock(): { schema: string; stages: Record<string, any> };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A stage whose outputs are a binary file and a directory with a nested binary file: what the cache and remote tests
 * move around. Goes under `stages:`; it reads `in.txt`.
 */
export const BUILD_STAGE = `  build:
    cmd: >-
      mkdir -p out/nested &&
      cp in.txt out/a.txt &&
      printf 'beta\\000\\377\\n' > out/nested/b.bin &&
      printf 'weights\\001\\002\\377' > model.bin
    deps: [in.txt]
    outs: [model.bin, out]
`;

/**
 * A fresh workspace in a temporary git repository, holding `files` (path -> content). Removed after the test file.
 */
export function makeFixture(files: Record<string, string> = {}, opts: { git?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'gitml-test-'));
  created.push(dir);
  const fx: Fixture = {
    dir,
    write(path, text, o = {}) {
      const abs = join(dir, path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, text);
      if (o.exec) chmodSync(abs, 0o755);
    },
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    exists: (path) => existsSync(join(dir, path)),
    remove: (path) => rmSync(join(dir, path), { recursive: true, force: true }),
    gitml: (...args) => runCli(dir, args),
    spawnGitml: (...args) => spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }),
    git(...args) {
      const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    },
    lock: () => JSON.parse(readFileSync(join(dir, 'ml.lock.json'), 'utf8')),
  };
  if (opts.git !== false) {
    fx.git('init', '-q', '-b', 'main');
    fx.git('config', 'user.email', 'test@example.com');
    fx.git('config', 'user.name', 'Test');
    fx.git('config', 'commit.gpgsign', 'false');
  }
  for (const [path, text] of Object.entries(files)) fx.write(path, text);
  return fx;
}

export function runCli(cwd: string, args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Where the cache keeps the object with this hash (`blake3:<hex>`) in a fixture. */
export function objectPath(fx: Fixture, hash: string): string {
  const [alg, hex] = hash.split(':') as [string, string];
  return join(fx.dir, '.ml/cache', alg, hex.slice(0, 2), hex.slice(2));
}
