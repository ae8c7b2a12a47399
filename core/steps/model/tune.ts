import { resolve } from 'node:path';
import type { TrainWith, TuneWith } from '../../generated/steps.js';
import type { StepContext } from '../registry.js';
import { StepError } from '../step-error.js';
import { loadPolars, readTable, writeJson, writeTable, writeText } from '../table.js';
import { DatasetError, toDataset, type TableDataset } from './dataset.js';
import { metricDirection } from './metrics/index.js';
import { Random } from './random.js';
import { tableColumns } from './table-columns.js';
import type { Task } from './types.js';
import { assignFolds } from './tune-folds.js';
import { runTrials } from './tune-pool.js';
import { bestResult, bestSettingsText, rankTrials, resultColumns, type TrialOutcome } from './tune-results.js';
import { gridTrials, randomTrials, searchKeys, type SearchSpace, type Trial } from './tune-search.js';
import { SCORES, scoreOf } from './tune-settings.js';
import type { TrialData } from './tune-trial.js';

const STEP = 'tune';
const DEFAULT_FOLDS = 5;
/** Keys of `with:` that are tune's own; every other one is a train setting fixed for every trial. */
const OWN = new Set(['input', 'label', 'features', 'task', 'model', 'search', 'method', 'trials', 'folds', 'score', 'seed', 'jobs', 'results', 'best', 'metrics']);

