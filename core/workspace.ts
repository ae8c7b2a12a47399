import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Cache } from './cache/cache.js';
import { loadConfig, type ResolvedConfig } from './config.js';
import { InvalidGraphError, InvalidPipelineError, WorkspaceNotFoundError } from './errors.js';
import { buildGraph, type Graph, type PathProbe } from './graph/build.js';
import { closePool } from './hash/hash-pool.js';
import { PathHasher } from './hash/hash-path.js';
import { emptyLockfile, LOCKFILE, parseLockfile, serializeLockfile, type Lockfile } from './lockfile/lockfile.js';
import { parsePipeline, PIPELINE_FILE } from './pipeline/parse.js';
import type { Pipeline } from './pipeline/types.js';
import { stageStatus, type Restorable, type StageStatus } from './plan/stage-status.js';
import { readTextOrNull, writeFileAtomic } from './util/fs.js';
import type { Progress } from './util/progress.js';

export const STATE_DIR = '.ml';

const STATE_GITIGNORE = `# Local to this machine: the object cache, stat and run state, stage logs, secrets.
/cache/
/state/
/logs/
/tmp/
/plots/
/config.local.yaml
`;

/**
 * Creates \`.ml/\` with the .gitignore that keeps its machine-local parts out of git. Returns true when the
 * .gitignore was written now.
 */
export function prepareStateDir(root: string): boolean {
  const file = join(root, STATE_DIR, '.gitignore');
  if (existsSync(file)) return false;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, STATE_GITIGNORE);
  return true;
}

/** Walks up from `cwd` to the directory holding `ml.yaml` (or `.ml/`). */
export function findRoot(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, PIPELINE_FILE)) || existsSync(join(dir, STATE_DIR))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new WorkspaceNotFoundError(cwd);
    dir = parent;
  }
}

/**
 * The I/O edge around the pure core: reads ml.yaml, params and the lockfile from disk, hashes files and owns the
 * cache. Commands build one and pass its pieces to the pure planners.
 */
export class Workspace {
  private constructor(
    readonly root: string,
    readonly config: ResolvedConfig,
    readonly hasher: PathHasher,
    readonly cache: Cache,
  ) {}

  static async open(cwd: string): Promise<Workspace> {
    const root = findRoot(cwd);
    const config = loadConfig((p) => readTextOrNull(join(root, p)));
    return new Workspace(root, config, await PathHasher.create(root), new Cache(root, config.linkModes));
  }

  /** Opens the workspace around `fn` and always saves the stat cache and stops hashing threads afterwards. */
  static async use<T>(cwd: string | undefined, fn: (ws: Workspace) => Promise<T>): Promise<T> {
    const ws = await Workspace.open(cwd ?? process.cwd());
    try {
      return await fn(ws);
    } finally {
      await ws.close();
    }
  }

  async close(): Promise<void> {
    this.hasher.save();
    await closePool();
  }

  abs(path: string): string {
    return join(this.root, path);
  }

  readText = (path: string): string | null => readTextOrNull(this.abs(path));

  loadPipeline(): Pipeline {
    const text = this.readText(PIPELINE_FILE);
    if (text === null)
      throw new InvalidPipelineError([{ file: PIPELINE_FILE, path: '', message: 'not found; run `gitml init` to create one' }]);
    const { pipeline, problems } = parsePipeline(text, this.readText);
    if (!pipeline) throw new InvalidPipelineError(problems);
    return pipeline;
  }

  loadGraph(pipeline = this.loadPipeline(), lock?: Lockfile): Graph {
    const recorded = lock ? (stage: string, dep: string) => lock.stages[stage]?.deps[dep] !== undefined : undefined;
    const { graph, problems } = buildGraph(pipeline, this.probe, { recorded });
    if (!graph) throw new InvalidGraphError(problems);
    return graph;
  }

  readLock(): Lockfile {
    const text = this.readText(LOCKFILE);
    return text === null ? emptyLockfile() : parseLockfile(text);
  }

  writeLock(lock: Lockfile): void {
    writeFileAtomic(this.abs(LOCKFILE), serializeLockfile(lock));
  }

  /** Status of `names`, hashing every dependency and output they have first, in parallel. */
  async status(graph: Graph, lock: Lockfile, names: string[] = graph.names, progress?: Progress): Promise<Map<string, StageStatus>> {
    await this.hashStages(graph, lock, names, progress);
    const statusOf = this.statusOf(graph, lock);
    return new Map(names.map((n) => [n, statusOf(n)]));
  }

  /** A stage's status from the current (memoized) hashes; asked again, it sees outputs rewritten since. */
  statusOf(graph: Graph, lock: Lockfile): (name: string) => StageStatus {
    const hashOf = (p: string) => this.hasher.hash(p);
    const restorable = this.restorable(graph);
    return (name) => stageStatus(graph.stages.get(name)!, lock.stages[name], hashOf, restorable);
  }

  /** What status needs to say how a missing output comes back: the cache, the default remote, which paths are outputs. */
  restorable(graph: Graph): Restorable {
    const outs = [...graph.producers.keys()];
    return {
      cached: (entry) => this.cache.complete(entry),
      remote: this.config.defaultRemote !== undefined && this.config.remotes[this.config.defaultRemote] !== undefined,
      isOutput: (path) => outs.some((o) => path === o || path.startsWith(`${o}/`)),
    };
  }

  /**
   * Hashes the dependencies and outputs of these stages in one parallel pass, so later lookups are memo hits. Stages
   * the lockfile has never seen are skipped: "never run" needs no hashes.
   */
  async hashStages(graph: Graph, lock: Lockfile, names: Iterable<string>, progress?: Progress): Promise<void> {
    const paths: string[] = [];
    for (const name of names) {
      const stage = graph.stages.get(name)!;
      if (stage.frozen || !lock.stages[name]) continue;
      paths.push(...stage.deps, ...stage.outs.map((o) => o.path));
    }
    await this.hasher.hashAll(paths, progress);
  }

  /** Whether a path exists, and whether it (or its nearest existing parent) resolves outside the workspace. */
  probe: PathProbe = (path) => {
    let realRoot: string;
    try {
      realRoot = realpathSync(this.root);
    } catch {
      realRoot = this.root;
    }
    let current = this.abs(path);
    let exists = true;
    for (;;) {
      try {
        const real = realpathSync(current);
        const rel = relative(realRoot, real);
        if (rel === '..' || rel.startsWith(`..${sep}`) || resolve(realRoot, rel) !== real) return 'outside';
        break;
      } catch {
        exists = false;
        const parent = dirname(current);
        if (parent === current) break;
        current = parent;
      }
    }
    if (!exists) return 'missing';
    try {
      statSync(this.abs(path));
      return 'ok';
    } catch {
      return 'missing';
    }
  };
}
