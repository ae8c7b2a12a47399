import { describe, expect, it } from 'vitest';
import type { Problem } from '../../core/errors.js';
import { parsePipeline } from '../../core/pipeline/parse.js';
import type { Stage } from '../../core/pipeline/types.js';

const PARAMS = ['train:', '  lr: 0.1', '  epochs: 3', 'models: [resnet, vit]', ''].join('\n');

/** ml.yaml text from lines, so that line numbers in assertions are easy to count (first line is 1). */
const yml = (...lines: string[]): string => `${lines.join('\n')}\n`;

/** Parses `text` with `files` (workspace path -> content) as the only readable files; params.yaml by default. */
function parse(text: string, files: Record<string, string> = { 'params.yaml': PARAMS }) {
  return parsePipeline(text, (path) => (Object.hasOwn(files, path) ? files[path]! : null));
}

function stagesOf(text: string, files?: Record<string, string>): Stage[] {
  const r = parse(text, files);
  expect(r.problems).toEqual([]);
  return r.pipeline!.stages;
}

function stageOf(text: string, files?: Record<string, string>): Stage {
  const all = stagesOf(text, files);
  expect(all).toHaveLength(1);
  return all[0]!;
}

function problemsOf(text: string, files?: Record<string, string>): Problem[] {
  const r = parse(text, files);
  expect(r.pipeline).toBeUndefined();
  expect(r.problems.length).toBeGreaterThan(0);
  return r.problems;
}

