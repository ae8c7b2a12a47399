import type { Resources } from '../generated/ml-yaml.js';

export type { MlYaml, StageEntry, StageBody, OutEntry, ParamEntry, OutOptions, Resources } from '../generated/ml-yaml.js';

/** Where something was declared in ml.yaml (1-based). */
export interface Origin {
  line: number;
  col: number;
}

export type OutKind = 'out' | 'metric' | 'plot';

export interface Out {
  /** Workspace-relative POSIX path. */
  path: string;
  kind: OutKind;
  /** Saved in `.ml/cache` (default true for outs, false for metrics and plots). */
  cache: boolean;
  /** Left in place when the stage reruns instead of being deleted first. */
  persist: boolean;
  /** `gitml repro --rev` reports a difference here without failing. */
  nondeterministic: boolean;
  /** Metrics: dotted key -> which way is better. */
  better?: Record<string, 'higher' | 'lower'>;
  /** Metrics: significant digits when printing. */
  precision?: number;
  /** Plots: how to draw the file. */
  plot?: PlotOptions;
}

export type PlotTemplate = 'line' | 'scatter' | 'bar' | 'confusion' | 'roc' | 'precision_recall';

export interface PlotOptions {
  template: PlotTemplate;
  x?: string;
  /** The fields drawn; an empty list (built-in steps only) draws every numeric field every revision has. */
  y?: string[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
}

/** A stage after `foreach`/`matrix` expansion and `${...}` interpolation, with every path workspace-relative. */
export interface Stage {
  name: string;
  /** Shell commands, run in order in `wdir`. For a built-in step: `gitml step <name>`. */
  cmd: string[];
  /** A built-in step's `with:` settings (after interpolation); absent for `cmd` stages. */
  with?: Record<string, unknown>;
  /** Where each top-level `with:` key is written (`''`: `with:` itself), so a step's error about a setting can point at it. */
  withOrigins?: Record<string, Origin>;
  /** Workspace-relative directory the commands run in (`.` for the root). */
  wdir: string;
  env: Record<string, string>;
  /** Workspace-relative dependency paths, sorted. */
  deps: string[];
  /** Parameter values this stage depends on: params file -> dotted key -> value. */
  params: Record<string, Record<string, unknown>>;
  outs: Out[];
  desc?: string;
  frozen: boolean;
  alwaysChanged: boolean;
  resources: Required<Resources>;
  origin: Origin;
}

export interface Pipeline {
  /** Stages in declaration order. */
  stages: Stage[];
  /** Metric gates, in declaration order; absent when ml.yaml declares none. */
  gates?: GateSpec[];
}

/** One `gates:` entry of ml.yaml, checked against the pipeline's metrics declarations. */
export interface GateSpec {
  /** `FILE:KEY` with FILE workspace-relative. */
  metric: string;
  file: string;
  /** Dotted key, as `metrics diff` flattens nested keys. */
  key: string;
  min?: number;
  max?: number;
  /** How far the value may worsen against the base: in the metric's units, or `relative` to the base value (0.02 = 2%). */
  maxDrop?: { amount: number; relative: boolean };
  origin: Origin;
}

/** Reads a workspace file as text, or returns `null` when it does not exist. */
export type ReadText = (path: string) => string | null;
