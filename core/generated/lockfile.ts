/* Generated from schemas/lock.schema.json by scripts/gen-types.mjs; do not edit by hand. */

/**
 * ml.lock.json: what each stage last ran with and produced.
 */
export interface Lockfile {
  schema: '1';
  stages: {
    [k: string]: StageLock;
  };
}
/**
 * This interface was referenced by `Lockfile`'s JSON-Schema
 * via the `definition` "stageLock".
 */
export interface StageLock {
  cmd: string[];
  wdir?: string;
  env?: {
    [k: string]: string;
  };
  /**
   * A built-in step's settings (`uses:` stages).
   */
  with?: {
    [k: string]: unknown;
  };
  deps: {
    [k: string]: LockEntry;
  };
  /**
   * Parameter values by file, then by dotted key. Numbers JSON cannot hold are one-key objects: {"$float": "nan" | "inf" | "-inf"}, and {"$int": "<digits>"} for an integer beyond 2^53.
   */
  params?: {
    [k: string]: {
      [k: string]: unknown;
    };
  };
  outs: {
    [k: string]: LockEntry;
  };
}
/**
 * This interface was referenced by `Lockfile`'s JSON-Schema
 * via the `definition` "entry".
 */
export interface LockEntry {
  hash: string;
  /**
   * Bytes; for a directory, the sum over its files.
   */
  size: number;
  /**
   * Present for directories: how many files they hold.
   */
  nfiles?: number;
  /**
   * Present when the output is not saved in the cache.
   */
  cache?: false;
}
