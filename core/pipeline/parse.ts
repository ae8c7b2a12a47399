import type { Problem } from '../errors.js';
import { directionOf } from './direction.js';
import { compareStrings } from '../util/canonical.js';
import { reservedReason, workspacePath } from '../util/paths.js';
import { interpolate, InterpolationError, type Scopes } from './interpolate.js';
import { formatKeyPath, makeLocator, type KeyPath, type Locator } from './locate.js';
import { DEFAULT_PARAMS_FILE, flattenKeys, getKey, readParamsFile, setKey } from './params.js';
import { checkMlSchema } from './schema.js';
import { readYaml } from './yaml.js';
import { allUses, findStep, type StepDefinition } from '../steps/registry.js';
import { suggest } from '../util/suggest.js';
import type {
  GateSpec,
  MlYaml,
  Out,
  OutEntry,
  OutKind,
  OutOptions,
  Origin,
  ParamEntry,
  Pipeline,
  PlotOptions,
  ReadText,
  Stage,
  StageBody,
} from './types.js';

export const PIPELINE_FILE = 'ml.yaml';
export { DEFAULT_PARAMS_FILE };

export interface ParseResult {
  /** Present when there were no problems. */
  pipeline?: Pipeline;
  problems: Problem[];
}

/**
 * Parses, validates and expands an ml.yaml text into a typed `Pipeline`. Pure: params and vars files are read
 * through `readText`. Every problem found is returned, each with file, line and column.
 */
export function parsePipeline(text: string, readText: ReadText, file = PIPELINE_FILE): ParseResult {
  const read = readYaml(text, file);
  if (!read.ok) return { problems: read.problems };
  const problems: Problem[] = [];
  const locate = makeLocator(read.doc, read.lines);
  const raw = read.value;
  if (raw === null || raw === undefined) {
    return { problems: [{ file, line: 1, col: 1, path: '', message: 'the file is empty; it needs a `stages:` map' }] };
  }
  // Stages with schema problems are left out of expansion; the others are still checked so that every problem in
  // the file is reported in one go.
  const broken = new Set<string>();
  for (const issue of checkMlSchema(raw)) {
    problems.push({ file, ...locate(issue.path, { key: issue.key }), path: formatKeyPath(issue.path), message: issue.message });
    broken.add(issue.path[0] === 'stages' && issue.path.length > 1 ? String(issue.path[1]) : '*');
  }
  if (broken.has('*')) return { problems: sortProblems(problems) };

  const ml = raw as MlYaml;
  const ctx = new Context(file, locate, readText, problems);
  const scopes: Scopes = { local: {}, vars: ctx.loadVars(ml.vars ?? []), params: ctx.defaultParams() };

  const stages: Stage[] = [];
  const names = new Map<string, KeyPath>();
  for (const [name, entry] of Object.entries(ml.stages)) {
    if (broken.has(name)) continue;
    for (const instance of ctx.expand(name, entry, scopes)) {
      const previous = names.get(instance.name);
      if (previous) {
        ctx.problem(['stages', name], `duplicate stage name \`${instance.name}\` (also produced by ${formatKeyPath(previous)})`, true);
        continue;
      }
      names.set(instance.name, ['stages', name]);
      const stage = ctx.resolveStage(instance, { ...scopes, local: instance.local }, ['stages', name]);
      if (stage) stages.push(stage);
    }
  }
  // A stage with problems is left out, so its metrics files would look undeclared: gates then skip that check.
  const gates = ml.gates ? ctx.resolveGates(ml.gates, stages, problems.length > 0) : [];
  if (problems.length) return { problems: sortProblems(problems) };
  return { pipeline: { stages, ...(gates.length ? { gates } : {}) }, problems };
}

interface Instance {
  name: string;
  body: StageBody;
  bodyPath: KeyPath;
  local: Record<string, unknown>;
  /** Params keys the expansion itself read (`foreach: ${models}`); every instance depends on them. */
  paramRefs: string[];
}

class Context {
  private readonly paramFiles = new Map<string, Record<string, unknown> | undefined>();

  constructor(
    readonly file: string,
    readonly locate: Locator,
    readonly readText: ReadText,
    readonly problems: Problem[],
  ) {}

  problem(path: KeyPath, message: string, key = false): void {
    this.problems.push({ file: this.file, ...this.locate(path, { key }), path: formatKeyPath(path), message });
  }

