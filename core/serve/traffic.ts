/**
 * Which version of a model answers a request: A/B weights over the declared versions, sticky per request key, and an
 * optional shadow version that also receives a share of the requests (its answers are compared, never returned).
 *
 * Pure: the only source of chance is the injected `random`; a sticky key is hashed (SHA-256, so the same key lands
 * in the same place on every machine and Node version). A key's point in [0, 1) does not depend on the policy, and
 * versions take the interval in declared order, so ramping the LAST version up (90/10 -> 80/20) moves only new keys
 * onto it: every key that already had it keeps it.
 */
import { createHash } from 'node:crypto';
import { GitmlError } from '../errors.js';

export interface TrafficPolicy {
  /** The model's versions, in declared order. */
  versions: string[];
  /**
   * A/B: the share of traffic per version, any non-negative numbers (normalised; a version left out gets none).
   * @default the last version gets all
   */
  weights?: Record<string, number>;
  /** Mirror `share` (0..1) of the requests answered by other versions to `version` as well. */
  shadow?: { version: string; share: number };
  /** The model's name, for messages. */
  model?: string;
}

/** One thing wrong with a policy; `path` is the key inside it (`weights.v3`, `shadow.share`). */
export interface TrafficProblem {
  path: string;
  message: string;
}

/** A traffic policy that cannot be followed; `problems` lists every issue, not only the first. */
export class TrafficPolicyError extends GitmlError {
  readonly problems: TrafficProblem[];
  constructor(problems: TrafficProblem[], model?: string) {
    const where = model ? `model ${model}: ` : '';
    super('E_SERVE_CONFIG', problems.map((p) => `${where}${p.path}: ${p.message}`).join('\n'), { data: { problems, ...(model ? { model } : {}) } });
    this.problems = problems;
  }
}

/** Every problem of `policy`, in the order of its keys; empty when the router can follow it. */
export function trafficProblems(policy: TrafficPolicy): TrafficProblem[] {
  const problems: TrafficProblem[] = [];
  const { versions, weights, shadow } = policy;
  if (!Array.isArray(versions) || !versions.length) return [{ path: 'versions', message: 'a model needs at least one version to serve' }];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (typeof v !== 'string' || !v) problems.push({ path: `versions[${i}]`, message: 'a version must be a non-empty string' });
    else if (seen.has(v)) problems.push({ path: `versions[${i}]`, message: `version \`${v}\` is listed twice` });
    else seen.add(v);
  });
  const known = versions.join(', ');
  if (weights !== undefined) {
    let sum = 0;
    for (const [v, w] of Object.entries(weights)) {
      if (!seen.has(v)) problems.push({ path: `weights.${v}`, message: `\`${v}\` is not one of the versions (${known}); weigh only declared versions` });
      else if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
        problems.push({ path: `weights.${v}`, message: `a weight must be a number >= 0, got ${JSON.stringify(w) ?? String(w)}` });
      else sum += w;
    }
    if (!problems.some((p) => p.path.startsWith('weights.')) && !(sum > 0))
      problems.push({ path: 'weights', message: 'the weights add up to 0, so no version would answer; give at least one version a positive weight' });
  }
  if (shadow !== undefined) {
    if (!seen.has(shadow.version))
      problems.push({ path: 'shadow.version', message: `\`${shadow.version}\` is not one of the versions (${known})` });
    else if (!problems.some((p) => p.path.startsWith('weights'))) {
      const answering = versions.filter((v) => weightOf(policy, v) > 0);
      if (answering.every((v) => v === shadow.version))
        problems.push({
          path: 'shadow.version',
          message: `\`${shadow.version}\` is the only version that answers, so there is nothing to compare it with; shadow a version that gets no traffic, or weigh another one`,
        });
    }
    if (typeof shadow.share !== 'number' || !(shadow.share >= 0 && shadow.share <= 1))
      problems.push({ path: 'shadow.share', message: `the share of requests mirrored must be between 0 and 1, got ${JSON.stringify(shadow.share) ?? String(shadow.share)}` });
  }
  return problems;
}

/** A version's weight as declared: 0 when `weights` leaves it out; without `weights`, 1 for the last version. */
function weightOf(policy: TrafficPolicy, version: string): number {
  if (!policy.weights) return version === policy.versions.at(-1) ? 1 : 0;
  return Object.hasOwn(policy.weights, version) ? policy.weights[version]! : 0;
}

/** A point in [0, 1) for `text`: the first 48 bits of its SHA-256. */
export function stablePoint(text: string): number {
  return createHash('sha256').update(text).digest().readUIntBE(0, 6) / 2 ** 48;
}

export class TrafficRouter {
  /** Each version's share of traffic, normalised to add up to 1, in declared order. */
  readonly shares: Readonly<Record<string, number>>;
  readonly shadow: { readonly version: string; readonly share: number } | undefined;
  private readonly versions: string[];
  /** Upper ends of the versions' intervals in [0, 1). */
  private readonly bounds: number[];
  /** The version a point at or past the last bound (rounding) goes to: the last one with traffic. */
  private readonly fallback: string;

  constructor(
    policy: TrafficPolicy,
    private readonly random: () => number = Math.random,
  ) {
    const problems = trafficProblems(policy);
    if (problems.length) throw new TrafficPolicyError(problems, policy.model);
    this.versions = [...policy.versions];
    const raw = this.versions.map((v) => weightOf(policy, v));
    const total = raw.reduce((s, w) => s + w, 0);
    let acc = 0;
    this.bounds = raw.map((w) => (acc += w / total));
    this.shares = Object.fromEntries(this.versions.map((v, i) => [v, raw[i]! / total]));
    this.fallback = this.versions[raw.findLastIndex((w) => w > 0)]!;
    this.shadow = policy.shadow ? { version: policy.shadow.version, share: policy.shadow.share } : undefined;
  }

  /**
   * The version that answers: drawn by the weights, or, with `key` (a user id, a session), the same version for the
   * same key every time, keys spreading over the versions by the weights.
   */
  choose(key?: string): string {
    const u = key === undefined ? this.random() : stablePoint(`route\0${key}`);
    // A version without traffic has an empty interval, so it is never returned.
    for (let i = 0; i < this.bounds.length; i++) if (u < this.bounds[i]!) return this.versions[i]!;
    return this.fallback;
  }

  /**
   * Whether this request also goes to the shadow version: never when `chosen` is the shadow; with `key`, the same
   * answer for the key every time (drawn independently of which version the key answers with); else by chance.
   */
  mirror(chosen: string, key?: string): boolean {
    if (!this.shadow || chosen === this.shadow.version) return false;
    const u = key === undefined ? this.random() : stablePoint(`shadow\0${key}`);
    return u < this.shadow.share;
  }
}
