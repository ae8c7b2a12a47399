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
