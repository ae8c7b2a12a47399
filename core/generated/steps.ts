/* Generated from schemas/steps.schema.json by scripts/gen-types.mjs; do not edit by hand. */

/**
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "path".
 */
export type Path = string;
/**
 * @minItems 1
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "columns".
 */
export type Columns = [string, ...string[]];
/**
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "format".
 */
export type Format = 'csv' | 'tsv' | 'parquet' | 'json' | 'ndjson' | 'arrow';
/**
 * A data file written in the format its extension names: .csv, .tsv, .parquet, .json, .ndjson or .arrow (also .tab, .pq, .jsonl, .ipc, .feather).
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "table".
 */
export type Table = string;
/**
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "dtype".
 */
export type Dtype = 'int' | 'float' | 'string' | 'bool' | 'date' | 'datetime' | 'category';
/**
 * Columns whose values are replaced by a keyed hash: equal values give equal tokens.
 *
 * @minItems 1
 */
export type Columns1 = [string, ...string[]];
/**
 * Drop rows with a null in any of these columns.
 *
 * @minItems 1
 */
export type Columns2 = [string, ...string[]];
/**
 * log(1 + x) of these columns.
 *
 * @minItems 1
 */
export type Columns3 = [string, ...string[]];
/**
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "scalar".
 */
export type Scalar = string | number | boolean;
/**
 * Neural models: the TensorFlow.js backend. Default auto: the fastest that loads (tfjs-node-gpu, tfjs-node, wasm, cpu).
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "backend".
 */
export type Backend = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
/**
 * The feature columns, in order. Default: every column but the label.
 *
 * @minItems 1
 */
export type Columns4 = [string, ...string[]];
/**
 * mlp: units of each hidden layer. Default [64].
 *
 * @minItems 1
 */
export type Hidden = [number, ...number[]];
/**
 * The feature columns, in order. Default: every column but the label.
 *
 * @minItems 1
 */
export type Columns5 = [string, ...string[]];

/**
 * The `with:` map of each built-in step (`uses: gitml/data/<step>` in ml.yaml). Paths are relative to the stage's wdir.
 */
export interface DataSteps {
  [k: string]: unknown;
}
/**
 * Read CSV, TSV, Parquet, JSON, NDJSON or Arrow IPC files (several are concatenated) into one file, in the format its extension names.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "ingest".
 */
export interface IngestWith {
  /**
   * A file, a glob (`data/raw/*.csv`) or a list of them.
   */
  input: Path | [Path, ...Path[]];
  /**
   * The file written; its extension chooses the format.
   */
  output: string;
  /**
   * The input format; by default from each file's extension.
   */
  format?: 'csv' | 'tsv' | 'parquet' | 'json' | 'ndjson' | 'arrow';
  /**
   * Column -> type to read (or cast) each column as.
   */
  schema?: {
    [k: string]: Dtype;
  };
  mask?: Columns1;
  /**
   * The environment variable holding the masking key. Default GITML_MASK_KEY.
   */
  mask_key_env?: string;
}
/**
 * Per-column statistics of a dataset as JSON, and optionally a standalone HTML page with histograms.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "profile".
 */
export interface ProfileWith {
  input: Path;
  output: string;
  html?: string;
  /**
   * A column whose class balance is reported.
   */
  label?: string;
  /**
   * Histogram bins per numeric column. Default 20.
   */
  bins?: number;
  /**
   * Most frequent values listed per string column. Default 10.
   */
  top?: number;
  /**
   * Also write the Pearson and Spearman correlations of the numeric columns (what gitml/data/synth keeps). Default false.
   */
  correlations?: boolean;
}
/**
 * Check a dataset against an expectations file; the stage fails when an expectation fails.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "validate".
 */
export interface ValidateWith {
  input: Path;
  expectations: string;
  /**
   * The validation report (JSON).
   */
  output: string;
  /**
   * Offending values listed per failed expectation. Default 5.
   */
  examples?: number;
}
/**
 * Impute, deduplicate, drop nulls, treat outliers and cast columns.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "clean".
 */
