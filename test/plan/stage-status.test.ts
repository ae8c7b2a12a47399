import { describe, expect, it } from 'vitest';
import type { HashInfo } from '../../core/hash/hash-path.js';
import { parseLockfile, serializeLockfile, type StageLock } from '../../core/lockfile/lockfile.js';
import { toStageLock } from '../../core/lockfile/entry.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import type { Stage } from '../../core/pipeline/types.js';
import { lockChanges, stageStatus, type HashOf } from '../../core/plan/stage-status.js';

/** A valid-looking content hash, distinct per `seed`. */
const h = (seed: string): string => `blake3:${seed.repeat(64).slice(0, 64)}`;

const PARAMS = 'train:\n  lr: 0.1\n  epochs: 3\n';

/** The one stage of an ml.yaml made of `lines` under `stages: train:`, with params.yaml holding `params`. */
function stage(lines: string[], params = PARAMS, files: Record<string, string> = {}): Stage {
  const all: Record<string, string> = { ...files, 'params.yaml': params };
  const r = parsePipeline(['stages:', '  train:', ...lines.map((l) => `    ${l}`), ''].join('\n'), (p) => (Object.hasOwn(all, p) ? all[p]! : null));
  expect(r.problems).toEqual([]);
  return r.pipeline!.stages[0]!;
}

/** The standard stage under test: one dep, one param, one output. */
const TRAIN = ['cmd: python train.py', 'deps: [train.py]', 'params: [train.lr]', 'outs: [model.pkl]'];

/** The lock `TRAIN` leaves after a run where train.py hashed to h('a') and model.pkl to h('b'); `over` replaces fields. */
function lock(over: Partial<StageLock> = {}): StageLock {
  return {
    cmd: ['python train.py'],
    deps: { 'train.py': { hash: h('a'), size: 10 } },
    params: { 'params.yaml': { 'train.lr': 0.1 } },
    outs: { 'model.pkl': { hash: h('b'), size: 20 } },
    ...over,
  };
}

/** Files as they are now: path -> hash; a path not listed is missing. */
function disk(files: Record<string, string> = { 'train.py': h('a'), 'model.pkl': h('b') }): HashOf {
  return (path): HashInfo | null => (Object.hasOwn(files, path) ? { hash: files[path]!, size: 1 } : null);
}

