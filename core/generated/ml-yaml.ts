/* Generated from schemas/ml.schema.json by scripts/gen-types.mjs; do not edit by hand. */

/**
 * A shell command, or a list run in order (stopping at the first failure).
 *
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "cmd".
 */
export type Cmd = string | [string, ...string[]];
/**
 * A built-in step instead of `cmd`: gitml/data/ingest, profile, validate, clean, features, split or synth; gitml/model/train, evaluate or accept.
 *
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "uses".
 */
export type Uses = string;
/**
 * A key of params.yaml (dotted), or `{file: [keys]}`, or `{file: null}` for the whole file.
 *
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "paramEntry".
 */
export type ParamEntry =
  | string
  | {
      [k: string]: null | string[];
    };
/**
 * A path, `{path: options}`, or `{path: PATH, ...options}`.
 *
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "outEntry".
 */
export type OutEntry = string | (OutOptions & {path: string}) | {[path: string]: OutOptions};

/**
 * A gitml pipeline (ml.yaml).
 */
export interface MlYaml {
  /**
   * Values for ${...} interpolation: inline maps, or files (`file.yaml` or `file.yaml:key1,key2`).
   */
  vars?: (
    | string
    | {
        [k: string]: unknown;
      }
  )[];
  /**
   * Metric gates that `gitml gate` checks: bounds on metric values, and how far they may worsen against a base revision.
   */
  gates?: Gate[];
  stages: {
    [k: string]: StageEntry;
  };
}
/**
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "gate".
 */
export interface Gate {
  /**
   * `FILE:KEY`: a metrics file a stage declares and a (dotted) key in it.
   */
  metric: string;
  /**
   * The value must be at least this.
   */
  min?: number;
  /**
   * The value must be at most this.
   */
  max?: number;
  /**
   * How far the value may worsen against the base revision (in the direction `better:` declares): a number in the metric's units, or `"N%"` of the base value.
   */
  max_drop?: number | string;
}
/**
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "stageEntry".
 */
export interface StageEntry {
  cmd?: Cmd;
  uses?: Uses;
  with?: With;
  deps?: string[];
  params?: ParamEntry[];
  outs?: OutEntry[];
  metrics?: OutEntry[];
  plots?: OutEntry[];
  wdir?: string;
  env?: {
    [k: string]: string | number | boolean;
  };
  desc?: string;
  frozen?: boolean;
  always_changed?: boolean;
  resources?: Resources;
  /**
   * A list or map (or a ${...} naming one); the stage is expanded into `name@item` stages from `do`.
   */
  foreach?:
    | [unknown, ...unknown[]]
    | {
        [k: string]: unknown;
      }
    | string;
  do?: StageBody;
  /**
   * Named lists; one stage per combination, named `name@v1-v2`.
   */
  matrix?: {
    [k: string]: [unknown, ...unknown[]] | string;
  };
}
/**
 * The built-in step's settings; its input and output paths become the stage's deps and outs.
 *
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "with".
 */
export interface With {
  [k: string]: unknown;
}
/**
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "resources".
 */
export interface Resources {
  gpu?: number;
  labels?: string[];
}
/**
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "stageBody".
 */
export interface StageBody {
  cmd?: Cmd;
  uses?: Uses;
  with?: With;
  deps?: string[];
  params?: ParamEntry[];
  outs?: OutEntry[];
  metrics?: OutEntry[];
  plots?: OutEntry[];
  wdir?: string;
  env?: {
    [k: string]: string | number | boolean;
  };
  desc?: string;
  frozen?: boolean;
  always_changed?: boolean;
  resources?: Resources;
}
/**
 * This interface was referenced by `MlYaml`'s JSON-Schema
 * via the `definition` "outOptions".
 */
export interface OutOptions {
  /**
   * Save the output in .ml/cache. Default true for outs, false for metrics and plots.
   */
  cache?: boolean;
  /**
   * Keep the output in place when the stage reruns instead of deleting it first. Default false.
   */
  persist?: boolean;
  desc?: string;
  /**
   * The output's path, in the `{path: PATH, ...options}` form.
   */
  path?: string;
  /**
   * `gitml repro --rev` reports a difference in this output without failing. Default false.
   */
  nondeterministic?: boolean;
  /**
   * Metrics only: which way is better for each dotted metric key, used by diffs.
   */
  better?: {
    [k: string]: 'higher' | 'lower';
  };
  /**
   * Metrics only: significant digits when printing values. Default 5.
   */
  precision?: number;
  /**
   * Plots only: how to draw the file. Default line.
   */
  template?: 'line' | 'scatter' | 'bar' | 'confusion' | 'roc' | 'precision_recall';
  /**
   * Plots only: the field on the x axis (defaults depend on the template).
   */
  x?: string;
  /**
   * Plots only: the field or fields on the y axis (defaults depend on the template).
   */
  y?: string | [string, ...string[]];
  /**
   * Plots only: the chart title. Default: the file path.
   */
  title?: string;
  /**
   * Plots only: the x axis title.
   */
  x_label?: string;
  /**
   * Plots only: the y axis title.
   */
  y_label?: string;
}
