import { join } from 'node:path';
import { canonicalJson } from '../util/canonical.js';
import { readTextOrNull, writeFileAtomic } from '../util/fs.js';

/** Where `gitml repro` notes how each stage last came to be: what `gitml report` shows without `--plan`. */
export const REPRO_STATE_FILE = '.ml/state/repro.json';
export const REPRO_STATE_SCHEMA = 1;

/** How the outputs a stage key names were last made here: run, or restored from the run-cache. */
export interface ReproStateEntry {
  result: 'ran' | 'restored';
  /** The stage key of that run; the report trusts an entry only while the lockfile's stage still has this key. */
  key: string;
  /** Milliseconds the stage took (the command, or the restore). */
  duration_ms: number;
}

export interface ReproState {
  schema: typeof REPRO_STATE_SCHEMA;
  stages: Record<string, ReproStateEntry>;
}

/**
 * The state after a repro: stages that ran or were restored replace their entries; stages that were up to date keep
 * the entry of the run that made them, so a second `repro` with nothing to do does not forget the first. Pure.
 */
export function mergeReproState(prev: ReproState | undefined, done: ReadonlyMap<string, ReproStateEntry>): ReproState {
  return { schema: REPRO_STATE_SCHEMA, stages: { ...(prev?.stages ?? {}), ...Object.fromEntries(done) } };
}

/** Reads the state file; a missing or damaged one (it is only a record, never an input to a run) reads as none. */
export function readReproState(root: string): ReproState | undefined {
  const text = readTextOrNull(join(root, REPRO_STATE_FILE));
  if (text === null) return undefined;
  try {
    return parseReproState(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The entries of a parsed state file that are well formed; `undefined` when it is not a state file at all. */
export function parseReproState(value: unknown): ReproState | undefined {
  if (!isObject(value) || value.schema !== REPRO_STATE_SCHEMA || !isObject(value.stages)) return undefined;
  const stages: Record<string, ReproStateEntry> = {};
  for (const [name, e] of Object.entries(value.stages)) {
    if (!isObject(e) || (e.result !== 'ran' && e.result !== 'restored') || typeof e.key !== 'string') continue;
    if (typeof e.duration_ms !== 'number' || !Number.isFinite(e.duration_ms) || e.duration_ms < 0) continue;
    stages[name] = { result: e.result, key: e.key, duration_ms: e.duration_ms };
  }
  return { schema: REPRO_STATE_SCHEMA, stages };
}

export function writeReproState(root: string, state: ReproState): void {
  writeFileAtomic(join(root, REPRO_STATE_FILE), `${canonicalJson(state, 2)}\n`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
