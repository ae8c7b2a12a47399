/* Generated from schemas/config.schema.json by scripts/gen-types.mjs; do not edit by hand. */

/**
 * reflink: copy-on-write clone; hardlink and symlink: the workspace file is the read-only cache object; copy: a plain copy.
 *
 * This interface was referenced by `MlConfig`'s JSON-Schema
 * via the `definition` "linkMode".
 */
export type LinkMode = 'reflink' | 'hardlink' | 'symlink' | 'copy';
/**
 * A GitHub Actions `runs-on` value: one label, or a list a runner must carry all of.
 *
 * This interface was referenced by `MlConfig`'s JSON-Schema
 * via the `definition` "runner".
 */
export type Runner = string | [string, ...string[]];

/**
 * gitml settings (.ml/config.yaml, shared through git; .ml/config.local.yaml overrides it on one machine).
 */
export interface MlConfig {
  cache?: CacheConfig;
  /**
   * Stages run at once by `gitml repro` when -j is not given. Default: the number of CPU cores.
   */
  jobs?: number;
  /**
   * Data remotes by name: where `gitml push` sends cache objects and `gitml pull`/`fetch` get them from.
   */
  remotes?: {
    [k: string]: RemoteConfig;
  };
  /**
   * The remote push, pull, fetch and `status --remote` use when -r is not given.
   */
  default_remote?: string;
  ci?: CiConfig;
}
export interface CacheConfig {
  /**
   * How outputs are placed from the cache into the workspace: the first mode that works on this filesystem is used. Default: [reflink, copy].
   */
  link?: LinkMode | [LinkMode, ...LinkMode[]];
}
/**
 * One remote. Keys other than url can come from .ml/config.local.yaml (credentials belong there) or the AWS environment variables.
 *
 * This interface was referenced by `MlConfig`'s JSON-Schema
 * via the `definition` "remote".
 */
export interface RemoteConfig {
  /**
   * A directory (absolute, or relative to the workspace root) or s3://bucket/prefix.
   */
  url?: string;
  /**
   * S3: a custom endpoint URL (MinIO, Ceph, R2, ...). Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS.
   */
  endpoint?: string;
  /**
   * S3: the bucket's region. Default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.
   */
  region?: string;
  /**
   * S3: access key id. Default: AWS_ACCESS_KEY_ID or the AWS SDK's credential chain.
   */
  access_key_id?: string;
  /**
   * S3: secret access key. Default: AWS_SECRET_ACCESS_KEY.
   */
  secret_access_key?: string;
  /**
   * S3: session token for temporary credentials. Default: AWS_SESSION_TOKEN.
   */
  session_token?: string;
  /**
   * S3: address the bucket as endpoint/bucket rather than bucket.endpoint. Default: true with a custom endpoint.
   */
  force_path_style?: boolean;
}
/**
 * Continuous integration: what `gitml plan` tells the CI about where each group of stages runs.
 */
export interface CiConfig {
  /**
   * Runner labels by name. A group of stages needing a GPU runs on `gpu`; one whose `resources.labels` name another key runs on that; the rest on `default` (default: ubuntu-latest).
   */
  runners?: {
    [k: string]: Runner;
  };
}
