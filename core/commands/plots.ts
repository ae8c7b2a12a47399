import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { Cache } from '../cache/cache.js';
import { readRevisionState, type RevisionState } from '../diff/state.js';
import { GitmlError, UsageError } from '../errors.js';
import { openRepo, openSnapshot, WORKSPACE, type Repo, type Revision, type Snapshot } from '../git/revision.js';
import type { PlotTemplate } from '../pipeline/types.js';
import { parsePlotData } from '../plots/data.js';
import { declaredPlots, selectPlots, type PlotTarget } from '../plots/select.js';
import { buildPlotSpec, type PlotSeries, type VegaLiteSpec } from '../plots/spec.js';
import { workspacePath } from '../util/paths.js';
import { findRoot } from '../workspace.js';

export interface PlotsOptions {
  cwd?: string;
  /** Plots files or directories (relative to `cwd`); default every plots file declared in ml.yaml. */
  targets?: string[];
}

export interface PlotsDiffOptions extends PlotsOptions {
  /**
   * Revisions to compare, oldest first: branches, tags, commits, `HEAD~N` or `workspace`.
   * @default ['HEAD', 'workspace']; one revision is compared with the workspace
   */
  revisions?: string[];
}

/** One chart: a plots file drawn at every revision it could be read at. */
export interface PlotChart {
  path: string;
  template: PlotTemplate;
  /** Revision names with a series in the chart. */
  revisions: string[];
  /** Why a revision is left out (`not in HEAD~1`); also shown under the chart's title. */
  notes: string[];
  spec: VegaLiteSpec;
}

export interface PlotsResult {
  /** The workspace root; the default HTML file lives under it. */
  root: string;
  revisions: Revision[];
  charts: PlotChart[];
  /** Plots files that could be read at no revision, with why; one does not hide the others. */
  errors: Record<string, string>;
  /** How many plots files were selected, drawn or not. */
  selected: number;
}

/** `gitml plots show [PATH...]`: the plots files in the workspace. */
export async function plotsShow(opts: PlotsOptions = {}): Promise<PlotsResult> {
  return collectPlots(opts, [WORKSPACE]);
}

/** `gitml plots diff [REV...]`: each plots file with one series per revision. */
export async function plotsDiff(opts: PlotsDiffOptions = {}): Promise<PlotsResult> {
  const given = opts.revisions ?? [];
  const names = given.length === 0 ? ['HEAD', WORKSPACE] : given.length === 1 ? [given[0]!, WORKSPACE] : given;
  return collectPlots(opts, [...new Set(names)]);
}

async function collectPlots(opts: PlotsOptions, names: string[]): Promise<PlotsResult> {
  const cwd = opts.cwd ?? process.cwd();
  const root = findRoot(cwd);
  const wanted = (opts.targets ?? []).map((t) => {
    const p = workspacePath('.', relative(root, resolve(cwd, t)).split('\\').join('/'));
    if (!p) throw new UsageError(`\`${t}\` is outside the workspace ${root}`);
    return p;
  });

  let repo: Repo | undefined;
  if (names.some((n) => n !== WORKSPACE)) repo = await openRepo(root);
  const snaps: Snapshot[] = [];
  for (const name of names) {
    try {
      snaps.push(await openSnapshot(root, name, repo));
    } catch (err) {
      throw fileNotRevision(err, name, root, cwd);
    }
  }
  const readObject = new Cache(root).readText;
  const states = await Promise.all(snaps.map((s) => readRevisionState(s, readObject)));

  const existing = new Set<string>();
  for (const w of wanted) for (const s of snaps) if ((await s.read(w)) !== null) existing.add(w);
  const targets = selectPlots(declaredPlots(states.map((s) => s.pipeline)), wanted, (p) => existing.has(p));

  const charts: PlotChart[] = [];
  const errors: Record<string, string> = {};
  for (const target of targets) {
    const { series, notes } = await readPlotSeries(snaps, states, target, readObject);
    if (!series.length) {
      errors[target.path] = notes.join('; ');
      continue;
    }
    const spec = buildPlotSpec({ path: target.path, options: target.options, series, notes });
    charts.push({ path: target.path, template: target.options.template, revisions: series.map((s) => s.rev), notes, spec });
  }
  return { root, revisions: snaps.map((s) => s.rev), charts, errors, selected: targets.length };
}

/** A plots file's rows at each revision that has them (one series each), and a note for each that does not. */
export async function readPlotSeries(
  snaps: readonly Snapshot[],
  states: readonly RevisionState[],
  target: PlotTarget,
  readObject: (hash: string) => string | null,
): Promise<{ series: PlotSeries[]; notes: string[] }> {
  const series: PlotSeries[] = [];
  const notes: string[] = [];
  for (const [i, snap] of snaps.entries()) {
    const got = await readPlotAt(snap, states[i]!, target, readObject);
    if (typeof got === 'string') notes.push(got);
    else series.push({ rev: snap.rev.name, records: got });
  }
  return { series, notes };
}

/** The rows of a plots file at one revision, or a note saying why there are none. */
async function readPlotAt(
  snap: Snapshot,
  state: RevisionState,
  target: PlotTarget,
  readObject: (hash: string) => string | null,
): Promise<PlotSeries['records'] | string> {
  const at = snap.rev.name;
  let text = await snap.read(target.path);
  // A plots file saved in the cache (`cache: true`) is not in git; the lockfile of that revision names its object.
  const hash = target.stage ? state.lock.stages[target.stage]?.outs[target.path]?.hash : undefined;
  if (text === null && hash && snap.rev.oid) text = readObject(hash);
  if (text === null) {
    if (snap.rev.oid) return `not in ${at}`;
    return target.stage ? `not in the workspace; run \`gitml repro ${target.stage}\`` : 'not in the workspace';
  }
  const parsed = parsePlotData(target.path, text);
  return 'error' in parsed ? `${at}: the file ${parsed.error}` : parsed.records;
}

/** A revision that does not resolve but names a file: say how to name a file instead. */
function fileNotRevision(err: unknown, name: string, root: string, cwd: string): unknown {
  if (!(err instanceof GitmlError) || err.code !== 'E_BAD_REVISION') return err;
  if (!existsSync(resolve(cwd, name)) && !existsSync(resolve(root, name))) return err;
  return new GitmlError('E_BAD_REVISION', `\`${name}\` is a file, not a revision; choose plots files with \`-t ${name}\``, {
    data: { revision: name },
    cause: err,
  });
}