  /** The default params file is also a scope for `${...}`; a missing one is simply empty. */
  defaultParams(): Record<string, unknown> {
    if (this.readText(DEFAULT_PARAMS_FILE) === null) return {};
    return this.params(DEFAULT_PARAMS_FILE, ['stages']) ?? {};
  }

  loadVars(entries: NonNullable<MlYaml['vars']>): Record<string, unknown> {
    const vars: Record<string, unknown> = {};
    const from = new Map<string, string>();
    entries.forEach((entry, i) => {
      let values: Record<string, unknown>;
      let source: string;
      if (typeof entry === 'string') {
        const [path, keys] = entry.split(':', 2) as [string, string | undefined];
        const data = this.params(path, ['vars', i]);
        if (!data) return;
        source = path;
        if (keys === undefined) values = data;
        else {
          values = {};
          for (const key of keys
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean)) {
            const hit = getKey(data, key);
            if (!hit.found) this.problem(['vars', i], `${path} has no key \`${key}\``);
            else setKey(values, key, hit.value);
          }
        }
      } else {
        values = entry;
        source = `vars[${i}]`;
      }
      for (const [k, v] of Object.entries(values)) {
        if (from.has(k)) this.problem(['vars', i], `var \`${k}\` is defined twice (${from.get(k)} and ${source})`);
        from.set(k, source);
        vars[k] = v;
      }
    });
    return vars;
  }

  params(path: string, where: KeyPath): Record<string, unknown> | undefined {
    if (this.paramFiles.has(path)) return this.paramFiles.get(path);
    const parsed = readParamsFile(path, this.readText);
    if ('problem' in parsed) {
      if (parsed.problem.line !== undefined) this.problems.push(parsed.problem);
      else this.problem(where, parsed.problem.message);
      this.paramFiles.set(path, undefined);
      return undefined;
    }
    this.paramFiles.set(path, parsed.value);
    return parsed.value;
  }

  expand(name: string, entry: MlYaml['stages'][string], scopes: Scopes): Instance[] {
    const path: KeyPath = ['stages', name];
    const paramRefs: string[] = [];
    if (entry.foreach !== undefined) {
      let items: unknown = entry.foreach;
      if (typeof items === 'string') {
        items = this.interp(items, [...path, 'foreach'], scopes, paramRefs, true);
        if (items === undefined) return [];
        if (items === null || typeof items !== 'object') {
          this.problem([...path, 'foreach'], `must name a list or a map, but \`${entry.foreach as string}\` is ${String(items)}`);
          return [];
        }
      }
      const body = entry.do!;
      const bodyPath = [...path, 'do'];
      if (Array.isArray(items)) {
        return items.map((item, i) => ({
          name: `${name}@${isScalar(item) ? String(item) : i}`,
          body,
          bodyPath,
          local: { item },
          paramRefs,
        }));
      }
      return Object.entries(items as Record<string, unknown>).map(([key, item]) => ({
        name: `${name}@${key}`,
        body,
        bodyPath,
        local: { key, item },
        paramRefs,
      }));
    }

    const { foreach: _f, do: _d, matrix, ...body } = entry;
    if (!matrix) return [{ name, body: body as StageBody, bodyPath: path, local: {}, paramRefs }];

    let combos: { parts: string[]; item: Record<string, unknown> }[] = [{ parts: [], item: {} }];
    for (const [dim, raw] of Object.entries(matrix)) {
      let values: unknown = raw;
      if (typeof raw === 'string') values = this.interp(raw, [...path, 'matrix', dim], scopes, paramRefs, true);
      if (!Array.isArray(values) || values.length === 0) {
        if (values !== undefined) this.problem([...path, 'matrix', dim], 'must be a non-empty list');
        return [];
      }
      const list = values;
      combos = combos.flatMap((c) =>
        list.map((v, i) => ({ parts: [...c.parts, isScalar(v) ? String(v) : String(i)], item: { ...c.item, [dim]: v } })),
      );
    }
    return combos.map((c) => ({
      name: `${name}@${c.parts.join('-')}`,
      body: body as StageBody,
      bodyPath: path,
      local: { item: c.item },
      paramRefs,
    }));
  }

  /** Interpolates one string; on failure records a problem and returns `undefined`. */
  interp(text: string, path: KeyPath, scopes: Scopes, paramRefs: string[], keepType = false): unknown {
    try {
      const r = interpolate(text, scopes, { keepType });
      paramRefs.push(...r.paramRefs);
      return r.value;
    } catch (err) {
      if (err instanceof InterpolationError) {
        this.problem(path, err.message);
        return undefined;
      }
      throw err;
    }
  }

  /** Interpolates every string (and map key) in a stage body. */
  interpDeep(value: unknown, path: KeyPath, scopes: Scopes, paramRefs: string[], keepType = false): unknown {
    if (typeof value === 'string') return this.interp(value, path, scopes, paramRefs, keepType) ?? value;
    if (Array.isArray(value)) return value.map((v, i) => this.interpDeep(v, [...path, i], scopes, paramRefs, keepType));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const key = String(this.interp(k, [...path, k], scopes, paramRefs) ?? k);
        out[key] = this.interpDeep(v, [...path, k], scopes, paramRefs, keepType);
      }
      return out;
    }
    return value;
  }

  /**
   * A `uses:` stage: checks the step's `with:` map and adds the paths it names to the stage's deps and outs, so they
   * are tracked without being written twice.
   */
  resolveStep(
    body: StageBody,
    bodyPath: KeyPath,
    toPath: (p: string, where: KeyPath) => string | undefined,
    toOut: (p: string, where: KeyPath) => string | undefined,
    deps: Set<string>,
    outs: Out[],
  ): StepDefinition | undefined {
    const step = findStep(body.uses!);
    if (!step) {
      const names = allUses();
      const guess = suggest(body.uses!, names);
      this.problem(
        [...bodyPath, 'uses'],
        `unknown step \`${body.uses}\`${guess ? `; did you mean \`${guess}\`?` : `; the steps are ${names.join(', ')}`}`,
      );
      return undefined;
    }
    if (body.cmd !== undefined) this.problem([...bodyPath, 'cmd'], 'a stage runs either `cmd` or a built-in step (`uses`), not both');
    const withMap = (body.with ?? {}) as Record<string, unknown>;
    const issues = step.check(withMap);
    for (const issue of issues) {
      const message = issue.message.startsWith('unknown key')
        ? `${issue.message.replace(/ \(allowed: .*\)$/, '')} (${step.name} accepts: ${step.keys.join(', ')})`
        : issue.message;
      this.problem([...bodyPath, 'with', ...issue.path], message, issue.key);
    }
    if (issues.length) return undefined;
    for (const input of step.inputs(withMap)) {
      const p = toPath(input.path, [...bodyPath, 'with', ...input.key]);
      if (p) deps.add(p);
    }
    for (const o of step.outputs(withMap)) {
      const p = toOut(o.path, [...bodyPath, 'with', ...o.key]);
      if (p)
        outs.push({
          path: p,
          kind: o.kind ?? 'out',
          cache: o.cache,
          persist: false,
          nondeterministic: o.nondeterministic ?? false,
          ...(o.better ? { better: o.better } : {}),
          ...(o.plot ? { plot: o.plot } : {}),
        });
    }
    return step;
  }

  /** Where each top-level `with:` key of a step stage is written; `''` is `with:` itself. */
  withOrigins(body: StageBody, bodyPath: KeyPath): Record<string, Origin> {
    return {
      '': this.locate([...bodyPath, 'with'], { key: true }),
      ...Object.fromEntries(Object.keys(body.with ?? {}).map((k) => [k, this.locate([...bodyPath, 'with', k], { key: true })])),
    };
  }

  /** Each gate must name a metrics file some stage declares; `max_drop` also needs that metric's `better:` direction. */
  resolveGates(entries: NonNullable<MlYaml['gates']>, stages: Stage[], incomplete: boolean): GateSpec[] {
    const metricOuts = new Map<string, Out>();
    for (const st of stages) for (const o of st.outs) if (o.kind === 'metric') metricOuts.set(o.path, o);
    const gates: GateSpec[] = [];
    entries.forEach((g, i) => {
      const where: KeyPath = ['gates', i];
      const colon = g.metric.indexOf(':');
      const rawFile = g.metric.slice(0, colon);
      const key = g.metric.slice(colon + 1);
      const file = workspacePath('.', rawFile);
      const out = file === undefined ? undefined : metricOuts.get(file);
      if (!out || file === undefined) {
        if (incomplete) return;
        const declared = [...metricOuts.keys()].sort(compareStrings);
        const guess = suggest(rawFile, declared);
        const hint = guess
          ? `; did you mean \`${guess}\`?`
          : declared.length
            ? ` (declared: ${declared.join(', ')})`
            : '; no stage declares `metrics:`';
        this.problem([...where, 'metric'], `\`${rawFile}\` is not a metrics file of any stage${hint}`);
        return;
      }
      if (g.min === undefined && g.max === undefined && g.max_drop === undefined) {
        this.problem(where, 'a gate needs at least one of `min`, `max` or `max_drop`');
        return;
      }
      if (g.min !== undefined && g.max !== undefined && g.min > g.max) {
        this.problem([...where, 'min'], `\`min\` (${g.min}) is above \`max\` (${g.max}); no value could pass`);
        return;
      }
      let maxDrop: GateSpec['maxDrop'];
      if (g.max_drop !== undefined) {
        if (!directionOf(out.better, key)) {
          this.problem(
            [...where, 'max_drop'],
            `\`max_drop\` needs to know which way \`${key}\` is better; declare \`better: {${key}: higher}\` (or \`lower\`) on \`${file}\` under the stage's \`metrics:\``,
          );
          return;
        }
        maxDrop =
          typeof g.max_drop === 'number'
            ? { amount: g.max_drop, relative: false }
            : { amount: Number(g.max_drop.slice(0, -1)) / 100, relative: true };
      }
      gates.push({
        metric: `${file}:${key}`,
        file,
        key,
        ...(g.min !== undefined ? { min: g.min } : {}),
        ...(g.max !== undefined ? { max: g.max } : {}),
        ...(maxDrop ? { maxDrop } : {}),
        origin: this.locate(where),
      });
    });
    return gates;
  }

  resolveStage(instance: Instance, scopes: Scopes, stagePath: KeyPath): Stage | undefined {
    const { name, body: rawBody, bodyPath } = instance;
    const before = this.problems.length;
    const paramRefs: string[] = [...instance.paramRefs];
    const { with: rawWith, ...rest } = rawBody as StageBody;
    const body = this.interpDeep(rest, bodyPath, scopes, paramRefs) as StageBody;
    // A step setting that is only `${...}` keeps the value's type (`seed: ${split.seed}` stays a number).
    if (rawWith !== undefined) body.with = this.interpDeep(rawWith, [...bodyPath, 'with'], scopes, paramRefs, true) as StageBody['with'];

    const wdir = workspacePath('.', body.wdir ?? '.');
    if (wdir === undefined) this.problem([...bodyPath, 'wdir'], `\`${body.wdir}\` leaves the workspace`);
    const base = wdir ?? '.';
    const toPath = (p: string, where: KeyPath): string | undefined => {
      const resolved = workspacePath(base, p);
      if (resolved === undefined) this.problem(where, `\`${p}\` leaves the workspace; paths must be relative and stay inside it`);
      else if (resolved === '.') this.problem(where, `\`${p}\` is the whole workspace; name a file or directory inside it`);
      return resolved === '.' ? undefined : resolved;
    };
    // Outputs are deleted and rewritten by repro, checkout and pull: git's and gitml's own files must never be one.
    const toOut = (p: string, where: KeyPath): string | undefined => {
      const resolved = toPath(p, where);
      const reason = resolved === undefined ? undefined : reservedReason(resolved);
      if (reason) this.problem(where, `\`${p}\` cannot be an output: ${reason}`);
      return reason ? undefined : resolved;
    };

    const deps = new Set<string>();
    (body.deps ?? []).forEach((d, i) => {
      const p = toPath(d, [...bodyPath, 'deps', i]);
      if (p) deps.add(p);
    });

    const outs: Out[] = [];
    const step = body.uses === undefined ? undefined : this.resolveStep(body, bodyPath, toPath, toOut, deps, outs);
    const outField = (field: 'outs' | 'metrics' | 'plots', kind: OutKind) => {
      (body[field] ?? []).forEach((entry: OutEntry, i) => {
        const where = [...bodyPath, field, i];
        const [raw, opts]: [string, OutOptions] =
          typeof entry === 'string'
            ? [entry, {}]
            : typeof entry.path === 'string'
              ? [entry.path, entry as OutOptions]
              : (Object.entries(entry)[0] as [string, OutOptions]);
        const p = toOut(raw, where);
        if (!p) return;
        if (outs.some((o) => o.path === p)) {
          this.problem(where, `\`${p}\` is declared twice in this stage`);
          return;
        }
        if (opts !== entry && opts.path !== undefined)
          this.problem([...where, raw, 'path'], 'write `{path: PATH, ...options}` or `{PATH: options}`, not both');
        for (const key of kind === 'metric' ? [] : (['better', 'precision'] as const))
          if (opts[key] !== undefined)
            this.problem([...where, key], `\`${key}\` applies to metrics only; declare \`${p}\` under \`metrics\``);
        for (const key of kind === 'plot' ? [] : (['template', 'x', 'y', 'title', 'x_label', 'y_label'] as const))
          if (opts[key] !== undefined) this.problem([...where, key], `\`${key}\` applies to plots only; declare \`${p}\` under \`plots\``);
        outs.push({
          path: p,
          kind,
          cache: opts.cache ?? kind === 'out',
          persist: opts.persist ?? false,
          nondeterministic: opts.nondeterministic ?? false,
          ...(opts.better ? { better: opts.better } : {}),
          ...(opts.precision !== undefined ? { precision: opts.precision } : {}),
          ...(kind === 'plot' ? { plot: plotOptions(opts) } : {}),
        });
      });
    };
    outField('outs', 'out');
    outField('metrics', 'metric');
    outField('plots', 'plot');

    const params: Record<string, Record<string, unknown>> = {};
    const addParam = (file: string, key: string | null, where: KeyPath) => {
      const data = this.params(file, where);
      if (!data) return;
      const slot = (params[file] ??= {});
      if (key === null) {
        Object.assign(slot, flattenKeys(data));
        return;
      }
      const hit = getKey(data, key);
      if (!hit.found) this.problem(where, `${file} has no key \`${key}\``);
      else slot[key] = hit.value;
    };
    (body.params ?? []).forEach((entry: ParamEntry, i) => {
      const where = [...bodyPath, 'params', i];
      if (typeof entry === 'string') {
        const file = workspacePath(base, DEFAULT_PARAMS_FILE) ?? DEFAULT_PARAMS_FILE;
        addParam(file, entry, where);
        return;
      }
      for (const [rawFile, keys] of Object.entries(entry)) {
        const file = toPath(rawFile, where);
        if (!file) continue;
        if (keys === null) addParam(file, null, [...where, rawFile]);
        else for (const key of keys) addParam(file, key, [...where, rawFile]);
      }
    });
    // A param read through ${...} is a dependency too, exactly as if it were listed under `params`.
    for (const key of paramRefs) addParam(DEFAULT_PARAMS_FILE, key, bodyPath);

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(body.env ?? {})) env[k] = String(v);

    if (this.problems.length > before) return undefined;
    return {
      name,
      cmd: step ? [`gitml step ${step.name}`] : typeof body.cmd === 'string' ? [body.cmd] : [...body.cmd!],
      ...(step ? { with: body.with ?? {}, withOrigins: this.withOrigins(body, bodyPath) } : {}),
      wdir: base,
      env,
      deps: [...deps].sort(compareStrings),
      params,
      outs,
      ...(body.desc !== undefined ? { desc: body.desc } : {}),
      frozen: body.frozen ?? false,
      alwaysChanged: body.always_changed ?? false,
      resources: { gpu: body.resources?.gpu ?? 0, labels: body.resources?.labels ?? [] },
      origin: this.locate(stagePath, { key: true }),
    };
  }
}

/**
 * File order: the order a user reads and fixes them in. A params or vars file that cannot be read comes first: the
 * `${...}` errors after it follow from it.
 */
function sortProblems(problems: Problem[]): Problem[] {
  const unreadable = (p: Problem) => (p.message.startsWith('invalid YAML') ? 0 : 1);
  return problems.sort((a, b) => unreadable(a) - unreadable(b) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

function isScalar(v: unknown): v is string | number | bigint | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean';
}

function plotOptions(opts: OutOptions): PlotOptions {
  const y = typeof opts.y === 'string' ? [opts.y] : opts.y;
  return {
    template: opts.template ?? 'line',
    ...(opts.x !== undefined ? { x: opts.x } : {}),
    ...(y !== undefined ? { y: [...y] } : {}),
    ...(opts.title !== undefined ? { title: opts.title } : {}),
    ...(opts.x_label !== undefined ? { xLabel: opts.x_label } : {}),
    ...(opts.y_label !== undefined ? { yLabel: opts.y_label } : {}),
  };
}
