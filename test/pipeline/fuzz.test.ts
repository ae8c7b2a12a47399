import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { GitmlError, InvalidPipelineError, LockfileCorruptError, type Problem } from '../../core/errors.js';
import { parseLockfile, serializeLockfile } from '../../core/lockfile/lockfile.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import { serializeStageKey, stageKeyRecord } from '../../core/plan/stage-key.js';

/**
 * Seeded mutations of valid input files, read through the same functions the CLI uses. Whatever the bytes, reading
 * either succeeds or fails with a GitmlError whose every problem says file and line, and it is quick.
 */

/** mulberry32: a tiny seeded PRNG, so a failure names a seed that reproduces it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ML_YAML = `vars:
  - base: data
  - params.yaml:train
stages:
  prepare:
    cmd: python prepare.py --seed \${seed} --out \${base}/prepared.csv
    deps: [prepare.py, data/raw.csv]
    params: [seed]
    outs: [data/prepared.csv]
  train:
    foreach: \${models}
    do:
      cmd: python train.py --model \${item} --lr \${train.lr} --tag \\\${literal}
      deps:
        - train.py
        - data/prepared.csv
      outs:
        - models/\${item}.pkl
      metrics:
        - metrics/\${item}.json: {cache: false}
  sweep:
    matrix:
      depth: [2, 4]
      loss: \${losses}
    cmd: python sweep.py --depth \${item.depth} --loss \${item.loss}
    outs:
      - sweep/\${item.depth}-\${item.loss}.txt
    resources: {gpu: 1, labels: [big]}
`;

const PARAMS_YAML = `seed: 42
models: [cnn, rnn]
losses:
  - l1
  - l2
train:
  lr: 0.01
  epochs: 5
  big: 12345678901234567890123
  nothing: null
  missing: .nan
  far: .inf
  text: "5"
  anchors: &defaults {a: 1, b: [1, 2]}
  copy: *defaults
`;

const HASH = `blake3:${'ab'.repeat(32)}`;
const LOCK_JSON = serializeLockfile({
  schema: '1',
  stages: {
    prepare: {
      cmd: ['python prepare.py --seed 42'],
      deps: { 'prepare.py': { hash: HASH, size: 120 }, data: { hash: HASH, size: 4096, nfiles: 3 } },
      params: { 'params.yaml': { seed: 42, 'train.lr': 0.01, 'train.missing': NaN, 'train.big': 12345678901234567890123n } },
      outs: { 'data/prepared.csv': { hash: HASH, size: 99 }, 'report.html': { hash: HASH, size: 7, cache: false } },
    },
  },
});

const CONFIG_YAML = `cache:
  link: [reflink, copy]
jobs: 4
default_remote: store
remotes:
  store:
    url: /tmp/store
  s3:
    url: s3://bucket/prefix
    region: eu-west-1
`;

const INSERTS = [
  '[',
  '{',
  ']',
  '}',
  '*a',
  '&a ',
  '${',
  '\\${',
  '}',
  ':',
  ': ',
  '\t',
  '\n',
  '- ',
  '"',
  "'",
  '#',
  '|',
  '>',
  '?',
  '!!',
  '%YAML 1.2\n',
  '1e400',
  '-1',
  '12345678901234567890123',
  '.nan',
  'null',
  '&a [*a]',
  '[[[[[[[[',
  ',',
];

function mutate(text: string, rand: () => number): string {
  const at = () => Math.floor(rand() * (text.length + 1));
  const n = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < n; k++) {
    const i = at();
    switch (Math.floor(rand() * 7)) {
      case 0: // flip a byte
        if (text.length)
          text =
            text.slice(0, i) +
            String.fromCharCode(text.charCodeAt(Math.min(i, text.length - 1)) ^ (1 << Math.floor(rand() * 7))) +
            text.slice(i + 1);
        break;
      case 1: // delete a span
        text = text.slice(0, i) + text.slice(i + 1 + Math.floor(rand() * 20));
        break;
      case 2: {
        // duplicate a span
        const len = 1 + Math.floor(rand() * 40);
        text = text.slice(0, i + len) + text.slice(i, i + len) + text.slice(i + len);
        break;
      }
      case 3: // truncate
        text = text.slice(0, i);
        break;
      case 4: // a run of one token (deep nesting, many aliases)
        text = text.slice(0, i) + INSERTS[Math.floor(rand() * INSERTS.length)]!.repeat(1 + Math.floor(rand() * 600)) + text.slice(i);
        break;
      default: // insert a token
        text = text.slice(0, i) + INSERTS[Math.floor(rand() * INSERTS.length)] + text.slice(i);
    }
  }
  return text;
}

/** Every problem names a file and a line. */
function expectLocated(problems: Problem[]): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.file, JSON.stringify(p)).toBeTruthy();
    expect(p.line, JSON.stringify(p)).toBeGreaterThanOrEqual(1);
    expect(p.col, JSON.stringify(p)).toBeGreaterThanOrEqual(1);
  }
}

