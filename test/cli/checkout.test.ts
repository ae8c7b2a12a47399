import { chmodSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, objectPath, type Fixture } from '../helpers/fixture.js';

// One stage producing a binary file output and a directory output with a nested file; both are cached.
const PIPELINE = `stages:
  build:
    cmd: >-
      mkdir -p out/nested &&
      printf 'alpha\\n' > out/a.txt &&
      printf 'beta\\000\\377\\n' > out/nested/b.bin &&
      printf 'weights\\001\\002\\377' > model.bin
    outs: [model.bin, out]
`;

// The same, plus a metrics file, which is not cached by default.
const PIPELINE_WITH_METRICS = `stages:
  build:
    cmd: >-
      mkdir -p out &&
      printf 'alpha\\n' > out/a.txt &&
      printf 'weights' > model.bin &&
      printf '{"acc": 0.5}' > metrics.json
    outs: [model.bin, out]
    metrics: [metrics.json]
`;

function reproduced(pipeline = PIPELINE): Fixture {
  const fx = makeFixture({ 'ml.yaml': pipeline });
  const r = fx.gitml('repro');
  expect(r.code, r.stderr).toBe(0);
  return fx;
}

/** Every file under `path` (or `path` itself), as relative path -> bytes. */
function snapshot(fx: Fixture, path: string): Record<string, Buffer> {
  const abs = join(fx.dir, path);
  if (statSync(abs).isFile()) return { [path]: readFileSync(abs) };
  const out: Record<string, Buffer> = {};
  for (const ent of readdirSync(abs, { withFileTypes: true })) Object.assign(out, snapshot(fx, `${path}/${ent.name}`));
  return out;
}

function filesUnder(abs: string): string[] {
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(abs, e.name)) : [join(abs, e.name)]));
}


