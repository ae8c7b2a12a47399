import type { ResolvedConfig, ResolvedRemote } from '../config.js';
import { suggest } from '../util/suggest.js';
import { NoDefaultRemoteError, UnknownRemoteError } from './errors.js';

/**
 * Storage for cache objects and run-cache entries, addressed by key: a POSIX path relative to the remote's root that
 * mirrors `.ml/cache` (`blake3/ab/cdef...` for an object, `runs/ab/cdef....json` for a run-cache entry).
 *
 * A store only moves bytes; checking that what arrives matches its hash is the caller's job.
 */
export interface RemoteStore {
  readonly name: string;
  readonly url: string;
  /**
   * Throws a `RemoteUnreachableError` when the remote cannot be used (no such directory or bucket, refused credentials).
   * With `create` (a push), a directory remote that does not exist yet is made, as `dvc push` does.
   */
  check(opts?: { create?: boolean }): Promise<void>;
  /** The subset of `keys` the remote holds. */
  has(keys: readonly string[]): Promise<Set<string>>;
  /** Every key under `prefix` (which ends with `/`). */
  list(prefix: string): Promise<string[]>;
  /** Downloads `key` into the local file `dest` (created or replaced); `false` when the remote does not hold it. */
  get(key: string, dest: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * Uploads the local file `src` (or, for bytes already read and checked, those bytes) as `key`; a reader never sees
   * a partly written object.
   */
  put(key: string, src: string | Uint8Array, signal?: AbortSignal): Promise<void>;
  /** Deletes what interrupted uploads left (a store whose uploads are atomic has none); returns how many. */
  removeStaleUploads?(): Promise<number>;
  close(): void;
}

export interface OpenRemoteOptions {
  /** The workspace root a relative directory remote is resolved against. */
  root: string;
  /** Requests in flight at once when the store checks many keys. @default 8 */
  jobs?: number;
  /** Where AWS_* settings are read from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export const OBJECTS_PREFIX = 'blake3/';
export const RUNS_PREFIX = 'runs/';

/** `blake3:<hex>` -> `blake3/<2 hex>/<62 hex>`. */
export function objectKey(hash: string): string {
  const [alg, hex] = hash.split(':') as [string, string];
  return `${alg}/${hex.slice(0, 2)}/${hex.slice(2)}`;
}

/** The inverse of `objectKey`, or `undefined` for a key that is not an object's. */
export function hashOfKey(key: string): string | undefined {
  const m = /^blake3\/([0-9a-f]{2})\/([0-9a-f]{62})$/.exec(key);
  return m ? `blake3:${m[1]}${m[2]}` : undefined;
}

/** A stage key (`blake3:<hex>`) -> its run-cache entry's key, `runs/<2 hex>/<62 hex>.json`. */
export function runKey(stageKey: string): string {
  const hex = stageKey.split(':')[1]!;
  return `${RUNS_PREFIX}${hex.slice(0, 2)}/${hex.slice(2)}.json`;
}

/** The inverse of `runKey`. */
export function stageKeyOfRunKey(key: string): string | undefined {
  const m = /^runs\/([0-9a-f]{2})\/([0-9a-f]+)\.json$/.exec(key);
  return m ? `blake3:${m[1]}${m[2]}` : undefined;
}

/** The remote called `name`, or the default one; unknown names get a did-you-mean. */
export function selectRemote(config: Pick<ResolvedConfig, 'remotes' | 'defaultRemote'>, name?: string): ResolvedRemote {
  const known = Object.keys(config.remotes).sort();
  const wanted = name ?? config.defaultRemote;
  if (wanted === undefined) throw new NoDefaultRemoteError(known);
  const remote = config.remotes[wanted];
  if (!remote) throw new UnknownRemoteError(wanted, suggest(wanted, known), known);
  return remote;
}

/** Opens a store for `remote`. The S3 client is loaded only here, and only for an S3 remote. */
export async function openRemote(remote: ResolvedRemote, opts: OpenRemoteOptions): Promise<RemoteStore> {
  if (remote.location.kind === 'dir') {
    const { DirRemote } = await import('./dir.js');
    return new DirRemote(remote, remote.location, opts.root);
  }
  const { S3Remote } = await import('./s3.js');
  return S3Remote.create(remote, remote.location, { jobs: opts.jobs ?? 8, env: opts.env ?? process.env });
}