/** Runs `fn` on `text`, failing with the seed and the text when it throws anything but a GitmlError or is slow. */
function check(what: string, seed: number, text: string, fn: () => void): number {
  const start = performance.now();
  try {
    fn();
  } catch (err) {
    if (!(err instanceof GitmlError)) {
      throw new Error(`${what} seed ${seed}: ${(err as Error)?.stack ?? String(err)}\n--- input ---\n${text.slice(0, 2000)}`);
    }
  }
  const ms = performance.now() - start;
  expect(ms, `${what} seed ${seed} took ${ms.toFixed(0)} ms`).toBeLessThan(1000);
  return ms;
}

const RUNS = 180;

/** Hashes for a stage key: any will do, the key's serialization is what is checked. */
const depHashes = (deps: string[]) => new Map(deps.map((d) => [d, { hash: HASH, size: 1 }]));

describe('fuzzed input files', () => {
  it('the unmutated files are valid, so the mutations start from a working pipeline', () => {
    const files: Record<string, string> = { 'params.yaml': PARAMS_YAML };
    const r = parsePipeline(ML_YAML, (p) => files[p] ?? null);
    expect(r.problems).toEqual([]);
    expect(r.pipeline!.stages.map((s) => s.name)).toEqual([
      'prepare',
      'train@cnn',
      'train@rnn',
      'sweep@2-l1',
      'sweep@2-l2',
      'sweep@4-l1',
      'sweep@4-l2',
    ]);
    expect(parseLockfile(LOCK_JSON).stages.prepare!.params!['params.yaml']!['train.big']).toBe(12345678901234567890123n);
    expect(loadConfig((p) => (p === '.ml/config.yaml' ? CONFIG_YAML : null)).jobs).toBe(4);
  });

  it(`ml.yaml: ${RUNS} mutations load or give located problems`, () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const text = mutate(ML_YAML, prng(seed));
      check('ml.yaml', seed, text, () => {
        const r = parsePipeline(text, (p) => (p === 'params.yaml' ? PARAMS_YAML : null));
        if (!r.pipeline) {
          expectLocated(r.problems);
          // The message is built (and capped) without throwing.
          expect(new InvalidPipelineError(r.problems).message.split('\n').length).toBeLessThanOrEqual(12);
        } else for (const stage of r.pipeline.stages) serializeStageKey(stageKeyRecord(stage, depHashes(stage.deps)));
      });
    }
  });

  it(`params.yaml: ${RUNS} mutations load or give located problems`, () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const text = mutate(PARAMS_YAML, prng(1000 + seed));
      check('params.yaml', seed, text, () => {
        const r = parsePipeline(ML_YAML, (p) => (p === 'params.yaml' ? text : null));
        if (!r.pipeline) {
          expectLocated(r.problems);
          expect(new InvalidPipelineError(r.problems).message.split('\n').length).toBeLessThanOrEqual(12);
        } else for (const stage of r.pipeline.stages) serializeStageKey(stageKeyRecord(stage, depHashes(stage.deps)));
      });
    }
  });

  it(`ml.lock.json: ${RUNS} mutations read or give a located error`, () => {
    let located = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const text = mutate(LOCK_JSON, prng(2000 + seed));
      check('ml.lock.json', seed, text, () => {
        try {
          // What reads back must write again (the one serializer takes every value the reader gives).
          serializeLockfile(parseLockfile(text));
        } catch (err) {
          expect(err).toBeInstanceOf(LockfileCorruptError);
          const data = (err as LockfileCorruptError).data;
          expect(data.line, (err as Error).message).toBeGreaterThanOrEqual(1);
          expect(data.col, (err as Error).message).toBeGreaterThanOrEqual(1);
          expect((err as Error).message).toMatch(/^ml\.lock\.json:\d+:\d+: /);
          located++;
          throw err;
        }
      });
    }
    expect(located).toBeGreaterThan(RUNS / 2);
  });

  it(`.ml/config.yaml: ${RUNS / 2} mutations load or give located problems`, () => {
    for (let seed = 1; seed <= RUNS / 2; seed++) {
      const text = mutate(CONFIG_YAML, prng(3000 + seed));
      check('config', seed, text, () => {
        try {
          loadConfig((p) => (p === '.ml/config.yaml' ? text : null));
        } catch (err) {
          if (err instanceof GitmlError && 'problems' in err) expectLocated(err.problems as Problem[]);
          throw err;
        }
      });
    }
  });
});
