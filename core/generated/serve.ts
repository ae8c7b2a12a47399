/* Generated from schemas/serve.schema.json by scripts/gen-types.mjs; do not edit by hand. */

/**
 * `gitml serve --config FILE`: the models served, their versions and traffic, limits, the prediction log. Paths are relative to the file.
 */
export interface ServeConfig {
  host?: string;
  port?: number;
  /**
   * @minItems 1
   */
  models: [Model, ...Model[]];
  /**
   * The largest request body in bytes; larger ones get 413. Default 1048576.
   */
  body_limit?: number;
  /**
   * A request must arrive whole within this. Default 10000.
   */
  request_timeout_ms?: number;
  log?: {
    /**
     * The prediction log (NDJSON).
     */
    path: string;
    /**
     * The share of requests logged, 0 to 1. Default 1.
     */
    sample?: number;
    /**
     * Start a new file past this size.
     */
    max_mb?: number;
    /**
     * Start a new file after this long.
     */
    max_minutes?: number;
  };
  /**
   * Where `POST /v2/models/{name}/feedback` appends ground truth (NDJSON). Default logs/feedback.ndjson beside the prediction log, else off.
   */
  feedback?: string;
  /**
   * Server processes sharing the port, each with its own copy of the models; `auto` starts one per core. Default 1.
   */
  workers?: number | string;
  /**
   * The environment variable holding the token of `POST /admin/reload`. Without it the endpoint is off.
   */
  admin_token_env?: string;
}
/**
 * This interface was referenced by `ServeConfig`'s JSON-Schema
 * via the `definition` "model".
 */
export interface Model {
  /**
   * Default: the name in the first version's signature.
   */
  name?: string;
  /**
   * @minItems 1
   */
  versions: [Version, ...Version[]];
  /**
   * A/B: version -> share of the requests that name no version (any positive numbers). Default: the last version takes all.
   */
  weights?: {
    [k: string]: number;
  };
  /**
   * A request header whose value keeps a caller on one version (and in or out of the shadow). Default x-request-key.
   */
  sticky?: string;
  shadow?: {
    version: string;
    /**
     * The share of requests also sent to the shadow version, 0 to 1.
     */
    share: number;
    /**
     * Regression and scores: answers within this agree. Default 1e-6.
     */
    tolerance?: number;
  };
}
/**
 * This interface was referenced by `ServeConfig`'s JSON-Schema
 * via the `definition` "version".
 */
export interface Version {
  /**
   * An ONNX file gitml/model/package wrote.
   */
  path: string;
  /**
   * Default: the model's content version from its signature.
   */
  version?: string;
}
