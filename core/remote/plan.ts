import type { Manifest } from '../hash/hash-path.js';
import type { LockEntry, Lockfile } from '../lockfile/lockfile.js';

/** An output whose objects are to be moved: its workspace path, its lock entry and the stage (or run) it came from. */
export interface Wanted {
  path: string;
  entry: LockEntry;
  stage: string;
}

/** One object and the workspace path it stands for (a directory's file is `dir/file`), for messages. */
export interface ObjectRef {
  hash: string;
  path: string;
}

export interface ObjectPlan {
  /** File objects: file outputs and the files of every directory whose manifest was at hand. */
  files: ObjectRef[];
  /** One per directory output: its manifest object. */
  manifests: ObjectRef[];
  /** Directory outputs whose manifest was not at hand, so their files are unknown. */
  unlisted: ObjectRef[];
  /** Manifest hash -> the hashes of its files (for the manifests at hand). */
  filesOf: Map<string, string[]>;
}

/** The cached outputs of `stages` (every stage when empty) in lockfile order of stage, then path. */
export function cachedOutputs(lock: Lockfile, stages: readonly string[] = []): Wanted[] {
  const names = stages.length ? stages : Object.keys(lock.stages).sort();
  return names.flatMap((stage) =>
    Object.entries(lock.stages[stage]?.outs ?? {})
      .filter(([, entry]) => entry.cache !== false)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, entry]) => ({ path, entry, stage })),
  );
}

/**
 * Every object behind `wanted`, each hash once (the first path that needs it names it). `manifestOf` gives a
 * directory's manifest when it is at hand.
 */
export function planObjects(wanted: readonly Wanted[], manifestOf: (hash: string) => Manifest | undefined): ObjectPlan {
  const plan: ObjectPlan = { files: [], manifests: [], unlisted: [], filesOf: new Map() };
  const seen = new Set<string>();
  const add = (list: ObjectRef[], hash: string, path: string) => {
    if (seen.has(hash)) return;
    seen.add(hash);
    list.push({ hash, path });
  };
  for (const { path, entry } of wanted) {
    if (entry.nfiles === undefined) {
      add(plan.files, entry.hash, path);
      continue;
    }
    // A second output with the same content adds nothing.
    if (seen.has(entry.hash)) continue;
    add(plan.manifests, entry.hash, path);
    const manifest = manifestOf(entry.hash);
    if (!manifest) {
      plan.unlisted.push({ hash: entry.hash, path });
      continue;
    }
    plan.filesOf.set(
      entry.hash,
      manifest.files.map((f) => f.hash),
    );
    for (const f of manifest.files) add(plan.files, f.hash, `${path}/${f.path}`);
  }
  return plan;
}