describe('gitml checkout', () => {
  it('restores a deleted file output and a deleted directory output byte for byte', () => {
    const fx = reproduced();
    const before = { ...snapshot(fx, 'model.bin'), ...snapshot(fx, 'out') };
    expect(Object.keys(before).sort()).toEqual(['model.bin', 'out/a.txt', 'out/nested/b.bin']);
    expect(before['out/nested/b.bin']).toEqual(Buffer.from([...Buffer.from('beta'), 0, 0xff, 0x0a]));
    fx.remove('model.bin');
    fx.remove('out');

    const r = fx.gitml('checkout');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('restored model.bin');
    expect(r.stdout).toContain('restored out');
    expect({ ...snapshot(fx, 'model.bin'), ...snapshot(fx, 'out') }).toEqual(before);

    const status = fx.gitml('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('build: up to date');
  });

  it('a second checkout says everything already matches and rewrites nothing', () => {
    const fx = reproduced();
    fx.remove('model.bin');
    expect(fx.gitml('checkout').code).toBe(0);

    // Back-date the files: a rewrite would give them a fresh mtime.
    const old = new Date('2001-01-01T00:00:00Z');
    for (const p of ['model.bin', 'out/a.txt', 'out/nested/b.bin']) utimesSync(join(fx.dir, p), old, old);

    const r = fx.gitml('checkout');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Every output already matches ml.lock.json.');
    expect(r.stdout).not.toContain('restored');
    for (const p of ['model.bin', 'out/a.txt', 'out/nested/b.bin']) expect(statSync(join(fx.dir, p)).mtimeMs).toBe(old.getTime());
  });

  it('with a path restores only that output', () => {
    const fx = reproduced();
    const model = readFileSync(join(fx.dir, 'model.bin'));
    fx.remove('model.bin');
    fx.remove('out');

    const r = fx.gitml('checkout', 'model.bin');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('restored model.bin');
    expect(r.stdout).not.toContain('restored out');
    expect(readFileSync(join(fx.dir, 'model.bin'))).toEqual(model);
    expect(fx.exists('out')).toBe(false);
  });

  it('rejects a path that is not an output with exit 2 and restores nothing', () => {
    const fx = reproduced();
    fx.remove('model.bin');

    const r = fx.gitml('checkout', 'nosuch.txt');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nosuch.txt');
    expect(r.stderr).toMatch(/not an output/);
    expect(fx.exists('model.bin')).toBe(false);
  });

  it('replaces modified workspace files with the cached versions', () => {
    const fx = reproduced();
    const before = { ...snapshot(fx, 'model.bin'), ...snapshot(fx, 'out') };
    fx.write('model.bin', 'tampered');
    fx.write('out/nested/b.bin', 'edited by hand');

    const r = fx.gitml('checkout');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('restored model.bin');
    expect(r.stdout).toContain('restored out');
    expect({ ...snapshot(fx, 'model.bin'), ...snapshot(fx, 'out') }).toEqual(before);
  });

  it('removes a file added inside a directory output', () => {
    const fx = reproduced();
    const before = snapshot(fx, 'out');
    fx.write('out/extra.txt', 'not produced by the stage');

    const r = fx.gitml('checkout');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('restored out');
    expect(r.stdout).not.toContain('restored model.bin');
    expect(fx.exists('out/extra.txt')).toBe(false);
    expect(snapshot(fx, 'out')).toEqual(before);
  });

  it('exits 1 naming an output whose object is gone from the cache, and still restores the others', () => {
    const fx = reproduced();
    const out = snapshot(fx, 'out');
    const hash = fx.lock().stages.build.outs['model.bin'].hash as string;
    rmSync(objectPath(fx, hash));
    fx.remove('model.bin');
    fx.remove('out');

    const r = fx.gitml('checkout');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('model.bin');
    expect(r.stdout).toContain('restored out');
    expect(snapshot(fx, 'out')).toEqual(out);
    expect(fx.exists('model.bin')).toBe(false);
  });

  it('restores a deleted uncached output (cache: false) from HEAD, and prints only what it did', () => {
    const fx = reproduced(PIPELINE_WITH_METRICS);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'v1');
    expect(fx.lock().stages.build.outs['metrics.json'].cache).toBe(false);
    const model = readFileSync(join(fx.dir, 'model.bin'));
    fx.remove('metrics.json');
    fx.remove('model.bin');

    const r = fx.gitml('checkout');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('restored metrics.json\nrestored model.bin\n2 restored, 1 already matched.\n');
    expect(fx.read('metrics.json')).toBe('{"acc": 0.5}');
    expect(readFileSync(join(fx.dir, 'model.bin'))).toEqual(model);
    expect(fx.gitml('checkout').stdout).toBe('Every output already matches ml.lock.json.\n');
  });

  it('exits 1 naming a deleted uncached output that git does not hold either, and still restores the rest', () => {
    const fx = reproduced(PIPELINE_WITH_METRICS); // nothing committed
    fx.remove('metrics.json');
    fx.remove('model.bin');
    const r = fx.gitml('checkout');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: metrics.json is not cached (cache: false) and HEAD does not hold the version ml.lock.json records; recreate it with `gitml repro build`');
    expect(r.stdout).toContain('restored model.bin');
    expect(r.stdout).toContain('1 restored, 1 already matched, 1 could not be restored.');
  });

  it('leaves restored files writable while cache objects stay read-only', () => {
    const fx = reproduced();
    fx.remove('model.bin');
    fx.remove('out');
    expect(fx.gitml('checkout').code).toBe(0);

    for (const p of ['model.bin', 'out/a.txt', 'out/nested/b.bin']) {
      expect(statSync(join(fx.dir, p)).mode & 0o200, `${p} is writable by its owner`).toBe(0o200);
    }
    const objects = filesUnder(join(fx.dir, '.ml/cache/blake3'));
    // model.bin, out/a.txt, out/nested/b.bin and the manifest of `out`.
    expect(objects.length).toBe(4);
    for (const o of objects) expect(statSync(o).mode & 0o222, `${o} is read-only`).toBe(0);
  });

  it('needs nothing from the cache for outputs that already match, even after the cache was removed', () => {
    const fx = reproduced();
    fx.remove('.ml/cache');
    const r = fx.gitml('checkout');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Every output already matches ml.lock.json.');
  });

  it('confirms a matching workspace when a pipeline also has uncached metrics, in one line', () => {
    const fx = reproduced(PIPELINE_WITH_METRICS);
    const r = fx.gitml('checkout');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Every output already matches ml.lock.json.\n');
  });

  it('removes folders left empty after deleting extra files from a directory output', () => {
    const fx = reproduced();
    fx.write('out/extra/deep/e.txt', 'extra\n');
    expect(fx.gitml('checkout').code).toBe(0);
    expect(fx.exists('out/extra')).toBe(false);
    expect(fx.exists('out/nested/b.bin')).toBe(true);
  });

  it('records what it wrote in the stat cache, so the next status reads none of it again', () => {
    const fx = makeFixture({ 'ml.yaml': 'stages:\n  gen:\n    cmd: mkdir -p data && for i in $(seq 1 1200); do echo $i > data/$i.txt; done\n    outs: [data]\n' });
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.remove('data');
    expect(fx.gitml('checkout').code).toBe(0);
    const r = fx.gitml('status', '--json');
    expect(JSON.parse(r.stdout).stages.gen).toEqual({ changed: false, reasons: [] });
    expect(r.stderr).not.toContain('hashing'); // more than 1,000 files to read would print a progress line

    // An edit after the checkout is still seen.
    fx.write('data/7.txt', '70\n');
    expect(JSON.parse(fx.gitml('status', '--json').stdout).stages.gen.reasons).toEqual(['out `data` modified']);
  });
});