export interface CleanWith {
  input: Path;
  output: Table;
  /**
   * Counts of what changed (JSON).
   */
  report?: string;
  /**
   * Column -> mean, median, mode, or a constant.
   */
  impute?: {
    [k: string]: string | number | boolean;
  };
  /**
   * true for whole rows, or the columns that identify a row.
   */
  drop_duplicates?: boolean | Columns;
  drop_nulls?: Columns2;
  outliers?: {
    [k: string]: {
      method: 'iqr' | 'zscore';
      action: 'clip' | 'drop';
      /**
       * IQR multiplier (default 1.5) or z-score (default 3).
       */
      threshold?: number;
    };
  };
  cast?: {
    [k: string]: Dtype;
  };
}
/**
 * Fit feature transformations, write them to `transform`, and apply them.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "features".
 */
export interface FeaturesWith {
  input: Path;
  output: Table;
  /**
   * The fitted parameters (JSON), for `gitml data transform` on new data.
   */
  transform: string;
  standardize?: Columns;
  normalize?: Columns;
  one_hot?: Columns;
  ordinal?: Columns;
  /**
   * Column -> number of equal-frequency buckets, or the bucket edges.
   */
  bucketize?: {
    [k: string]: number | [number, ...number[]];
  };
  log?: Columns3;
}
/**
 * Split a dataset into train, test and optionally validation sets, reproducibly.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "split".
 */
export interface SplitWith {
  input: Path;
  outputs: {
    train: Table;
    test: Table;
    val?: Table;
  };
  /**
   * The share of rows in each output; they must add up to 1.
   */
  fractions: {
    train: number;
    test: number;
    val?: number;
  };
  /**
   * Keep this column's class proportions in every output.
   */
  stratify?: string;
  /**
   * Split in time order: the earliest rows train, the latest test.
   */
  time?: string;
  /**
   * Rows sharing this column's value go to the same output.
   */
  group?: string;
  seed?: number;
}
/**
 * One declared column: its type and what its values look like.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "synthColumn".
 */
export interface SynthColumn {
  type: Dtype;
  /**
   * The smallest value: a number, or a date (YYYY-MM-DD) or date and time for date and datetime columns.
   */
  min?: number | string;
  /**
   * The largest value, as `min`.
   */
  max?: number | string;
  /**
   * With `std`: normally distributed (cut at `min` and `max` when given).
   */
  mean?: number;
  std?: number;
  /**
   * Probability (0 to 1) -> value, e.g. {0.25: 10, 0.5: 14, 0.75: 20}; with `min` and `max`, the values are drawn by linear interpolation between them.
   */
  quantiles?: {
    [k: string]: number;
  };
  /**
   * The values of a string, category or bool column: a list (equally likely) or value -> weight.
   */
  values?:
    | [Scalar, ...Scalar[]]
    | {
        [k: string]: number;
      };
  /**
   * The share of rows left empty. Default 0.
   */
  nulls?: number;
  /**
   * Every value different (an id): integers between `min` and `max`, or text `<column>-<n>`.
   */
  unique?: boolean;
}
/**
 * Generate a synthetic table from a profile written by gitml/data/profile, or from a declared schema: per-column distributions, correlations between numeric columns (a Gaussian copula) and optionally a label drawn from a rule.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "synth".
 */
export interface SynthWith {
  /**
   * A profile (JSON) written by gitml/data/profile; give it `correlations: true` to keep the correlations.
   */
  profile?: string;
  /**
   * Column -> its declared type and distribution, instead of `profile`.
   */
  schema?: {
    [k: string]: SynthColumn;
  };
  /**
   * A data file written in the format its extension names: .csv, .tsv, .parquet, .json, .ndjson or .arrow (also .tab, .pq, .jsonl, .ipc, .feather).
   */
  output: string;
  /**
   * How many rows to generate.
   */
  rows: number;
  /**
   * The same seed and settings give the same file, byte for byte. Default 0.
   */
  seed?: number;
  /**
   * Spearman rank correlations between numeric columns, added to (or replacing) the profile's.
   *
   * @minItems 1
   */
  correlations?: [
    {
      /**
       * @minItems 2
       * @maxItems 2
       */
      columns: [string, string];
      value: number;
    },
    ...{
      /**
       * @minItems 2
       * @maxItems 2
       */
      columns: [string, string];
      value: number;
    }[]
  ];
  label?: SynthLabel;
}
/**
 * A column computed from the others by a rule: `logistic` draws `values[1]` with probability sigmoid(bias + sum of weight * column), else `values[0]`; `linear` is bias + sum of weight * column + normal noise.
 */
