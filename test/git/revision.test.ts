import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRepo, openSnapshot, resolveRevision, type Repo } from '../../core/git/revision.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import { makeFixture, type Fixture } from '../helpers/fixture.js';

// History: c1 -> c2 (tag v2, annotated) -> c3 on main; branch `side` from c2 with c4; merge m of side into main.
let fx: Fixture;
const sha: Record<string, string> = {};

function commit(name: string, files: Record<string, string>) {
  for (const [p, t] of Object.entries(files)) fx.write(p, t);
  fx.git('add', '-A');
  fx.git('commit', '-q', '-m', name);
  sha[name] = fx.git('rev-parse', 'HEAD').trim();
}

beforeAll(() => {
  fx = makeFixture();
  commit('c1', { 'ml.yaml': 'stages:\n  a:\n    cmd: echo ${x}\n', 'params.yaml': 'x: 1\n' });
  commit('c2', { 'params.yaml': 'x: 2\n' });
  fx.git('tag', '-a', 'v2', '-m', 'release two');
  commit('c3', { 'params.yaml': 'x: 3\n' });
  fx.git('checkout', '-q', '-b', 'side', sha.c2!);
  commit('c4', { 'other.txt': 'side\n' });
  fx.git('checkout', '-q', 'main');
  fx.git('merge', '-q', '--no-edit', 'side');
  sha.m = fx.git('rev-parse', 'HEAD').trim();
  fx.write('params.yaml', 'x: 99\n'); // uncommitted
});

async function resolve(name: string, repo?: Repo) {
  return resolveRevision(repo ?? (await openRepo(fx.dir)), name);
}

describe('resolveRevision', () => {
  it('resolves HEAD, branches, annotated tags, short SHAs and ancestry', async () => {
    expect((await resolve('HEAD')).oid).toBe(sha.m);
    expect((await resolve('side')).oid).toBe(sha.c4);
    expect((await resolve('v2')).oid).toBe(sha.c2);
    expect((await resolve(sha.c1!.slice(0, 8))).oid).toBe(sha.c1);
    expect((await resolve('HEAD~1')).oid).toBe(sha.c3);
    expect((await resolve('HEAD^2')).oid).toBe(sha.c4);
    expect((await resolve('HEAD~2')).oid).toBe(sha.c2);
    expect((await resolve('main~1^')).oid).toBe(sha.c2);
    expect((await resolve('refs/heads/side~1')).oid).toBe(sha.c2);
    expect(await resolve('workspace')).toEqual({ name: 'workspace', short: 'workspace' });
  });

  it('says a repository without commits has no HEAD yet, rather than suggest HEAD', async () => {
    const empty = makeFixture();
    await expect(resolveRevision(await openRepo(empty.dir), 'HEAD')).rejects.toThrow(
      '`HEAD` names no commit: the repository has none yet; commit first, or name another revision',
    );
  });

  it('names an unknown revision and suggests a near one', async () => {
    await expect(resolve('sdie')).rejects.toThrow('unknown revision `sdie`; did you mean `side`?');
    await expect(resolve('HEAD~9')).rejects.toThrow(/is the first commit and has no parent/);
  });
});

describe('snapshots', () => {
  it('reads files at a revision and in the working tree', async () => {
    const repo = await openRepo(fx.dir);
    expect(await (await openSnapshot(fx.dir, 'HEAD~1', repo)).read('params.yaml')).toBe('x: 3\n');
    expect(await (await openSnapshot(fx.dir, 'v2', repo)).read('other.txt')).toBeNull();
    expect(await (await openSnapshot(fx.dir, 'workspace', repo)).read('params.yaml')).toBe('x: 99\n');
  });

  it('gives the synchronous ml.yaml parser every file it asks for', async () => {
    const snap = await openSnapshot(fx.dir, sha.c1!);
    const text = (await snap.read('ml.yaml'))!;
    const pipeline = await snap.withReadText((readText) => parsePipeline(text, readText).pipeline);
    expect(pipeline?.stages[0]?.cmd).toEqual(['echo 1']);
  });

  it('reads a workspace kept in a subdirectory of the repository', async () => {
    const outer = makeFixture({ 'proj/params.yaml': 'y: 1\n', README: 'top\n' });
    outer.git('add', '-A');
    outer.git('commit', '-q', '-m', 'one');
    const snap = await openSnapshot(join(outer.dir, 'proj'), 'HEAD');
    expect(await snap.read('params.yaml')).toBe('y: 1\n');
  });
});

describe('shallow clones', () => {
  it('says which commit is missing and the fetch that brings it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gitml-shallow-')), 'clone');
    const r = spawnSync('git', ['clone', '-q', '--depth', '1', '--branch', 'main', `file://${fx.dir}`, dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const repo = await openRepo(dir);
    expect((await resolveRevision(repo, 'HEAD')).oid).toBe(sha.m);
    await expect(resolveRevision(repo, 'HEAD~1')).rejects.toThrow(/not in this repository: this clone is shallow .*git fetch --deepen=N/);
    await expect(resolveRevision(repo, sha.c1!)).rejects.toThrow(
      new RegExp(`${sha.c1} is not in this repository: this clone is shallow .*git fetch --unshallow`),
    );
  });
});
