import { join } from 'node:path';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { Stage } from '../pipeline/types.js';
import { readTextOrNull, writeFileAtomic } from '../util/fs.js';
import type { Cache } from './cache.js';

export const RUNS_DIR = '.ml/cache/runs';

/** What a run with a given stage key produced: output path -> lock entry. */
export interface RunRecord {
  outs: Record<string, LockEntry>;
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
    const text = readTextOrNull(this.entryPath(key));
    if (text === null) return undefined;
    let record: RunRecord;
    try {
      record = JSON.parse(text) as RunRecord;
    } catch {
      return undefined;
    }
    if (!record.outs || typeof record.outs !== 'object') return undefined;
    return Object.values(record.outs).every((e) => this.cache.complete(e)) ? record : undefined;
  }

  save(key: string, record: RunRecord): void {
    writeFileAtomic(this.entryPath(key), `${JSON.stringify(record)}\n`);
  }
}