export interface SynthLabel {
  column: string;
  rule: 'logistic' | 'linear';
  /**
   * Numeric or bool column -> weight.
   */
  weights: {
    [k: string]: number;
  };
  /**
   * Default 0.
   */
  bias?: number;
  /**
   * logistic: the negative and the positive value. Default [0, 1].
   *
   * @minItems 2
   * @maxItems 2
   */
  values?: [Scalar, Scalar];
  /**
   * linear: the standard deviation of the normal noise added. Default 0.
   */
  noise?: number;
}
/**
 * Train a model on a table: linear, logistic, MLP or autoencoder on TensorFlow.js, or gradient-boosted trees. Writes the model directory (the model's files and metadata.json) and, when named, training metrics and plots files.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "train".
 */
export interface TrainWith {
  /**
   * A data file written in the format its extension names: .csv, .tsv, .parquet, .json, .ndjson or .arrow (also .tab, .pq, .jsonl, .ipc, .feather).
   */
  input: string;
  /**
   * The column to predict; optional for anomaly detection (then only used for scoring).
   */
  label?: string;
  features?: Columns4;
  /**
   * Default: regression for linear, anomaly for autoencoder; for logistic, mlp and gbdt binary or multiclass by the label's class count.
   */
  task?: 'binary' | 'multiclass' | 'regression' | 'anomaly';
  model: 'linear' | 'logistic' | 'mlp' | 'autoencoder' | 'gbdt';
  /**
   * The model directory.
   */
  output: string;
  /**
   * A metrics file: final loss and metric on the training and validation rows, epochs, backend.
   */
  metrics?: string;
  /**
   * A plots file (line): loss and metric per epoch, or per boosting round.
   */
  history?: string;
  /**
   * Neural models: a plots file (line) of each layer's activation, gradient and update mean and variance per epoch.
   */
  monitor?: string;
  /**
   * Who trained the model, when, how fast and on which Node: apart from the model, as it differs on every run. Default OUTPUT.run.json.
   */
  record?: string;
  /**
   * The transform gitml/data/features fitted for these features, kept in metadata.json for serving.
   */
  transform?: string;
  /**
   * A YAML or JSON file of more model settings, read when the stage runs (a dependency of the stage): the best settings gitml/model/tune wrote, trained in the same repro. A setting may not be both here and in `with`.
   */
  settings?: string;
  /**
   * A data file written in the format its extension names: .csv, .tsv, .parquet, .json, .ndjson or .arrow (also .tab, .pq, .jsonl, .ipc, .feather).
   */
  validation?: string;
  /**
   * Hold out this fraction of the training rows (seeded) when there is no `validation` file.
   */
  validation_fraction?: number;
  /**
   * Seeds initial weights, batch order, dropout and subsamples. Default 0.
   */
  seed?: number;
  /**
   * `balanced`, or a weight per class name.
   */
  class_weight?:
    | 'balanced'
    | {
        [k: string]: number;
      };
  backend?: Backend;
  hidden?: Hidden;
  activation?: 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'linear';
  dropout?: number;
  l2?: number;
  /**
   * autoencoder: units of the encoder's layers, the last being the bottleneck.
   *
   * @minItems 1
   */
  encoder?: [number, ...number[]];
  optimizer?: 'adam' | 'sgd' | 'rmsprop';
  learning_rate?: number;
  epochs?: number;
  batch_size?: number;
  /**
   * Stop when the validation loss (or `metric`) has not improved for `patience` epochs (default 5), keeping the best.
   */
  early_stopping?:
    | boolean
    | {
        metric?: string;
        patience?: number;
      };
  /**
   * Neural models: record the monitor after every batch too (slower).
   */
  monitor_batches?: boolean;
  /**
   * gbdt: boosting rounds. Default 100.
   */
  max_iter?: number;
  max_depth?: number;
  max_leaf_nodes?: number;
  min_samples_leaf?: number;
  l2_regularization?: number;
  max_bins?: number;
  subsample?: number;
  colsample?: number;
}
/**
 * Score a trained model on a table: metrics, plots files, permutation importance.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "evaluate".
 */