/** The one problem reported for `text`. */
function problemOf(text: string, files?: Record<string, string>): Problem {
  const all = problemsOf(text, files);
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe('parsePipeline: valid pipelines', () => {
  it('turns a minimal stage into a Stage with defaults', () => {
    const s = stageOf(yml('stages:', '  train:', '    cmd: python train.py'));
    expect(s).toEqual({
      name: 'train',
      cmd: ['python train.py'],
      wdir: '.',
      env: {},
      deps: [],
      params: {},
      outs: [],
      frozen: false,
      alwaysChanged: false,
      resources: { gpu: 0, labels: [] },
      origin: { line: 2, col: 3 },
    });
  });

  it('keeps a list of commands in order', () => {
    const s = stageOf(yml('stages:', '  train:', '    cmd:', '      - make data', '      - make model'));
    expect(s.cmd).toEqual(['make data', 'make model']);
  });

  it('keeps stages in declaration order, not alphabetical', () => {
    const all = stagesOf(yml('stages:', '  zeta:', '    cmd: z', '  alpha:', '    cmd: a', '  mid:', '    cmd: m'));
    expect(all.map((s) => s.name)).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('reads desc, frozen, always_changed and resources', () => {
    const s = stageOf(
      yml(
        'stages:',
        '  train:',
        '    cmd: x',
        '    desc: Fit it',
        '    frozen: true',
        '    always_changed: true',
        '    resources: {gpu: 2, labels: [a100]}',
      ),
    );
    expect(s.desc).toBe('Fit it');
    expect(s.frozen).toBe(true);
    expect(s.alwaysChanged).toBe(true);
    expect(s.resources).toEqual({ gpu: 2, labels: ['a100'] });
  });

  it('sorts and normalizes deps, dropping duplicates', () => {
    const s = stageOf(yml('stages:', '  train:', '    cmd: x', '    deps: [src/b.py, ./src/a.py, data/../src/b.py, data/]'));
    expect(s.deps).toEqual(['data', 'src/a.py', 'src/b.py']);
  });

  it('gives outs cache: true and metrics and plots cache: false unless told otherwise', () => {
    const s = stageOf(
      yml(
        'stages:',
        '  train:',
        '    cmd: x',
        '    outs: [model.pkl, {tmp/scratch: {cache: false, persist: true}}]',
        '    metrics: [metrics.json, {cached-metrics.json: {cache: true}}]',
        '    plots: [roc.csv]',
      ),
    );
    const base = { nondeterministic: false };
    expect(s.outs).toEqual([
      { path: 'model.pkl', kind: 'out', cache: true, persist: false, ...base },
      { path: 'tmp/scratch', kind: 'out', cache: false, persist: true, ...base },
      { path: 'metrics.json', kind: 'metric', cache: false, persist: false, ...base },
      { path: 'cached-metrics.json', kind: 'metric', cache: true, persist: false, ...base },
      { path: 'roc.csv', kind: 'plot', cache: false, persist: false, ...base, plot: { template: 'line' } },
    ]);
  });

  it('reads the `{path: PATH, ...options}` form with metric directions, precision, plot templates and nondeterminism', () => {
    const s = stageOf(
      yml(
        'stages:',
        '  train:',
        '    cmd: x',
        '    outs: [{path: model.bin, nondeterministic: true}]',
        '    metrics:',
        '      - path: eval.json',
        '        better: {acc: higher, loss: lower}',
        '        precision: 3',
        '    plots:',
        '      - {path: roc.json, template: roc, title: ROC, x_label: FPR}',
        '      - {loss.csv: {template: line, x: step, y: [train, val]}}',
      ),
    );
    expect(s.outs).toEqual([
      { path: 'model.bin', kind: 'out', cache: true, persist: false, nondeterministic: true },
      {
        path: 'eval.json',
        kind: 'metric',
        cache: false,
        persist: false,
        nondeterministic: false,
        better: { acc: 'higher', loss: 'lower' },
        precision: 3,
      },
      {
        path: 'roc.json',
        kind: 'plot',
        cache: false,
        persist: false,
        nondeterministic: false,
        plot: { template: 'roc', title: 'ROC', xLabel: 'FPR' },
      },
      {
        path: 'loss.csv',
        kind: 'plot',
        cache: false,
        persist: false,
        nondeterministic: false,
        plot: { template: 'line', x: 'step', y: ['train', 'val'] },
      },
    ]);
  });

  it('resolves every path against wdir, giving workspace-relative paths', () => {
    const s = stageOf(
      yml(
        'stages:',
        '  train:',
        '    cmd: x',
        '    wdir: models/cnn',
        '    deps: [train.py, ../../data/train.csv]',
        '    outs: [out/model.pkl]',
        '    metrics: [../scores.json]',
      ),
    );
    expect(s.wdir).toBe('models/cnn');
    expect(s.deps).toEqual(['data/train.csv', 'models/cnn/train.py']);
    expect(s.outs.map((o) => o.path)).toEqual(['models/cnn/out/model.pkl', 'models/scores.json']);
  });

  it('turns env values into strings', () => {
    const s = stageOf(yml('stages:', '  train:', '    cmd: x', '    env: {SEED: 42, DEBUG: true, MODE: fast}'));
    expect(s.env).toEqual({ SEED: '42', DEBUG: 'true', MODE: 'fast' });
  });

  describe('params', () => {
    const files = {
      'params.yaml': PARAMS,
      'conf/model.yaml': ['depth: 4', 'opt:', '  name: sgd', '  momentum: 0.9', ''].join('\n'),
      'conf/extra.json': '{"a": {"b": 1, "c": [1, 2]}, "d": "x"}',
    };

    it('records a bare key from params.yaml with its value', () => {
      const s = stageOf(yml('stages:', '  train:', '    cmd: x', '    params: [train.lr, train.epochs]'), files);
      expect(s.params).toEqual({ 'params.yaml': { 'train.lr': 0.1, 'train.epochs': 3 } });
    });

    it('records a whole subtree under its dotted key', () => {
      const s = stageOf(yml('stages:', '  train:', '    cmd: x', '    params: [train]'), files);
      expect(s.params).toEqual({ 'params.yaml': { train: { lr: 0.1, epochs: 3 } } });
    });

    it('reads named keys of another file', () => {
      const s = stageOf(yml('stages:', '  train:', '    cmd: x', '    params:', '      - conf/model.yaml: [depth, opt.momentum]'), files);
      expect(s.params).toEqual({ 'conf/model.yaml': { depth: 4, 'opt.momentum': 0.9 } });
    });

    it('flattens a whole file given with null into dotted keys', () => {
      const s = stageOf(yml('stages:', '  train:', '    cmd: x', '    params:', '      - conf/extra.json: null'), files);
      expect(s.params).toEqual({ 'conf/extra.json': { 'a.b': 1, 'a.c': [1, 2], d: 'x' } });
    });

    it('reads a bare key from the params.yaml in wdir', () => {
      const s = stageOf(yml('stages:', '  train:', '    cmd: x', '    wdir: sub', '    params: [train.lr]'), {
        ...files,
        'sub/params.yaml': 'train:\n  lr: 7\n',
      });
      expect(s.params).toEqual({ 'sub/params.yaml': { 'train.lr': 7 } });
    });

    it('tracks a params.yaml value used through ${...} as a param', () => {
      const s = stageOf(yml('stages:', '  train:', '    cmd: python train.py --lr ${train.lr}'), files);
      expect(s.cmd).toEqual(['python train.py --lr 0.1']);
      expect(s.params).toEqual({ 'params.yaml': { 'train.lr': 0.1 } });
    });

    it('does not track a value that a var shadows', () => {
      const s = stageOf(yml('vars:', '  - train: {lr: 5}', 'stages:', '  train:', '    cmd: python train.py --lr ${train.lr}'), files);
      expect(s.cmd).toEqual(['python train.py --lr 5']);
      expect(s.params).toEqual({});
    });
  });

  it('leaves an escaped \\${...} literal, even when the name is undefined', () => {
    const s = stageOf(yml('stages:', '  train:', '    cmd: echo \\${HOME} \\${train.lr}'));
    expect(s.cmd).toEqual(['echo ${HOME} ${train.lr}']);
    expect(s.params).toEqual({});
  });

  describe('foreach', () => {
    it('expands a list into name@item stages', () => {
      const all = stagesOf(
        yml(
          'stages:',
          '  train:',
          '    foreach: [cnn, rnn]',
          '    do:',
          '      cmd: python train.py ${item}',
          '      outs:',
          '        - models/${item}.pkl',
        ),
      );
      expect(all.map((s) => [s.name, s.cmd, s.outs[0]!.path])).toEqual([
        ['train@cnn', ['python train.py cnn'], 'models/cnn.pkl'],
        ['train@rnn', ['python train.py rnn'], 'models/rnn.pkl'],
      ]);
      expect(all[0]!.origin).toEqual({ line: 2, col: 3 });
    });

    it('names list items that are maps by their index', () => {
      const all = stagesOf(
        yml('stages:', '  train:', '    foreach:', '      - {x: 1}', '      - {x: 2}', '    do:', '      cmd: echo ${item.x}'),
      );
      expect(all.map((s) => [s.name, s.cmd])).toEqual([
        ['train@0', ['echo 1']],
        ['train@1', ['echo 2']],
      ]);
    });

    it('expands a map with ${key} and ${item.field}', () => {
      const all = stagesOf(
        yml(
          'stages:',
          '  train:',
          '    foreach:',
          '      small: {layers: 2}',
          '      large: {layers: 8}',
          '    do:',
          '      cmd: python train.py --name ${key} --layers ${item.layers}',
        ),
      );
      expect(all.map((s) => [s.name, s.cmd])).toEqual([
        ['train@small', ['python train.py --name small --layers 2']],
        ['train@large', ['python train.py --name large --layers 8']],
      ]);
    });

    it('expands over a list named by ${...} from vars', () => {
      const all = stagesOf(
        yml('vars:', '  - langs: [en, fr, de]', 'stages:', '  tok:', '    foreach: ${langs}', '    do:', '      cmd: tok ${item}'),
      );
      expect(all.map((s) => s.name)).toEqual(['tok@en', 'tok@fr', 'tok@de']);
      expect(all[2]!.cmd).toEqual(['tok de']);
    });

    it('expands over a list named by ${...} from params.yaml', () => {
      const all = stagesOf(yml('stages:', '  train:', '    foreach: ${models}', '    do:', '      cmd: train ${item}'));
      expect(all.map((s) => s.name)).toEqual(['train@resnet', 'train@vit']);
      // The list itself is a parameter of every expanded stage: adding a model changes them.
      expect(all[0]!.params).toEqual({ 'params.yaml': { models: ['resnet', 'vit'] } });
    });

    it('tracks the params list behind a matrix dimension', () => {
      const all = stagesOf(yml('stages:', '  train:', '    matrix:', '      m: ${models}', '    cmd: train ${item.m}'));
      expect(all[1]!.params).toEqual({ 'params.yaml': { models: ['resnet', 'vit'] } });
    });

    it('indexes into a params list and tracks the list', () => {
      const s = stageOf(yml('stages:', '  first:', '    cmd: echo ${models[0]}'));
      expect(s.cmd).toEqual(['echo resnet']);
      expect(s.params).toEqual({ 'params.yaml': { models: ['resnet', 'vit'] } });
    });
  });

  describe('matrix', () => {
    it('makes one stage per combination, named by its values', () => {
      const all = stagesOf(
        yml(
          'stages:',
          '  train:',
          '    matrix:',
          '      model: [cnn, rnn]',
          '      lr: [0.1, 0.01]',
          '    cmd: train --model ${item.model} --lr ${item.lr}',
        ),
      );
      expect(all.map((s) => s.name)).toEqual(['train@cnn-0.1', 'train@cnn-0.01', 'train@rnn-0.1', 'train@rnn-0.01']);
      expect(all[1]!.cmd).toEqual(['train --model cnn --lr 0.01']);
    });

    it('reads a dimension from ${...}', () => {
      const all = stagesOf(
        yml('vars:', '  - sizes: [s, m]', 'stages:', '  train:', '    matrix:', '      size: ${sizes}', '    cmd: train ${item.size}'),
      );
      expect(all.map((s) => [s.name, s.cmd])).toEqual([
        ['train@s', ['train s']],
        ['train@m', ['train m']],
      ]);
    });
  });

  describe('vars', () => {
    const files = { 'params.yaml': PARAMS, 'conf/vars.yaml': ['size: 5', 'data:', '  root: /mnt/data', 'other: 9', ''].join('\n') };

    it('uses inline vars', () => {
      const s = stageOf(
        yml(
          'vars:',
          '  - {seed: 7, out: models}',
          'stages:',
          '  train:',
          '    cmd: train --seed ${seed}',
          '    outs:',
          '      - ${out}/m.pkl',
        ),
        files,
      );
      expect(s.cmd).toEqual(['train --seed 7']);
      expect(s.outs[0]!.path).toBe('models/m.pkl');
      expect(s.params).toEqual({});
    });

    it('loads a whole vars file', () => {
      const s = stageOf(yml('vars:', '  - conf/vars.yaml', 'stages:', '  train:', '    cmd: train ${size} ${data.root} ${other}'), files);
      expect(s.cmd).toEqual(['train 5 /mnt/data 9']);
    });

    it('loads only the named keys with file:key', () => {
      const ok = stageOf(yml('vars:', '  - conf/vars.yaml:size', 'stages:', '  train:', '    cmd: train ${size}'), files);
      expect(ok.cmd).toEqual(['train 5']);
      const p = problemOf(yml('vars:', '  - conf/vars.yaml:size', 'stages:', '  train:', '    cmd: train ${other}'), files);
      expect(p).toMatchObject({
        line: 5,
        col: 10,
        path: 'stages.train.cmd',
        message: '${other} is not defined in vars, params or the loop item',
      });
    });

    it('imports only the named nested key from a vars file', () => {
      const nested = { ...files, 'conf/nested.yaml': ['net:', '  x: 1', '  y: 2', ''].join('\n') };
      const ok = stageOf(yml('vars:', '  - conf/nested.yaml:net.x', 'stages:', '  train:', '    cmd: train ${net.x}'), nested);
      expect(ok.cmd).toEqual(['train 1']);
      const p = problemOf(yml('vars:', '  - conf/nested.yaml:net.x', 'stages:', '  train:', '    cmd: train ${net.y}'), nested);
      expect(p.message).toBe('${net.y} is not defined in vars, params or the loop item');
    });

    it('reports a key a vars file lacks', () => {
      const p = problemOf(yml('vars:', '  - conf/vars.yaml:nope', 'stages:', '  train:', '    cmd: x'), files);
      expect(p).toEqual({ file: 'ml.yaml', line: 2, col: 5, path: 'vars[0]', message: 'conf/vars.yaml has no key `nope`' });
    });

    it('reports a var defined twice', () => {
      const p = problemOf(yml('vars:', '  - conf/vars.yaml', '  - {size: 6}', 'stages:', '  train:', '    cmd: x'), files);
      expect(p).toMatchObject({ line: 3, col: 5, path: 'vars[1]', message: 'var `size` is defined twice (conf/vars.yaml and vars[1])' });
    });

    it('reports a missing vars file', () => {
      const p = problemOf(yml('vars:', '  - conf/none.yaml', 'stages:', '  train:', '    cmd: x'), files);
      expect(p).toMatchObject({ line: 2, col: 5, path: 'vars[0]', message: 'params file `conf/none.yaml` does not exist' });
    });
  });
});

describe('parsePipeline: problems', () => {
  it('reports an unknown key at the key, with a did-you-mean', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    depz: [a.csv]'));
    expect(p).toEqual({ file: 'ml.yaml', line: 4, col: 5, path: 'stages.train.depz', message: 'unknown key `depz`; did you mean `deps`?' });
  });

  it('reports an unknown key inside a foreach do: block', () => {
    const p = problemOf(yml('stages:', '  train:', '    foreach: [a]', '    do:', '      cmd: x', '      outz: [y]'));
    expect(p).toMatchObject({ line: 6, col: 7, path: 'stages.train.do.outz', message: 'unknown key `outz`; did you mean `outs`?' });
  });

  it('reports a misspelled top-level key and the missing stages', () => {
    const all = problemsOf(yml('stage:', '  train:', '    cmd: x'));
    expect(all.map((p) => p.message)).toEqual(['missing `stages`', 'unknown key `stage`; did you mean `stages`?']);
    expect(all[1]).toMatchObject({ line: 1, col: 1, path: 'stage' });
  });

  it('reports a wrong metric direction, an unknown output option and options on the wrong kind of output', () => {
    expect(problemOf(yml('stages:', '  t:', '    cmd: x', '    metrics: [{path: m.json, better: {acc: up}}]'))).toMatchObject({
      line: 4,
      path: 'stages.t.metrics[0].better.acc',
      message: 'must be one of higher, lower, got the string "up"',
    });
    expect(problemOf(yml('stages:', '  t:', '    cmd: x', '    metrics: [{path: m.json, colour: red}]')).message).toMatch(
      /^unknown key `colour`/,
    );
    const wrong = problemsOf(
      yml('stages:', '  t:', '    cmd: x', '    outs: [{path: model, precision: 3}]', '    metrics: [{path: m.json, template: roc}]'),
    );
    expect(wrong.map((p) => [p.path, p.message])).toEqual([
      ['stages.t.outs[0].precision', '`precision` applies to metrics only; declare `model` under `metrics`'],
      ['stages.t.metrics[0].template', '`template` applies to plots only; declare `m.json` under `plots`'],
    ]);
  });

  it('reports a value of the wrong type, saying what it got', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    deps: data.csv'));
    expect(p).toEqual({
      file: 'ml.yaml',
      line: 4,
      col: 11,
      path: 'stages.train.deps',
      message: 'expected a list, got the string "data.csv"',
    });
  });

  it('reports a cmd that is neither a string nor a list', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: 42'));
    expect(p).toMatchObject({
      line: 3,
      col: 10,
      path: 'stages.train.cmd',
      message: 'expected a string or a list of strings, got a number (42)',
    });
  });

  it('says an empty foreach, matrix dimension or cmd list is empty rather than of the wrong type', () => {
    const ps = problemsOf(
      yml(
        'stages:',
        '  a:',
        '    foreach: []',
        '    do:',
        '      cmd: x',
        '  b:',
        '    matrix: {d: []}',
        '    cmd: x',
        '  c:',
        '    cmd: []',
      ),
    );
    expect(ps.map((p) => [p.path, p.message])).toEqual([
      ['stages.a.foreach', 'must not be empty'],
      ['stages.b.matrix.d', 'must not be empty'],
      ['stages.c.cmd', 'must not be empty'],
    ]);
  });

  it('reports a missing cmd at the stage', () => {
    const p = problemOf(yml('stages:', '  train:', '    deps: [a]'));
    expect(p).toEqual({ file: 'ml.yaml', line: 3, col: 5, path: 'stages.train', message: 'missing `cmd`' });
  });

  it('reports a foreach without do:', () => {
    const p = problemOf(yml('stages:', '  train:', '    foreach: [a, b]'));
    expect(p).toMatchObject({
      line: 3,
      col: 5,
      path: 'stages.train',
      message: 'a `foreach` stage needs a `do:` block holding the stage to repeat',
    });
  });

  it('reports a foreach over a scalar', () => {
    const p = problemOf(yml('stages:', '  train:', '    foreach: ${train.lr}', '    do:', '      cmd: x'));
    expect(p).toMatchObject({
      line: 3,
      col: 14,
      path: 'stages.train.foreach',
      message: 'must name a list or a map, but `${train.lr}` is 0.1',
    });
  });

  it('reports an undefined ${var} where it is used', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    deps:', '      - data/${split}.csv'));
    expect(p).toEqual({
      file: 'ml.yaml',
      line: 5,
      col: 9,
      path: 'stages.train.deps[0]',
      message: '${split} is not defined in vars, params or the loop item',
    });
  });

  it('reports ${item} outside a foreach', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: echo ${item}'));
    expect(p).toMatchObject({ line: 3, col: 10, message: '${item} is not defined in vars, params or the loop item' });
  });

  it('reports a list placed into text', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: echo ${models}'));
    expect(p).toMatchObject({
      line: 3,
      col: 10,
      path: 'stages.train.cmd',
      message: '${models} is a list, but only strings, numbers and booleans can be placed in text',
    });
  });

  it('reports a stage name given twice as a duplicate YAML key', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '  train:', '    cmd: y'));
    expect(p).toEqual({
      file: 'ml.yaml',
      line: 4,
      col: 3,
      path: '',
      message: 'duplicate key `train` (a stage or key may appear only once)',
    });
  });

  it('reports a foreach that expands to the same name twice', () => {
    const p = problemOf(yml('stages:', '  train:', '    foreach: [cnn, cnn]', '    do:', '      cmd: x'));
    expect(p).toEqual({
      file: 'ml.yaml',
      line: 2,
      col: 3,
      path: 'stages.train',
      message: 'duplicate stage name `train@cnn` (also produced by stages.train)',
    });
  });

  it('rejects an explicit stage name with @, so it cannot collide with an expansion', () => {
    const p = problemOf(yml('stages:', '  train:', '    foreach: [cnn]', '    do:', '      cmd: x', '  train@cnn:', '    cmd: y'));
    expect(p).toEqual({
      file: 'ml.yaml',
      line: 6,
      col: 3,
      path: 'stages.train@cnn',
      message: 'invalid stage name `train@cnn`: use letters, digits, `_`, `.` and `-`',
    });
  });

  it('reports a path climbing out of the workspace', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    outs: [../model.pkl]'));
    expect(p).toEqual({
      file: 'ml.yaml',
      line: 4,
      col: 12,
      path: 'stages.train.outs[0]',
      message: '`../model.pkl` leaves the workspace; paths must be relative and stay inside it',
    });
  });

  it('reports a path climbing out through wdir', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    wdir: sub', '    deps:', '      - ../../x.csv'));
    expect(p).toMatchObject({
      line: 6,
      col: 9,
      path: 'stages.train.deps[0]',
      message: '`../../x.csv` leaves the workspace; paths must be relative and stay inside it',
    });
  });

  it('reports an absolute path', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    deps: [/etc/passwd]'));
    expect(p).toMatchObject({
      line: 4,
      col: 12,
      path: 'stages.train.deps[0]',
      message: '`/etc/passwd` leaves the workspace; paths must be relative and stay inside it',
    });
  });

  it('reports a wdir outside the workspace', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    wdir: ..'));
    expect(p).toMatchObject({ line: 4, col: 11, path: 'stages.train.wdir', message: '`..` leaves the workspace' });
  });

  it('reports a path naming the whole workspace', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    outs: [.]'));
    expect(p).toMatchObject({
      line: 4,
      col: 12,
      path: 'stages.train.outs[0]',
      message: '`.` is the whole workspace; name a file or directory inside it',
    });
  });

  it('reports an output declared twice in one stage', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    outs: [m.pkl]', '    metrics: [./m.pkl]'));
    expect(p).toMatchObject({ line: 5, col: 15, path: 'stages.train.metrics[0]', message: '`m.pkl` is declared twice in this stage' });
  });

  it('reports a params key that the file lacks', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    params: [train.lr, train.momentum]'));
    expect(p).toEqual({
      file: 'ml.yaml',
      line: 4,
      col: 24,
      path: 'stages.train.params[1]',
      message: 'params.yaml has no key `train.momentum`',
    });
  });

  it('reports a params file that does not exist, once', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    params:', '      - conf/model.yaml: [depth, width]'));
    expect(p).toMatchObject({
      line: 5,
      col: 26,
      path: 'stages.train.params[0].conf/model.yaml',
      message: 'params file `conf/model.yaml` does not exist',
    });
  });

  it('reports a missing params.yaml when a bare key is used', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    params: [train.lr]'), {});
    expect(p).toMatchObject({ line: 4, col: 14, path: 'stages.train.params[0]', message: 'params file `params.yaml` does not exist' });
  });

  it('reports invalid YAML in a params file in that file', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    params: [train.lr]'), { 'params.yaml': 'train:\n  lr: [1, 2\n' });
    expect(p.file).toBe('params.yaml');
    expect(p.message).toMatch(/^invalid YAML: /);
  });

  it('puts an unreadable params file first, before the ${...} errors it causes further up ml.yaml', () => {
    const params = `${'# comment\n'.repeat(20)}train:\n  lr: *lr\n`;
    const all = problemsOf(yml('stages:', '  train:', '    cmd: python train.py --lr ${train.lr}'), { 'params.yaml': params });
    expect(all.map((p) => `${p.file}:${p.line}`)).toEqual(['params.yaml:22', 'ml.yaml:3']);
  });

  it('reports invalid YAML with its position', () => {
    const p = problemOf(yml('stages:', '  train:', '    cmd: x', '    deps: [a, b'));
    expect(p).toMatchObject({ file: 'ml.yaml', path: '' });
    expect(p.line).toBeGreaterThanOrEqual(4);
    expect(p.message).toMatch(/^invalid YAML: /);
  });

  it('explains that ${...} inside a flow list needs quotes', () => {
    const all = problemsOf(yml('stages:', '  train:', '    cmd: x', '    outs: [models/${name}.pkl]'));
    const p = all[0]!;
    expect(p).toMatchObject({ file: 'ml.yaml', line: 4, path: '' });
    expect(p.message).toMatch(/^invalid YAML: /);
    expect(p.message).toContain('a `${...}` inside `[...]` must be quoted or written as a block list (`- item`)');
  });

  it('gives no ${...} hint for other YAML errors', () => {
    expect(problemOf(yml('stages:', '  train:', '    cmd: x', '    deps: [a, b')).message).not.toContain('${');
  });

  it('reports an empty file', () => {
    for (const text of ['', '\n', '# only a comment\n']) {
      expect(problemOf(text)).toEqual({
        file: 'ml.yaml',
        line: 1,
        col: 1,
        path: '',
        message: 'the file is empty; it needs a `stages:` map',
      });
    }
  });

  it('uses the file name it is given in problems', () => {
    const r = parsePipeline(yml('stages:', '  train:', '    depz: [a]', '    cmd: x'), () => null, 'pipelines/ml.yaml');
    expect(r.problems.map((p) => p.file)).toEqual(['pipelines/ml.yaml']);
  });

  it('reports every problem in the file at once, sorted by line', () => {
    const text = yml(
      'stages:', //               1
      '  prepare:', //            2
      '    cmd: echo ${nope}', // 3  undefined var (found during expansion)
      '  train:', //              4
      '    cmd: x', //            5
      '    depz: [a]', //         6  unknown key (found by the schema check, first)
      '  evaluate:', //           7
      '    cmd: x', //            8
      '    outs: [../x]', //      9  outside the workspace
      '  report:', //            10
      '    deps: [a]', //         11 missing cmd
      '  publish:', //           12
      '    cmd: x', //            13
      '    params: [train.nope]', // 14 missing key
    );
    const all = problemsOf(text);
    expect(all.map((p) => [p.line, p.col, p.path])).toEqual([
      [3, 10, 'stages.prepare.cmd'],
      [6, 5, 'stages.train.depz'],
      [9, 12, 'stages.evaluate.outs[0]'],
      [11, 5, 'stages.report'],
      [14, 14, 'stages.publish.params[0]'],
    ]);
    expect(all.map((p) => p.message)).toEqual([
      '${nope} is not defined in vars, params or the loop item',
      'unknown key `depz`; did you mean `deps`?',
      '`../x` leaves the workspace; paths must be relative and stay inside it',
      'missing `cmd`',
      'params.yaml has no key `train.nope`',
    ]);
  });
});
