/* Generated from schemas/config.schema.json by scripts/gen-types.mjs; do not edit by hand. */

/**
 * reflink: copy-on-write clone; hardlink and symlink: the workspace file is the read-only cache object; copy: a plain copy.
 *
 * This interface was referenced by `MlConfig`'s JSON-Schema
 * via the `definition` "linkMode".
 */
export type LinkMode = 'reflink' | 'hardlink' | 'symlink' | 'copy';

/**
 * gitml settings (.ml/config.yaml, shared through git; .ml/config.local.yaml overrides it on one machine).
 */
export interface MlConfig {
  cache?: CacheConfig;
  /**
   * Stages run at once by `gitml repro` when -j is not given. Default: the number of CPU cores.
   */
  jobs?: number;
}
export interface CacheConfig {
  /**
   * How outputs are placed from the cache into the workspace: the first mode that works on this filesystem is used. Default: [reflink, copy].
   */
  link?: LinkMode | [LinkMode, ...LinkMode[]];
}