export interface EvaluateWith {
  /**
   * A model directory gitml/model/train wrote.
   */
  model: string;
  input: Table;
  /**
   * Default: the label the model was trained on.
   */
  label?: string;
  metrics: Path;
  /**
   * Binary tasks: the decision threshold: a number (default 0.5), `max_f1`, or `precision >= X`.
   */
  threshold?: number | string;
  /**
   * Classification: a plots file (roc).
   */
  roc?: string;
  /**
   * Classification: a plots file (precision_recall).
   */
  pr?: string;
  /**
   * Classification: a plots file (confusion).
   */
  confusion?: string;
  /**
   * Regression: a plots file (scatter) of predicted against actual.
   */
  predicted?: string;
  /**
   * Regression: a plots file (scatter) of residuals against predicted.
   */
  residuals?: string;
  /**
   * A plots file (bar) of permutation importance; the values also go into the metrics file.
   */
  importance?: string;
  /**
   * Permutations per feature. Default 5.
   */
  importance_repeats?: number;
  /**
   * Seeds the permutations. Default 0.
   */
  seed?: number;
  backend?: Backend;
}
/**
 * The acceptance test on a held-back set: each check (`accuracy >= 0.8`, `rmse <= 3.5`, `per_class.cat.recall >= 0.7`) must hold, and optionally the time per row; the stage fails naming every one that does not.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "accept".
 */
export interface AcceptWith {
  /**
   * A model directory gitml/model/train wrote.
   */
  model: string;
  /**
   * A data file written in the format its extension names: .csv, .tsv, .parquet, .json, .ndjson or .arrow (also .tab, .pq, .jsonl, .ipc, .feather).
   */
  input: string;
  /**
   * Default: the label the model was trained on.
   */
  label?: string;
  /**
   * METRIC OP NUMBER, over the metrics gitml/model/evaluate writes (dotted for nested keys).
   *
   * @minItems 1
   */
  checks: [string, ...string[]];
  /**
   * Binary tasks: the decision threshold: a number (default 0.5), `max_f1`, or `precision >= X`.
   */
  threshold?: number | string;
  /**
   * The most milliseconds one row may take to predict, one row at a time (the median of up to 200 rows).
   */
  max_latency_ms?: number;
  /**
   * A metrics file: the metrics, each check with its value and verdict, the latency.
   */
  report: string;
  backend?: Backend;
}
/**
 * Export a trained model to ONNX with its preprocessing inside the graph, so that one file takes the raw feature columns; checks the ONNX outputs against the JavaScript model on a table.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "packageModel".
 */
export interface PackageWith {
  /**
   * A model directory gitml/model/train wrote.
   */
  model: string;
  output: string;
  /**
   * The model's inputs, outputs and metadata as JSON. Default: OUTPUT with .signature.json for .onnx.
   */
  signature?: string;
  /**
   * The model's name in the ONNX metadata and when served. Default: the model directory's name.
   */
  name?: string;
  /**
   * A data file written in the format its extension names: .csv, .tsv, .parquet, .json, .ndjson or .arrow (also .tab, .pq, .jsonl, .ipc, .feather).
   */
  parity?: string;
  /**
   * Check at most this many rows (the first). Default 10000.
   */
  parity_rows?: number;
  /**
   * The largest difference allowed: absolute up to 1, relative above. Default 1e-5.
   */
  tolerance?: number;
  /**
   * The report gitml/data/clean wrote: its imputed values go into the graph, before the transform.
   */
  impute?: string;
  /**
   * A metrics file: the parity difference measured and the rows checked.
   */
  metrics?: string;
  backend?: Backend;
}
/**
 * Batch predictions of a packaged model (the ONNX file gitml/model/package wrote) over a table, a batch at a time.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "predict".
 */
