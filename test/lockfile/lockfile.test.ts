import { describe, expect, it } from 'vitest';
import { LockfileCorruptError } from '../../core/errors.js';
import type { HashInfo } from '../../core/hash/hash-path.js';
import { toStageLock } from '../../core/lockfile/entry.js';
import { emptyLockfile, parseLockfile, serializeLockfile, type Lockfile } from '../../core/lockfile/lockfile.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import type { Stage } from '../../core/pipeline/types.js';

const h = (seed: string): string => `blake3:${seed.repeat(64).slice(0, 64)}`;

/** A lockfile with keys deliberately given in unsorted order. */
function sample(): Lockfile {
  return {
    stages: {
      train: {
        outs: { 'model.pkl': { size: 20, hash: h('b') } },
        params: { 'params.yaml': { 'train.lr': 0.1, 'train.epochs': 3 } },
        deps: { 'train.py': { size: 10, hash: h('a') }, 'data/train.csv': { nfiles: 2, size: 5, hash: h('c') } },
        cmd: ['python train.py', 'echo done'],
      },
      prepare: { cmd: ['python prepare.py'], deps: {}, outs: { data: { hash: h('d'), size: 7, nfiles: 3, cache: false } } },
    },
    schema: '1',
  };
}

/** The same content as `sample()` built with every key in a different insertion order. */
function sampleReordered(): Lockfile {
  return {
    schema: '1',
    stages: {
      prepare: { outs: { data: { cache: false, nfiles: 3, size: 7, hash: h('d') } }, deps: {}, cmd: ['python prepare.py'] },
      train: {
        cmd: ['python train.py', 'echo done'],
        deps: { 'data/train.csv': { hash: h('c'), size: 5, nfiles: 2 }, 'train.py': { hash: h('a'), size: 10 } },
        params: { 'params.yaml': { 'train.epochs': 3, 'train.lr': 0.1 } },
        outs: { 'model.pkl': { hash: h('b'), size: 20 } },
      },
    },
  };
}

/** The LockfileCorruptError thrown for `text`. */
function corrupt(text: string): LockfileCorruptError {
  try {
    parseLockfile(text);
  } catch (err) {
    expect(err).toBeInstanceOf(LockfileCorruptError);
    return err as LockfileCorruptError;
  }
  throw new Error('expected parseLockfile to throw');
}

const reasonOf = (value: unknown) => corrupt(JSON.stringify(value)).data.reason;

