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