describe('stageStatus', () => {
  it('says a stage that never ran has changed', () => {
    expect(stageStatus(stage(TRAIN), undefined, disk())).toEqual({ changed: true, reasons: ['never run'] });
  });

  it('says a stage matching its lock is up to date', () => {
    expect(stageStatus(stage(TRAIN), lock(), disk())).toEqual({ changed: false, reasons: [] });
  });

  it('notices a changed command', () => {
    const s = stage(['cmd: python train.py --fast', 'deps: [train.py]', 'params: [train.lr]', 'outs: [model.pkl]']);
    expect(stageStatus(s, lock(), disk())).toEqual({ changed: true, reasons: ['command changed'] });
  });

  it('notices a command split into a list', () => {
    const s = stage(['cmd: [python train.py, echo done]', 'deps: [train.py]', 'params: [train.lr]', 'outs: [model.pkl]']);
    expect(stageStatus(s, lock(), disk()).reasons).toEqual(['command changed']);
  });

  it('notices a changed working directory', () => {
    const s = stage(['cmd: python train.py', 'deps: [train.py]', 'params: [train.lr]', 'outs: [model.pkl]']);
    expect(stageStatus(s, lock({ wdir: 'sub' }), disk()).reasons).toEqual(['working directory changed `sub -> .`']);
  });

  it('notices env added, removed and changed', () => {
    const s = stage([...TRAIN, 'env: {A: "1", B: "2"}']);
    expect(stageStatus(s, lock({ env: { B: '3', C: '4' } }), disk()).reasons.sort()).toEqual(['env `A` added', 'env `B` changed', 'env `C` removed']);
  });

  it('names a changed param with its old and new value', () => {
    const s = stage(TRAIN, 'train:\n  lr: 0.2\n');
    expect(stageStatus(s, lock(), disk())).toEqual({ changed: true, reasons: ['param `train.lr` changed `0.1 -> 0.2`'] });
  });

  it('shows non-string param values as JSON', () => {
    const s = stage(TRAIN, 'train:\n  lr: [1, 2]\n');
    expect(stageStatus(s, lock(), disk()).reasons).toEqual(['param `train.lr` changed `0.1 -> [1,2]`']);
  });

  it('notices a param added to the stage', () => {
    const s = stage(['cmd: python train.py', 'deps: [train.py]', 'params: [train.lr, train.epochs]', 'outs: [model.pkl]']);
    expect(stageStatus(s, lock(), disk()).reasons).toEqual(['param `train.epochs` added']);
  });

  it('notices a param removed from the stage', () => {
    const s = stage(['cmd: python train.py', 'deps: [train.py]', 'outs: [model.pkl]']);
    expect(stageStatus(s, lock(), disk()).reasons).toEqual(['param `train.lr` removed']);
  });

  it('prefixes params of other files with the file name', () => {
    const s = stage(['cmd: python train.py', 'deps: [train.py]', 'params: [train.lr, {conf.yaml: [depth]}]', 'outs: [model.pkl]'], PARAMS, {
      'conf.yaml': 'depth: 4\n',
    });
    const locked = lock({ params: { 'params.yaml': { 'train.lr': 0.1 }, 'conf.yaml': { depth: 3 } } });
    expect(stageStatus(s, locked, disk()).reasons).toEqual(['param `conf.yaml:depth` changed `3 -> 4`']);
  });

  it('notices a modified dependency', () => {
    expect(stageStatus(stage(TRAIN), lock(), disk({ 'train.py': h('c'), 'model.pkl': h('b') })).reasons).toEqual(['dep `train.py` modified']);
  });

  it('notices a deleted dependency', () => {
    expect(stageStatus(stage(TRAIN), lock(), disk({ 'model.pkl': h('b') })).reasons).toEqual(['dep `train.py` deleted']);
  });

  it('notices a dependency added to the stage', () => {
    const s = stage(['cmd: python train.py', 'deps: [train.py, data.csv]', 'params: [train.lr]', 'outs: [model.pkl]']);
    expect(stageStatus(s, lock(), disk({ 'train.py': h('a'), 'data.csv': h('d'), 'model.pkl': h('b') })).reasons).toEqual(['dep `data.csv` added']);
  });

  it('notices a dependency removed from the stage', () => {
    const s = stage(['cmd: python train.py', 'params: [train.lr]', 'outs: [model.pkl]']);
    expect(stageStatus(s, lock(), disk()).reasons).toEqual(['dep `train.py` removed']);
  });

  it('notices a missing output', () => {
    expect(stageStatus(stage(TRAIN), lock(), disk({ 'train.py': h('a') })).reasons).toEqual(['out `model.pkl` not in the workspace']);
  });

  it('says how a missing output comes back: checkout from the cache, pull from a remote, or a rerun', () => {
    const missing = disk({ 'train.py': h('a') });
    const where = (cached: boolean, remote: boolean) =>
      stageStatus(stage(TRAIN), lock(), missing, { cached: () => cached, remote, isOutput: () => false });
    expect(where(true, true).reasons).toEqual(['out `model.pkl` not in the workspace']);
    expect(where(true, true).missing).toEqual([{ path: 'model.pkl', restore: 'checkout' }]);
    expect(where(false, true).missing).toEqual([{ path: 'model.pkl', restore: 'pull' }]);
    expect(where(false, false).missing).toEqual([{ path: 'model.pkl', restore: 'repro' }]);
  });

  it('says a missing dependency that another stage produces is not in the workspace; a source file is deleted', () => {
    const restorable = (isOutput: boolean) => ({ cached: () => false, remote: true, isOutput: () => isOutput });
    const noSource = disk({ 'model.pkl': h('b') });
    expect(stageStatus(stage(TRAIN), lock(), noSource, restorable(true))).toEqual({
      changed: true,
      reasons: ['dep `train.py` not in the workspace'],
      missing: [{ path: 'train.py', restore: 'pull' }],
    });
    expect(stageStatus(stage(TRAIN), lock(), noSource, restorable(false)).reasons).toEqual(['dep `train.py` deleted']);
  });

  it('notices a modified output', () => {
    expect(stageStatus(stage(TRAIN), lock(), disk({ 'train.py': h('a'), 'model.pkl': h('e') })).reasons).toEqual(['out `model.pkl` modified']);
  });

  it('notices an output added to the stage', () => {
    const s = stage([...TRAIN, 'metrics: [score.json]']);
    expect(stageStatus(s, lock(), disk({ 'train.py': h('a'), 'model.pkl': h('b'), 'score.json': h('f') })).reasons).toEqual(['out `score.json` added']);
  });

  it('notices an output removed from the stage', () => {
    const s = stage(['cmd: python train.py', 'deps: [train.py]', 'params: [train.lr]']);
    expect(stageStatus(s, lock(), disk()).reasons).toEqual(['out `model.pkl` removed']);
  });

  it('always reports an always_changed stage as changed', () => {
    expect(stageStatus(stage([...TRAIN, 'always_changed: true']), lock(), disk())).toEqual({ changed: true, reasons: ['always changed'] });
  });

  it('never reports a frozen stage as changed, whatever differs', () => {
    const s = stage(['cmd: something else', 'deps: [train.py]', 'outs: [model.pkl]', 'frozen: true', 'always_changed: true']);
    expect(stageStatus(s, lock(), disk({}))).toEqual({ changed: false, reasons: [] });
    expect(stageStatus(s, undefined, disk({}))).toEqual({ changed: false, reasons: [] });
  });

  it('lists every reason: definition first, then params, deps and outs', () => {
    const s = stage(['cmd: python train.py --v2', 'deps: [train.py, new.csv]', 'params: [train.lr, train.epochs]', 'outs: [model.pkl]'], 'train:\n  lr: 0.3\n  epochs: 3\n');
    const locked = lock({ deps: { 'train.py': { hash: h('a'), size: 10 }, 'old.csv': { hash: h('9'), size: 1 } } });
    const now = disk({ 'train.py': h('c'), 'new.csv': h('d') });
    expect(stageStatus(s, locked, now)).toEqual({
      changed: true,
      reasons: [
        'command changed',
        'param `train.lr` changed `0.1 -> 0.3`',
        'param `train.epochs` added',
        'dep `new.csv` added',
        'dep `train.py` modified',
        'dep `old.csv` removed',
        'out `model.pkl` not in the workspace',
      ],
    });
  });

  describe('params JSON cannot hold, through a written and read lockfile', () => {
    /** The stage's lock after a run with params.yaml `lr: <value>`, written to ml.lock.json text and read back. */
    const lockedWith = (value: string): StageLock => {
      const ran = stage(TRAIN, `train:\n  lr: ${value}\n`);
      const text = serializeLockfile({ schema: '1', stages: { train: toStageLock(ran, new Map([['train.py', { hash: h('a'), size: 10 }]]), new Map([['model.pkl', { hash: h('b'), size: 20 }]])) } });
      return parseLockfile(text).stages.train!;
    };
    const VALUES = ['.nan', '.inf', '-.inf', 'null', '12345678901234567890123', '12345678901234567890124', '"5"', '5'];

    it('tells each from every other, and each from itself as unchanged', () => {
      for (const old of VALUES) {
        const locked = lockedWith(old);
        for (const now of VALUES) {
          const r = stageStatus(stage(TRAIN, `train:\n  lr: ${now}\n`), locked, disk());
          expect(r.changed, `${old} -> ${now}`).toBe(old !== now);
        }
      }
    });

    it('shows the values as written, and a string that became a number with its quotes', () => {
      const reason = (old: string, now: string) => stageStatus(stage(TRAIN, `train:\n  lr: ${now}\n`), lockedWith(old), disk()).reasons;
      expect(reason('"5"', '5')).toEqual(['param `train.lr` changed `"5" -> 5`']);
      expect(reason('5', '"5"')).toEqual(['param `train.lr` changed `5 -> "5"`']);
      expect(reason('.nan', 'null')).toEqual(['param `train.lr` changed `NaN -> null`']);
      expect(reason('.inf', '-.inf')).toEqual(['param `train.lr` changed `Infinity -> -Infinity`']);
      expect(reason('12345678901234567890123', '12345678901234567890124')).toEqual([
        'param `train.lr` changed `12345678901234567890123 -> 12345678901234567890124`',
      ]);
    });
  });
});