describe('serializeLockfile', () => {
  it('writes the same bytes whatever order the keys were added in', () => {
    expect(serializeLockfile(sampleReordered())).toBe(serializeLockfile(sample()));
  });

  it('sorts keys at every depth, indents by two spaces and ends with a newline', () => {
    const lock: Lockfile = {
      stages: { b: { outs: {}, deps: { 'z.txt': { size: 1, hash: h('1') } }, cmd: ['x'] }, a: { outs: {}, deps: {}, cmd: ['y'] } },
      schema: '1',
    };
    expect(serializeLockfile(lock)).toBe(
      [
        '{',
        '  "schema": "1",',
        '  "stages": {',
        '    "a": {',
        '      "cmd": [',
        '        "y"',
        '      ],',
        '      "deps": {},',
        '      "outs": {}',
        '    },',
        '    "b": {',
        '      "cmd": [',
        '        "x"',
        '      ],',
        '      "deps": {',
        '        "z.txt": {',
        `          "hash": "${h('1')}",`,
        '          "size": 1',
        '        }',
        '      },',
        '      "outs": {}',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('keeps the order of commands, which is meaningful', () => {
    const text = serializeLockfile(sample());
    expect(text.indexOf('python train.py')).toBeLessThan(text.indexOf('echo done'));
  });

  it('round-trips through parseLockfile', () => {
    const text = serializeLockfile(sample());
    expect(parseLockfile(text)).toEqual(sample());
    expect(serializeLockfile(parseLockfile(text))).toBe(text);
  });

  it('writes an empty lockfile that parses back', () => {
    expect(serializeLockfile(emptyLockfile())).toBe('{\n  "schema": "1",\n  "stages": {}\n}\n');
    expect(parseLockfile(serializeLockfile(emptyLockfile()))).toEqual(emptyLockfile());
  });
});

describe('parseLockfile', () => {
  it('rejects text that is not JSON', () => {
    const err = corrupt('{"schema": "1", "stages": {');
    expect(err.code).toBe('E_LOCKFILE_CORRUPT');
    expect(err.data.reason).toMatch(/^not valid JSON \(/);
    expect(err.message).toMatch(/^ml\.lock\.json:1:28: not valid JSON \(unexpected end of file\)/);
    expect(err.message).toContain('git checkout -- ml.lock.json');
  });

  it('rejects an unsupported schema version, naming it', () => {
    expect(reasonOf({ schema: '2', stages: {} })).toBe('schema version "2" is not supported (expected "1")');
    expect(reasonOf({ schema: 1, stages: {} })).toBe('schema version 1 is not supported (expected "1")');
  });

  it('rejects a malformed hash, saying where it is', () => {
    const lock = { schema: '1', stages: { train: { cmd: ['x'], deps: { 'train.py': { hash: 'md5:abc', size: 1 } }, outs: {} } } };
    expect(reasonOf(lock)).toBe('stages.train.deps.train.py.hash: must match pattern "^blake3:[0-9a-f]{64}$"');
  });

  it('names a dependency path holding slashes as written, not JSON-pointer escaped', () => {
    const lock = { schema: '1', stages: { train: { cmd: ['x'], deps: { 'data/x.csv': { hash: 'md5:abc', size: 1 } }, outs: {} } } };
    expect(reasonOf(lock)).toBe('stages.train.deps.data/x.csv.hash: must match pattern "^blake3:[0-9a-f]{64}$"');
  });

  it('rejects a hash in upper case', () => {
    const lock = { schema: '1', stages: { t: { cmd: ['x'], deps: {}, outs: { o: { hash: h('A'), size: 1 } } } } };
    expect(reasonOf(lock)).toContain('stages.t.outs.o.hash');
  });

  it('rejects an unknown key at the top level and inside a stage', () => {
    expect(reasonOf({ schema: '1', stages: {}, extra: true })).toBe('top level: unknown key `extra`');
    expect(reasonOf({ schema: '1', stages: { train: { cmd: ['x'], deps: {}, outs: {}, command: 'x' } } })).toBe('stages.train: unknown key `command`');
  });

  it('rejects a missing field and a value that is not an object', () => {
    expect(reasonOf({ schema: '1', stages: { train: { cmd: ['x'], deps: {} } } })).toBe("stages.train: must have required property 'outs'");
    expect(reasonOf(null)).toBe('top level: must be object');
  });

  it('uses the file name it is given', () => {
    try {
      parseLockfile('nope', 'sub/ml.lock.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(LockfileCorruptError);
      expect((err as LockfileCorruptError).data.file).toBe('sub/ml.lock.json');
      expect((err as Error).message).toMatch(/^sub\/ml\.lock\.json:1:1: not valid JSON/);
    }
  });

  it('names the version it read after line and column, without advice to restore the workspace copy', () => {
    const err = (() => {
      try {
        parseLockfile('{\n  "schema": "1",\n  "stages": 5\n}\n', 'ml.lock.json', 'at HEAD~2');
      } catch (e) {
        return e as LockfileCorruptError;
      }
      throw new Error('expected parseLockfile to throw');
    })();
    expect(err.message).toBe('ml.lock.json:3:13 (at HEAD~2): stages: must be object.');
    expect(err.data).toMatchObject({ file: 'ml.lock.json', source: 'at HEAD~2', line: 3, col: 13 });
    // The workspace's own lockfile keeps the way to restore it.
    expect(corrupt('{\n  "schema": "1",\n  "stages": 5\n}\n').message).toContain('`git checkout -- ml.lock.json` restores the committed one');
  });
});

describe('toStageLock', () => {
  function stage(lines: string[], files: Record<string, string> = {}): Stage {
    const r = parsePipeline(['stages:', '  train:', ...lines.map((l) => `    ${l}`), ''].join('\n'), (p) => (Object.hasOwn(files, p) ? files[p]! : null));
    expect(r.problems).toEqual([]);
    return r.pipeline!.stages[0]!;
  }
  const info = (seed: string, size: number, nfiles?: number): HashInfo => ({ hash: h(seed), size, ...(nfiles !== undefined ? { nfiles } : {}) });

  it('records cmd, deps and outs, and nothing optional for a plain stage', () => {
    const s = stage(['cmd: python train.py', 'deps: [train.py]', 'outs: [model.pkl]']);
    const lock = toStageLock(s, new Map([['train.py', info('a', 10)]]), new Map([['model.pkl', info('b', 20)]]));
    expect(lock).toEqual({
      cmd: ['python train.py'],
      deps: { 'train.py': { hash: h('a'), size: 10 } },
      outs: { 'model.pkl': { hash: h('b'), size: 20 } },
    });
  });

  it('marks non-cached outputs with cache: false and counts files of directories', () => {
    const s = stage(['cmd: x', 'deps: [data]', 'outs: [model]', 'metrics: [score.json]', 'plots: [{roc.csv: {cache: true}}]']);
    const lock = toStageLock(
      s,
      new Map([['data', info('a', 100, 4)]]),
      new Map([
        ['model', info('b', 50, 2)],
        ['score.json', info('c', 3)],
        ['roc.csv', info('d', 9)],
      ]),
    );
    expect(lock.deps).toEqual({ data: { hash: h('a'), size: 100, nfiles: 4 } });
    expect(lock.outs).toEqual({
      model: { hash: h('b'), size: 50, nfiles: 2 },
      'score.json': { hash: h('c'), size: 3, cache: false },
      'roc.csv': { hash: h('d'), size: 9 },
    });
  });

  it('records wdir only when it is not the root', () => {
    const atRoot = toStageLock(stage(['cmd: x', 'wdir: .']), new Map(), new Map());
    expect(atRoot).not.toHaveProperty('wdir');
    expect(toStageLock(stage(['cmd: x', 'wdir: models/cnn']), new Map(), new Map()).wdir).toBe('models/cnn');
  });

  it('records env and params only when the stage has some', () => {
    const bare = toStageLock(stage(['cmd: x']), new Map(), new Map());
    expect(bare).not.toHaveProperty('env');
    expect(bare).not.toHaveProperty('params');

    const full = toStageLock(stage(['cmd: x', 'env: {SEED: 1}', 'params: [train.lr]'], { 'params.yaml': 'train:\n  lr: 0.1\n' }), new Map(), new Map());
    expect(full.env).toEqual({ SEED: '1' });
    expect(full.params).toEqual({ 'params.yaml': { 'train.lr': 0.1 } });
  });

  it('produces a record that passes parseLockfile', () => {
    const s = stage(['cmd: x', 'wdir: sub', 'deps: [in]', 'outs: [out]', 'metrics: [m.json]', 'env: {A: b}']);
    const lock = toStageLock(s, new Map([['sub/in', info('a', 1)]]), new Map([['sub/out', info('b', 2, 1)], ['sub/m.json', info('c', 3)]]));
    const file: Lockfile = { schema: '1', stages: { train: lock } };
    expect(parseLockfile(serializeLockfile(file))).toEqual(file);
  });
});

describe('parseLockfile: where a damaged file goes wrong', () => {
  const text = serializeLockfile(sample());
  /** `text` with `from` replaced by `to`, once. */
  const edited = (from: string, to: string) => {
    expect(text).toContain(from);
    return text.replace(from, to);
  };
  /** 1-based line and column of the first `needle` in `haystack`. */
  const at = (haystack: string, needle: string) => {
    const before = haystack.slice(0, haystack.indexOf(needle)).split('\n');
    return { line: before.length, col: before[before.length - 1]!.length + 1 };
  };

  it('gives line and column of a JSON syntax error', () => {
    const bad = edited('"size": 20', '"size": 20,,');
    const err = corrupt(bad);
    expect(err.data).toMatchObject({ ...at(bad, ',,'), col: at(bad, ',,').col + 1 });
    expect(err.message).toMatch(new RegExp(`^ml\\.lock\\.json:${at(bad, ',,').line}:\\d+: not valid JSON \\(expected a "quoted" key, found \`,\`\\)`));
  });

  it('locates an unquoted value, a missing comma and an unterminated string', () => {
    for (const [from, to, needle] of [
      ['"size": 20', '"size": twenty', 'twenty'],
      ['"size": 20\n', '"size": 20\n"x": 1\n', '"x"'],
      ['"python prepare.py"', '"python prepare.py', '"python prepare.py'],
    ] as const) {
      const bad = edited(from, to);
      expect(corrupt(bad).data, to).toMatchObject(at(bad, needle));
    }
  });

  it('rejects a number JSON.parse cannot hold (1e400 is Infinity), at its position', () => {
    const bad = edited('"size": 20', '"size": 1e400');
    const err = corrupt(bad);
    expect(err.data).toMatchObject({ reason: 'stages.train.outs.model.pkl.size: number out of range', ...at(bad, '1e400') });
    expect(err.exitCode).toBe(2);
  });

  it('rejects negative, fractional and too large sizes as schema errors with their key and position', () => {
    for (const [size, message] of [
      ['-1', 'must be >= 0'],
      ['1.5', 'must be integer'],
      ['9007199254740993', 'must be <= 9007199254740991'],
    ] as const) {
      const bad = edited('"size": 20', `"size": ${size}`);
      expect(corrupt(bad).data, size).toMatchObject({ reason: `stages.train.outs.model.pkl.size: ${message}`, ...at(bad, size) });
    }
  });

  it('locates a malformed hash and an unknown key', () => {
    const badHash = edited(`"hash": "${h('b')}"`, '"hash": "md5:abc"');
    expect(corrupt(badHash).data).toMatchObject(at(badHash, '"md5:abc"'));
    const unknown = edited('"size": 20', '"size": 20, "sizes": 3');
    expect(corrupt(unknown).data).toMatchObject({ reason: 'stages.train.outs.model.pkl: unknown key `sizes`', ...at(unknown, '"sizes"') });
  });

  it('rejects hostile nesting with one located error', () => {
    const bad = edited('"train.epochs": 3', `"train.epochs": ${'['.repeat(5000)}${']'.repeat(5000)}`);
    const start = performance.now();
    const err = corrupt(bad);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(err.data.reason).toBe('stages.train.params.params.yaml.train.epochs.0...: nested too deeply');
    expect(err.data.line).toBe(at(bad, '[[[').line);
  });
});

describe('lockfile: parameter values JSON cannot hold', () => {
  const lock = (values: Record<string, unknown>): Lockfile => ({
    schema: '1',
    stages: { train: { cmd: ['x'], deps: {}, outs: {}, params: { 'params.yaml': values } } },
  });

  it('keeps NaN, both infinities, null and big integers distinct, and reads them back', () => {
    const values = { nan: NaN, inf: Infinity, ninf: -Infinity, none: null, big: 12345678901234567890123n, neg: -9007199254740993n, n: 1.5 };
    const text = serializeLockfile(lock(values));
    expect(JSON.parse(text).stages.train.params['params.yaml']).toEqual({
      nan: { $float: 'nan' },
      inf: { $float: 'inf' },
      ninf: { $float: '-inf' },
      none: null,
      big: { $int: '12345678901234567890123' },
      neg: { $int: '-9007199254740993' },
      n: 1.5,
    });
    expect(parseLockfile(text).stages.train!.params!['params.yaml']).toEqual(values);
    expect(serializeLockfile(parseLockfile(text))).toBe(text);
  });

  it('reads the encoding inside lists too', () => {
    const text = serializeLockfile(lock({ grid: [NaN, 1, [Infinity]] }));
    expect(parseLockfile(text).stages.train!.params!['params.yaml']!.grid).toEqual([NaN, 1, [Infinity]]);
  });
});
