import { resolve } from 'node:path';
import { Cache } from '../cache/cache.js';
import { RunCache } from '../cache/run-cache.js';
import { GitmlError } from '../errors.js';
import { hashBytes, loadBlake3 } from '../hash/blake3.js';
import { lockKeyRecord, serializeStageKey } from '../plan/stage-key.js';
import { declaredPlots } from '../plots/select.js';
import { resolveFields } from '../plots/spec.js';
import { InvalidPlanFileError } from '../report/errors.js';
import { buildReport, type ReportModel } from '../report/model.js';
import { parsePlanFile, type PlanStage } from '../report/plan-file.js';
import { plotView, type PlotView } from '../report/plots.js';
import { stageRows } from '../report/stages.js';
import { readReproState } from '../run/repro-state.js';
import { readTextOrNull } from '../util/fs.js';
import { openPair, type OpenPair } from './diff.js';
import { readPlotSeries } from './plots.js';

export interface ReportOptions {
  /** Directory inside the workspace. @default process.cwd() */
  cwd?: string;
  /** The revision the head is compared with. @default 'HEAD' */
  base?: string;
  /** The revision reported on. @default 'workspace' */
  head?: string;
  /**
   * A file holding what `gitml plan --json` printed (relative to `cwd`): which stages ran and which were restored.
   * Without it, the last local `gitml repro` says (`.ml/state/repro.json`).
   */
  plan?: string;
}

/**
 * `gitml report`: the pull-request report's view model: gates, metrics, changed params, stages with how they came to
 * be and how long they took, changed outputs, and plots, comparing `head` with `base`.
 */
export async function report(opts: ReportOptions = {}): Promise<ReportModel> {
  const cwd = opts.cwd ?? process.cwd();
  const plan = opts.plan === undefined ? undefined : readPlan(resolve(cwd, opts.plan), opts.plan);
  const pair = await openPair({ cwd, a: opts.base, b: opts.head });
  const { root } = pair;
  const [base, head] = pair.states;

  const make = await loadBlake3();
  const runs = new RunCache(root, new Cache(root));
  const stages = stageRows({
    base: base.lock,
    head: head.lock,
    order: head.pipeline?.stages.map((s) => s.name) ?? [],
    keyOf: (lock) => hashBytes(Buffer.from(serializeStageKey(lockKeyRecord(lock))), make),
    record: (key) => runs.peek(key),
    plan,
    state: plan ? undefined : readReproState(root),
  });
  const plots = await plotViews(pair);
  return buildReport({ base, head, stages, plots });
}

function readPlan(abs: string, given: string): PlanStage[] {
  const text = readTextOrNull(abs);
  if (text === null) throw new InvalidPlanFileError([{ file: given, path: '', message: 'no such file' }]);
  return parsePlanFile(text, given);
}

/** Every plots file either side declares, read at both sides. A file that cannot be drawn gets a note saying why. */
async function plotViews({ states, snapshots, readObject }: OpenPair): Promise<PlotView[]> {
  const [base, head] = states;
  const targets = declaredPlots([base.pipeline, head.pipeline]);
  const views: PlotView[] = [];
  for (const target of targets) {
    const { series, notes } = await readPlotSeries(snapshots, states, target, readObject);
    const input = { path: target.path, options: target.options, series, notes };
    let fields;
    try {
      fields = series.length ? resolveFields(input) : undefined;
    } catch (err) {
      if (!(err instanceof GitmlError)) throw err;
      notes.push(err.message);
    }
    const stage = target.stage ? { stage: target.stage } : {};
    views.push(
      fields
        ? plotView({ input, fields, ...stage, base: base.rev.name, head: head.rev.name })
        : { path: target.path, title: target.options.title ?? target.path, template: target.options.template, ...stage, notes },
    );
  }
  return views;
}