describe('lockChanges', () => {
  const lock = (over: Partial<StageLock> = {}): StageLock => ({
    cmd: ['python train.py'],
    deps: { 'data.csv': { hash: 'blake3:aa', size: 1 }, 'train.py': { hash: 'blake3:bb', size: 1 } },
    params: { 'params.yaml': { 'train.lr': 0.1 }, 'other.yaml': { seed: 1 } },
    outs: { 'model.bin': { hash: 'blake3:cc', size: 1 } },
    ...over,
  });

  it('says what made a newer lock entry differ, leaving out the output hashes a run changes anyway', () => {
    const after = lock({
      cmd: ['python train.py --fast'],
      deps: { 'data.csv': { hash: 'blake3:ab', size: 1 }, 'extra.py': { hash: 'blake3:dd', size: 1 } },
      params: { 'params.yaml': { 'train.lr': 0.05 }, 'other.yaml': { seed: 1 } },
      outs: { 'model.bin': { hash: 'blake3:ee', size: 1 }, 'log.txt': { hash: 'blake3:ff', size: 1 } },
    });
    expect(lockChanges(lock(), after)).toEqual([
      'command changed',
      'param `train.lr` changed `0.1 -> 0.05`',
      'dep `data.csv` modified',
      'dep `extra.py` added',
      'dep `train.py` removed',
      'out `log.txt` added',
    ]);
  });

  it('is empty for entries that differ only in what the run produced, and says so for a stage never run before', () => {
    expect(lockChanges(lock(), lock({ outs: { 'model.bin': { hash: 'blake3:ee', size: 2 } } }))).toEqual([]);
    expect(lockChanges(undefined, lock())).toEqual(['never run']);
  });
});
