import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import { readTextOrNull, writeFileAtomic } from '../util/fs.js';
import type { Cache } from './cache.js';

export const RUNS_DIR = '.ml/cache/runs';

/** What a run with a given stage key produced: output path -> lock entry. */
export interface RunRecord {
  outs: Record<string, LockEntry>;
  /**
   * How long the stage's command took, in milliseconds, when it ran (not when it was restored). Absent in records
   * written before it was recorded, and in those of remotes filled by older versions.
   */
  duration_ms?: number;
}

/**
 * The run-cache: stage key -> the outputs that run produced, so a stage whose exact inputs were seen before (on any
 * branch, in any experiment) is restored instead of run. An entry is only used when every object it names is still
 * in the cache.
 */
export class RunCache {
  readonly dir: string;

  constructor(
    root: string,
    private readonly cache: Cache,
  ) {
    this.dir = join(root, RUNS_DIR);
  }

  /** Stages whose result is not a function of their inputs alone are never restored. */
  static eligible(stage: Stage): boolean {
    return stage.outs.length > 0 && !stage.alwaysChanged && !stage.outs.some((o) => o.persist);
  }

  entryPath(key: string): string {
    const hex = key.split(':')[1]!;
    return join(this.dir, hex.slice(0, 2), `${hex.slice(2)}.json`);
  }

  /** The record for `key` when all its objects are present, else `undefined`. */
  lookup(key: string): RunRecord | undefined {
    const record = this.read(this.entryPath(key));
    return record && Object.values(record.outs).every((e) => this.cache.complete(e)) ? record : undefined;
  }

  /** The record for `key` as stored, whether or not its objects are still in the cache (for what it says of the run). */
  peek(key: string): RunRecord | undefined {
    return this.read(this.entryPath(key));
  }

  /** Every entry file, with its record (`undefined` when unreadable). */
  entries(): { file: string; record: RunRecord | undefined }[] {
    let shards: string[];
    try {
      shards = readdirSync(this.dir);
    } catch {
      return [];
    }
    return shards
      .flatMap((shard) => readdirSync(join(this.dir, shard)).map((n) => join(this.dir, shard, n)))
      .map((file) => ({ file, record: this.read(file) }));
  }

  /** Deletes an entry file, and its shard directory once empty. */
  remove(file: string): void {
    rmSync(file, { force: true });
    try {
      rmdirSync(dirname(file));
    } catch {
      // the shard still holds other entries
    }
  }

  private read(file: string): RunRecord | undefined {
    const text = readTextOrNull(file);
    if (text === null) return undefined;
    try {
      const record = JSON.parse(text) as RunRecord;
      if (!record || !record.outs || typeof record.outs !== 'object') return undefined;
      // A duration is only informative: one that is not a plain count of milliseconds is dropped, the record kept.
      if ('duration_ms' in record && !isDuration(record.duration_ms)) delete record.duration_ms;
      return record;
    } catch {
      return undefined;
    }
  }

  save(key: string, record: RunRecord): void {
    writeFileAtomic(this.entryPath(key), `${JSON.stringify(record)}\n`);
  }
}

function isDuration(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