describe('gitml checkout --rev', () => {
  // Each commit writes different model bytes, directory files and metrics.
  const versioned = (v: number) => `stages:
  build:
    cmd: >-
      mkdir -p out && printf 'v${v}\\n' > out/a.txt && printf 'weights ${v}' > model.bin && printf '{"acc": 0.${v}}' > metrics.json
    outs: [model.bin, out]
    metrics: [metrics.json]
`;

  function history(): Fixture {
    const fx = makeFixture({ 'ml.yaml': versioned(1) });
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-q', '-m', 'v1');
    fx.write('ml.yaml', versioned(2));
    expect(fx.gitml('repro', '-q').code).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-q', '-m', 'v2');
    return fx;
  }

  it("puts an older commit's outputs, cached and committed, into the workspace", () => {
    const fx = history();
    const r = fx.gitml('checkout', '--rev', 'HEAD~1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('restored model.bin');
    expect(fx.read('model.bin')).toBe('weights 1');
    expect(fx.read('out/a.txt')).toBe('v1\n');
    expect(fx.read('metrics.json')).toBe('{"acc": 0.1}');
    // The workspace lockfile is left as it is: status now says the outputs differ from it.
    expect(fx.lock().stages.build.cmd[0]).toContain("'v2");
    expect(fx.gitml('status').stdout).toContain('changed');
    expect(fx.gitml('checkout', '--rev', 'HEAD~1').stdout).toContain('Every output already matches ml.lock.json at HEAD~1.');
    expect(fx.gitml('checkout').code).toBe(0);
    expect(fx.read('model.bin')).toBe('weights 2');
  });

  it('narrows to paths and names what the revision does not record', () => {
    const fx = history();
    expect(fx.gitml('checkout', '--rev', 'HEAD~1', 'out').code).toBe(0);
    expect(fx.read('out/a.txt')).toBe('v1\n');
    expect(fx.read('model.bin')).toBe('weights 2');
    const bad = fx.gitml('checkout', '--rev', 'HEAD~1', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nope is not an output recorded in ml.lock.json at HEAD~1');
  });

  it('changes nothing and exits 1 when an object of the revision is missing, saying where to get it', () => {
    const fx = history();
    const old = JSON.parse(fx.git('show', 'HEAD~1:ml.lock.json'));
    const hash = old.stages.build.outs['model.bin'].hash as string;
    rmSync(objectPath(fx, hash), { force: true });
    const r = fx.gitml('checkout', '--rev', 'HEAD~1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`1 output of HEAD~1 is not in the cache: model.bin (stage build, ${hash}). Nothing was changed.`);
    expect(r.stderr).toContain('`gitml remote add NAME URL`, then `gitml pull`');
    expect(r.stderr).toContain('`gitml repro --rev HEAD~1`');
    expect(r.stdout).toBe('');
    // Not half applied: the directory output and the metrics are still those of HEAD.
    expect(fx.read('out/a.txt')).toBe('v2\n');
    expect(fx.read('metrics.json')).toBe('{"acc": 0.2}');

    expect(fx.gitml('remote', 'add', 'store', join(fx.dir, '..', `${fx.dir.split('/').pop()}-store`)).code).toBe(0);
    expect(fx.gitml('checkout', '--rev', 'HEAD~1').stderr).toContain('Get them with `gitml pull` (remote `store`)');
  });

  it('calls a damaged manifest of the revision corrupt, not missing, quarantines it and changes nothing', () => {
    const fx = history();
    const hash = JSON.parse(fx.git('show', 'HEAD~1:ml.lock.json')).stages.build.outs.out.hash as string;
    const abs = objectPath(fx, hash);
    chmodSync(abs, 0o644);
    writeFileSync(abs, `x${readFileSync(abs, 'utf8').slice(1)}`);
    const r = fx.gitml('checkout', '--rev', 'HEAD~1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`corrupt cache object, not used: out (object ${hash} hashes to`);
    expect(r.stderr).not.toContain('is not in the cache');
    expect(readdirSync(join(fx.dir, '.ml/cache/quarantine'))).toEqual([`blake3-${hash.split(':')[1]}--out`]);
    expect(fx.read('out/a.txt')).toBe('v2\n');
    expect(fx.read('model.bin')).toBe('weights 2');
  });
});