export interface PredictWith {
  model: string;
  /**
   * CSV, TSV, NDJSON or Parquet rows with the model's raw input columns.
   */
  input: string;
  /**
   * The predictions beside each row's id, with the model version: CSV, TSV, NDJSON or Parquet.
   */
  output: string;
  /**
   * A column copied beside each prediction. Default: the row number, `row`.
   */
  id?: string;
  /**
   * Rows per batch. Default 8192.
   */
  batch?: number;
}
/**
 * Search train settings (grid or seeded random) scored by k-fold cross-validation on the training table; writes each trial's results and the best settings for a later train stage. Any train setting not searched is fixed for every trial.
 *
 * This interface was referenced by `DataSteps`'s JSON-Schema
 * via the `definition` "tune".
 */
export interface TuneWith {
  /**
   * A data file written in the format its extension names: .csv, .tsv, .parquet, .json, .ndjson or .arrow (also .tab, .pq, .jsonl, .ipc, .feather).
   */
  input: string;
  /**
   * The column to predict.
   */
  label?: string;
  features?: Columns5;
  /**
   * As for gitml/model/train: regression for linear; binary or multiclass by the label's class count for the others unless `regression` is named.
   */
  task?: 'binary' | 'multiclass' | 'regression';
  /**
   * The model to tune (the autoencoder has no label to cross-validate against).
   */
  model: 'linear' | 'logistic' | 'mlp' | 'gbdt';
  /**
   * Train settings to search: setting -> list of values (every combination with `method: grid`; drawn from with `method: random`), or, with `method: random`, a range {min, max, log, int}.
   */
  search: {
    [k: string]:
      | unknown[]
      | {
          min: number;
          max: number;
          /**
           * Draw uniformly on a log scale (min must be > 0).
           */
          log?: boolean;
          /**
           * Draw whole numbers.
           */
          int?: boolean;
        };
  };
  /**
   * `grid` (default): every combination of the lists. `random`: `trials` draws, seeded.
   */
  method?: 'grid' | 'random';
  /**
   * With `method: random`: how many settings to draw.
   */
  trials?: number;
  /**
   * k of the k-fold cross-validation (stratified by class for classification). Default 5.
   */
  folds?: number;
  /**
   * The metric the trials are ranked by: any gitml/model/evaluate writes for the task. Default accuracy for classification, rmse for regression.
   */
  score?: string;
  /**
   * Seeds the fold assignment, the random draws and every fit. Default 0.
   */
  seed?: number;
  /**
   * Trials run at once, each in a worker thread. Default 1.
   */
  jobs?: number;
  /**
   * A table (CSV, or by extension): each trial's settings, the mean and std of the score over the folds, each fold's score, its rank and status.
   */
  results: string;
  /**
   * The best trial's settings, as YAML (.yaml, .yml) or JSON: a map a later train stage reads through `vars:`.
   */
  best: string;
  /**
   * A metrics file: the best score and its std, the best trial, trials run and failed.
   */
  metrics?: string;
  /**
   * Hold out this fraction of the training rows (seeded) when there is no `validation` file.
   */
  validation_fraction?: number;
  /**
   * `balanced`, or a weight per class name.
   */
  class_weight?:
    | 'balanced'
    | {
        [k: string]: number;
      };
  backend?: Backend;
  hidden?: Hidden;
  activation?: 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'linear';
  dropout?: number;
  l2?: number;
  optimizer?: 'adam' | 'sgd' | 'rmsprop';
  learning_rate?: number;
  epochs?: number;
  batch_size?: number;
  /**
   * Stop when the validation loss (or `metric`) has not improved for `patience` epochs (default 5), keeping the best.
   */
  early_stopping?:
    | boolean
    | {
        metric?: string;
        patience?: number;
      };
  /**
   * gbdt: boosting rounds. Default 100.
   */
  max_iter?: number;
  max_depth?: number;
  max_leaf_nodes?: number;
  min_samples_leaf?: number;
  l2_regularization?: number;
  max_bins?: number;
  subsample?: number;
  colsample?: number;
}