/**
 * `gitml/model/tune`: grid or seeded random search over train settings, each trial scored by k-fold cross-validation
 * (stratified for classification) on the training table. Writes the results table (a row per trial, in trial order),
 * the best trial's settings (YAML or JSON, for a later train stage's `vars:`), and optionally a metrics file. Trials
 * that fail or diverge are recorded with their reason; the stage fails only when every trial does.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as TuneWith;
  const seed = w.seed ?? 0;
  const folds = w.folds ?? DEFAULT_FOLDS;
  const table = await readTable(STEP, resolve(ctx.cwd, w.input), { shown: w.input });
  const task = resolveTask(w, (name) => (table.columns.includes(name) ? table.getColumn(name).nUnique() : undefined));
  const data = readDataset(tableColumns(table), w, task);
  const score = scoreOf(w);
  checkScore(score, task);
  const direction = metricDirection(score)!;
  const y = data.dataset.y!;
  if (y.length < folds) throw new StepError(STEP, `${w.input} has ${y.length} rows, too few for ${folds} folds`, { key: 'folds' });
  if (data.classes) {
    const counts = new Map<number, number>();
    for (const c of y) counts.set(c, (counts.get(c) ?? 0) + 1);
    const rare = data.classes.filter((_, i) => (counts.get(i) ?? 0) < folds);
    if (rare.length)
      throw new StepError(STEP, `class ${rare.map((c) => `\`${c}\` (${counts.get(data.classes!.indexOf(c)) ?? 0} rows)`).join(', ')} has fewer rows than folds (${folds}): every fold must hold each class; lower \`folds\``, {
        key: 'folds',
      });
  }

  // One stream each for the folds, the draws and the fits, so that changing `trials` leaves the folds as they were.
  const random = new Random(seed);
  const foldRandom = random.fork();
  const drawRandom = random.fork();
  const fitRandom = random.fork();
  const fold = assignFolds(y.length, folds, foldRandom, data.classes ? y : undefined);
  const space = w.search as SearchSpace;
  const trials: Trial[] = (w.method ?? 'grid') === 'random' ? randomTrials(space, w.trials!, drawRandom) : gridTrials(space);
  const fixed = Object.fromEntries(Object.entries(w).filter(([k]) => !OWN.has(k)));
  const shared: TrialData = {
    x: data.dataset.x,
    y,
    ...(data.dataset.weights ? { weights: data.dataset.weights } : {}),
    fold,
    folds,
    task,
    ...(data.classes ? { classes: data.classes } : {}),
    score,
    fitSeeds: Array.from({ length: folds }, () => fitRandom.int(2 ** 31)),
  };
  const jobs = trials.map((t) => ({
    trial: t.trial,
    w: { input: w.input, output: '', model: w.model, task, ...(w.label !== undefined ? { label: w.label } : {}), ...fixed, ...t.settings } as TrainWith,
  }));

  const threads = Math.max(1, w.jobs ?? 1);
  ctx.log(`tune: ${trials.length} trial${trials.length === 1 ? '' : 's'} of ${w.model} (${task}) x ${folds} folds on ${y.length} rows, ${threads} at a time, by ${score}`);
  let finished = 0;
  const outcomes = await runTrials(shared, jobs, threads, (o: TrialOutcome) => {
    finished++;
    const t = trials[o.trial - 1]!;
    const what = o.status === 'ok' ? `${score} ${fmt(mean(o.scores))}` : `${o.status}: ${o.reason}`;
    ctx.log(`tune: [${finished}/${trials.length}] trial ${o.trial} ${JSON.stringify(t.settings)}: ${what}`);
  });

  const results = rankTrials(trials, outcomes, direction);
  const keys = searchKeys(space);
  const pl = await loadPolars();
  const columns = resultColumns(results, keys, score, folds);
  const dtype = { int: pl.Int64, float: pl.Float64, bool: pl.Bool, string: pl.Utf8 };
  writeTable(pl.DataFrame(columns.map((c) => pl.Series(c.name, c.values, dtype[c.type]))), resolve(ctx.cwd, w.results));
  const best = bestResult(results);
  const failed = results.filter((r) => r.status !== 'ok');
  if (!best) {
    const reasons = [...new Set(failed.map((r) => r.reason))];
    throw new StepError(STEP, `every trial failed (${w.results} lists them): ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? `; and ${reasons.length - 3} other reasons` : ''}`, {
      key: 'search',
    });
  }
  writeText(resolve(ctx.cwd, w.best), bestSettingsText(best.settings, w.best));
  if (w.metrics)
    writeJson(resolve(ctx.cwd, w.metrics), { [score]: best.mean, [`${score}_std`]: best.std, best_trial: best.trial, trials: results.length, failed: failed.length });
  ctx.log(
    `tune: best trial ${best.trial} ${JSON.stringify(best.settings)}: ${score} ${fmt(best.mean!)} ± ${fmt(best.std!)}` +
      `${failed.length ? `; ${failed.length} of ${results.length} trials failed` : ''} -> ${w.best}`,
  );
}

/** The task as written, or as train resolves it: regression for linear, else binary or multiclass by the label. */
function resolveTask(w: TuneWith, unique: (name: string) => number | undefined): Task {
  if (w.task) return w.task;
  if (w.model === 'linear') return 'regression';
  if (w.label === undefined) throw new StepError(STEP, `model ${w.model} needs a \`label\` column`, { key: 'label' });
  const n = unique(w.label);
  if (n === undefined) throw new StepError(STEP, `no column \`${w.label}\` in ${w.input}`, { key: 'label' });
  return n === 2 ? 'binary' : 'multiclass';
}

function readDataset(columns: ReturnType<typeof tableColumns>, w: TuneWith, task: Task): TableDataset {
  try {
    return toDataset(columns, { task, ...(w.label !== undefined ? { label: w.label } : {}), ...(w.features ? { features: w.features } : {}) });
  } catch (err) {
    if (err instanceof DatasetError) throw new StepError(STEP, err.message, { key: err.key, ...(err.column ? { column: err.column } : {}) });
    throw err;
  }
}

/** Binary-only and multiclass-only metrics are known to fit once the label's classes are counted. */
function checkScore(score: string, task: Task): void {
  const of: readonly string[] =
    task === 'regression' ? SCORES.regression : [...SCORES.classification, ...(task === 'binary' ? SCORES.binary : SCORES.multiclass)];
  if (!of.includes(score)) throw new StepError(STEP, `${score} is not a metric of a ${task} task; score by one of ${of.join(', ')}`, { key: 'score' });
}

function mean(v: number[]): number {
  return v.reduce((s, x) => s + x, 0) / v.length;
}

function fmt(v: number): string {
  return Number(v.toPrecision(4)).toString();
}
