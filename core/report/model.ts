import { evaluateRevisionGates, type GateResult } from '../ci/gates.js';
import { diffOutputs, diffValues, directionOf, outputsOf, type Direction, type Verdict } from '../diff/diff.js';
import type { RevisionState } from '../diff/state.js';
import type { Revision } from '../git/revision.js';
import { compareStrings, jsonEqual } from '../util/canonical.js';
import type { PlotView } from './plots.js';
import type { StageRow } from './stages.js';

/** The version of the view model's shape; templates and `--json` readers can check it. */
export const REPORT_SCHEMA = 1;

/** The gates in one line: `none` when ml.yaml declares no gates. */
export interface ReportVerdict {
  status: 'pass' | 'fail' | 'none';
  /** How many gates there are, and how many passed. */
  total: number;
  passed: number;
  /** The metrics (`file:key`) of the gates that failed. */
  failed: string[];
}

/** One metric compared between base and head. Values are as read; templates format them with the helpers. */
export interface MetricRow {
  /** `file:key`, as gates name it. */
  metric: string;
  file: string;
  key: string;
  base?: unknown;
  head?: unknown;
  /** Which way is better, from the metric's `better:` in ml.yaml. */
  direction?: Direction;
  /** head - base, when both are numbers. */
  change?: number;
  /** change / |base|, when both are numbers and base is not 0. */
  relative?: number;
  verdict?: Verdict;
  /** Significant digits to show (`precision:`); absent for the default. */
  precision?: number;
  /** Whether the value differs between base and head (the Markdown lists only these, and counts the rest). */
  changed: boolean;
}

/** One parameter that differs between base and head (absent on a side where it is not set). */
export interface ParamRow {
  file: string;
  key: string;
  base?: unknown;
  head?: unknown;
}

/** A data or model output (not a metrics or plots file) whose content differs. */
export interface OutputRow {
  path: string;
  stage: string;
  change: 'added' | 'deleted' | 'modified';
  /** Bytes, and files for a directory, on each side that has it. */
  base?: { size: number; nfiles?: number };
  head?: { size: number; nfiles?: number };
  /** head size - base size, when both sides have it. */
  sizeChange?: number;
}

/** What a metrics file could not be read for, at one side. */
export interface MetricError {
  side: 'base' | 'head';
  file: string;
  message: string;
}

/**
 * Everything a report template receives, and what `gitml report --json` prints. Sections come in the report's
 * order; `omitted` names the sections left out to fit a size limit.
 */
export interface ReportModel {
  schema: typeof REPORT_SCHEMA;
  base: Revision;
  head: Revision;
  verdict: ReportVerdict;
  /** Each gate of the head's ml.yaml, evaluated as `gitml gate` does. */
  gates: GateResult[];
  /** Every metric of either side (unchanged ones too), sorted by file, then key. */
  metrics: MetricRow[];
  /** How many of `metrics` are the same at base and head. */
  unchangedMetrics: number;
  metricErrors: MetricError[];
  /** Parameters that changed, sorted by file, then key. */
  params: ParamRow[];
  /** The head pipeline's stages in order, then stages only a lockfile names. */
  stages: StageRow[];
  outputs: OutputRow[];
  plots: PlotView[];
  /** Sections left out to fit `--max-chars`, most important last (`plot plots/roc.json`, `outputs`, ...). */
  omitted: string[];
  /** Says what was left out and where the full report is; absent when nothing was. */
  omittedNote?: string;
}

export interface ReportInput {
  base: RevisionState;
  head: RevisionState;
  stages: StageRow[];
  plots: PlotView[];
}

/** Builds the view model from two revisions' states and the stage and plot views. Pure. */
export function buildReport({ base, head, stages, plots }: ReportInput): ReportModel {
  const gates = evaluateRevisionGates(base, head);
  // Metric directions and precision as `gitml metrics diff` reads them: the head's ml.yaml first.
  const out = (file: string) => head.metricOuts.get(file) ?? base.metricOuts.get(file);
  const failed = gates.gates.filter((g) => g.verdict === 'fail').map((g) => g.metric);
  const verdict: ReportVerdict = {
    status: gates.gates.length ? gates.verdict : 'none',
    total: gates.gates.length,
    passed: gates.gates.length - failed.length,
    failed,
  };

  const metrics = diffValues(base.metrics, head.metrics, {
    all: true,
    better: (file, key) => directionOf(out(file)?.better, key),
    precision: (file) => out(file)?.precision,
  }).map((r): MetricRow => {
    const row: MetricRow = { metric: `${r.file}:${r.key}`, file: r.file, key: r.key, changed: !('old' in r && 'new' in r && jsonEqual(r.old, r.new)) };
    if ('old' in r) row.base = r.old;
    if ('new' in r) row.head = r.new;
    const direction = directionOf(out(r.file)?.better, r.key);
    if (direction) row.direction = direction;
    if (r.change !== undefined) row.change = r.change;
    if (r.relative !== undefined) row.relative = r.relative;
    if (r.verdict) row.verdict = r.verdict;
    if (r.precision !== undefined) row.precision = r.precision;
    return row;
  });
  const metricErrors: MetricError[] = (['base', 'head'] as const).flatMap((side) =>
    Object.entries((side === 'base' ? base : head).metricErrors)
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([file, message]) => ({ side, file, message })),
  );

  const params = diffValues(base.params, head.params).map((r): ParamRow => {
    const row: ParamRow = { file: r.file, key: r.key };
    if ('old' in r) row.base = r.old;
    if ('new' in r) row.head = r.new;
    return row;
  });

  const reported = (s: RevisionState, p: string) => s.pipeline?.stages.some((st) => st.outs.some((o) => o.path === p && o.kind !== 'out'));
  const outputs = diffOutputs(outputsOf(base.lock), outputsOf(head.lock), (p) => !!(reported(base, p) || reported(head, p))).map((o) => {
    const row: OutputRow = { path: o.path, stage: o.stage, change: o.change };
    const side = (e: NonNullable<typeof o.old>) => ({ size: e.size, ...(e.nfiles !== undefined ? { nfiles: e.nfiles } : {}) });
    if (o.old) row.base = side(o.old);
    if (o.new) row.head = side(o.new);
    if (o.old && o.new) row.sizeChange = o.new.size - o.old.size;
    return row;
  });

  return {
    schema: REPORT_SCHEMA,
    base: base.rev,
    head: head.rev,
    verdict,
    gates: gates.gates,
    metrics,
    unchangedMetrics: metrics.filter((m) => !m.changed).length,
    metricErrors,
    params,
    stages,
    outputs,
    plots,
    omitted: [],
  };
}
