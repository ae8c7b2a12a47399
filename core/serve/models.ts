/**
 * The models a server holds: each name with its versions (loaded ONNX files) and the router that picks a version for
 * a request. Reloading loads everything anew and swaps it in whole; a version being replaced is closed only once the
 * requests using it have finished.
 */
import { GitmlError } from '../errors.js';
import type { ModelSpec } from './config.js';
import { Batcher } from './batcher.js';
import { Model, type BatchPrediction } from './model.js';
import { openModel, type Predictor } from './model-thread.js';

/** Picks the version that answers and whether a request is mirrored to the shadow (traffic.ts). */
export interface Router {
  choose(key?: string): string;
  mirror(chosen: string, key?: string): boolean;
}

export type MakeRouter = (spec: { versions: string[]; weights?: Record<string, number>; shadow?: { version: string; share: number } }) => Router;

/** Two models or versions with one name, or a version the traffic settings name that does not exist. */
export class ServeSetupError extends GitmlError {
  constructor(message: string) {
    super('E_SERVE_CONFIG', message, { exitCode: 2 });
  }
}

/** A loaded version, counted while requests use it. */
export class Served {
  private users = 0;
  private retired = false;
  private readonly batcher: Batcher;
  constructor(
    readonly name: string,
    readonly version: string,
    readonly model: Predictor,
  ) {
    this.batcher = new Batcher(model);
  }

  /** Predicts checked input columns in a run shared with the requests beside it (batcher.ts). */
  predict(columns: Record<string, Float64Array | readonly string[]>): Promise<BatchPrediction> {
    return this.batcher.predict(columns);
  }

  /** Whether the session is closed: a request must look its model up again (a reload replaced it). */
  get closed(): boolean {
    return this.retired && this.users === 0;
  }

  acquire(): void {
    // Running a closed session would crash the process, not fail the request.
    if (this.closed) throw new Error(`model ${this.name} version ${this.version} was replaced by a reload`);
    this.users++;
  }

  release(): void {
    this.users--;
    if (this.retired && this.users === 0) void this.model.close();
  }

  /** Closes the session now if unused, else when the last request using it finishes. */
  retire(): void {
    this.retired = true;
    if (this.users === 0) void this.model.close();
  }
}

export interface ServedModel {
  name: string;
  /** In declared order. */
  versions: Map<string, Served>;
  router: Router;
  sticky: string;
  shadow?: { version: string; share: number; tolerance: number };
}

/** Models loaded and not yet served (`ModelSet.prepare`). */
export interface PreparedModels {
  readonly models: ReadonlyMap<string, ServedModel>;
  commit(): void;
  abort(): void;
}

export class ModelSet {
  private byName = new Map<string, ServedModel>();

  constructor(
    private readonly specs: ModelSpec[],
    private readonly makeRouter: MakeRouter,
    /** Run each version's model on a thread of its own (model-thread.ts), where a core is free for it. */
    private readonly ownThreads = false,
  ) {}

  private loading: Promise<unknown> = Promise.resolve();

  /**
   * Loads every version; the set is unchanged when any fails. Loads run one after another, so the last one asked for
   * is the one that stays (two reloads at once could otherwise finish in the other order).
   */
  async load(): Promise<void> {
    (await this.prepare()).commit();
  }

  /**
   * Loads every version without serving them yet: `commit` swaps them in (the old ones close once unused), `abort`
   * closes them. Several server processes reload together this way: each prepares, and all commit only when every one
   * could load the files.
   */
  prepare(): Promise<PreparedModels> {
    const next = this.loading.then(() => this.build());
    this.loading = next.catch(() => undefined);
    return next.then((models) => ({
      models,
      commit: () => {
        const old = this.byName;
        this.byName = models;
        for (const m of old.values()) for (const s of m.versions.values()) s.retire();
      },
      abort: () => {
        for (const m of models.values()) for (const s of m.versions.values()) s.retire();
      },
    }));
  }

  private async build(): Promise<Map<string, ServedModel>> {
    const next = new Map<string, ServedModel>();
    const loaded: Served[] = [];
    try {
      for (const spec of this.specs) {
        const versions = new Map<string, Served>();
        let name = spec.name;
        for (const v of spec.versions) {
          const model = this.ownThreads ? await openModel(v.path) : await Model.load(v.path);
          name ??= model.signature.name;
          const version = v.version ?? model.signature.model_version;
          const served = new Served(name, version, model);
          loaded.push(served);
          if (versions.has(version)) throw new ServeSetupError(`model ${name}: version ${version} is served twice (${v.path}); give each file its own \`version\``);
          versions.set(version, served);
        }
        const existing = next.get(name!);
        if (existing && !spec.merge) throw new ServeSetupError(`model ${name} is declared twice; list its files as versions of one entry`);
        if (existing) {
          // The same name from the command line again: more versions of that model.
          for (const [v, s] of versions) {
            if (existing.versions.has(v)) throw new ServeSetupError(`model ${name}: version ${v} is served twice`);
            existing.versions.set(v, s);
          }
          existing.router = this.makeRouter({ versions: [...existing.versions.keys()] });
          continue;
        }
        const names = [...versions.keys()];
        for (const v of [...Object.keys(spec.weights ?? {}), ...(spec.shadow ? [spec.shadow.version] : [])])
          if (!versions.has(v)) throw new ServeSetupError(`model ${name}: traffic names version ${v}, which is not served (versions: ${names.join(', ')})`);
        next.set(name!, {
          name: name!,
          versions,
          router: this.makeRouter({ versions: names, ...(spec.weights ? { weights: spec.weights } : {}), ...(spec.shadow ? { shadow: spec.shadow } : {}) }),
          sticky: spec.sticky,
          ...(spec.shadow ? { shadow: spec.shadow } : {}),
        });
      }
    } catch (err) {
      for (const s of loaded) s.retire();
      throw err;
    }
    return next;
  }

  get(name: string): ServedModel | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The first model: what `/invocations` answers with when the request names none. */
  first(): ServedModel | undefined {
    return this.byName.values().next().value;
  }

  /** Closes every session once unused. */
  close(): void {
    for (const m of this.byName.values()) for (const s of m.versions.values()) s.retire();
    this.byName = new Map();
  }
}
