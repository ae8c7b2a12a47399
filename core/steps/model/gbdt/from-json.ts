/** Reads a saved gbdt model back, checking its shape so that a damaged file is an error, never a wrong prediction. */
import type { EpochRecord } from '../types.js';
import { GbdtModelFormatError } from './errors.js';
import { GBDT_FORMAT, GBDT_FORMAT_VERSION, GbdtModel, type GbdtJson } from './model.js';
import { resolveGbdtSettings, type GbdtSettings } from './settings.js';
import type { GbdtTree } from './tree.js';

/** A model from `GbdtModel.toJSON()` output, or its JSON text. */
export function gbdtFromJSON(json: GbdtJson | string): GbdtModel {
  let j: unknown = json;
  if (typeof json === 'string') {
    try {
      j = JSON.parse(json);
    } catch (e) {
      throw new GbdtModelFormatError(`its JSON does not parse (${(e as Error).message})`);
    }
  }
  if (!isObject(j)) throw new GbdtModelFormatError('expected an object');
  if (j.format !== GBDT_FORMAT) throw new GbdtModelFormatError(`format is ${JSON.stringify(j.format)}, expected "${GBDT_FORMAT}"`);
  if (j.version !== GBDT_FORMAT_VERSION) {
    throw new GbdtModelFormatError(
      `version ${JSON.stringify(j.version)} is not one this gitml reads (${GBDT_FORMAT_VERSION}); retrain the model or upgrade gitml`,
    );
  }
  if (!isObject(j.settings)) throw new GbdtModelFormatError('settings: expected an object');
  const { classes, ...rest } = j.settings as Record<string, unknown>;
  let settings: GbdtSettings;
  try {
    const resolved = resolveGbdtSettings({
      ...(rest as { task: GbdtSettings['task'] }),
      ...(classes ? { classes: classes as number } : {}),
    });
    settings = { ...resolved, classes: resolved.task === 'regression' ? 0 : (resolved.classes ?? 2) };
  } catch (e) {
    throw new GbdtModelFormatError(`settings: ${(e as Error).message}`);
  }
  if (j.task !== settings.task)
    throw new GbdtModelFormatError(`task ${JSON.stringify(j.task)} disagrees with settings.task ${JSON.stringify(settings.task)}`);
  const features = j.features;
  if (!Number.isInteger(features) || (features as number) < 1) throw new GbdtModelFormatError('features: expected a positive integer');
  const k = settings.task === 'multiclass' ? settings.classes : 1;
  if (j.trees_per_round !== k) throw new GbdtModelFormatError(`trees_per_round: expected ${k}, got ${JSON.stringify(j.trees_per_round)}`);
  const baseline = numbers(j.baseline, 'baseline');
  if (baseline.length !== k) throw new GbdtModelFormatError(`baseline: expected ${k} values, got ${baseline.length}`);
  if (!Array.isArray(j.trees) || j.trees.length % k !== 0)
    throw new GbdtModelFormatError(`trees: expected a list of a multiple of ${k} trees`);
  if (j.rounds !== j.trees.length / k)
    throw new GbdtModelFormatError(`rounds: ${JSON.stringify(j.rounds)} disagrees with the ${j.trees.length} trees`);
  const trees = j.trees.map((t, i) => readTree(t, `trees[${i}]`, features as number));
  if (!Array.isArray(j.history) || !j.history.every((h) => isObject(h) && Number.isInteger(h.epoch))) {
    throw new GbdtModelFormatError('history: expected a list of epoch records');
  }
  return new GbdtModel({
    settings,
    features: features as number,
    baseline: Float64Array.from(baseline),
    trees,
    history: j.history as EpochRecord[],
  });
}

function readTree(t: unknown, at: string, features: number): GbdtTree {
  if (!isObject(t)) throw new GbdtModelFormatError(`${at}: expected an object`);
  const feature = numbers(t.feature, `${at}.feature`);
  const n = feature.length;
  if (n === 0) throw new GbdtModelFormatError(`${at}: a tree needs at least one node`);
  const threshold = numbers(t.threshold, `${at}.threshold`, true);
  const left = numbers(t.left, `${at}.left`);
  const right = numbers(t.right, `${at}.right`);
  const missingLeft = numbers(t.missing_left, `${at}.missing_left`);
  const value = numbers(t.value, `${at}.value`);
  const gain = numbers(t.gain, `${at}.gain`);
  const count = numbers(t.count, `${at}.count`);
  for (const [name, a] of Object.entries({ threshold, left, right, missing_left: missingLeft, value, gain, count })) {
    if (a.length !== n) throw new GbdtModelFormatError(`${at}.${name}: ${a.length} values for ${n} nodes`);
  }
  for (let i = 0; i < n; i++) {
    const f = feature[i]!;
    if (f === -1) continue;
    // Children after their parent: the walk from the root always ends at a leaf.
    if (!Number.isInteger(f) || f < 0 || f >= features)
      throw new GbdtModelFormatError(`${at}.feature[${i}]: ${f} is not a feature index below ${features}`);
    for (const [name, c] of [
      ['left', left[i]!],
      ['right', right[i]!],
    ] as const) {
      if (!Number.isInteger(c) || c <= i || c >= n) throw new GbdtModelFormatError(`${at}.${name}[${i}]: ${c} is not a node after ${i}`);
    }
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    missingLeft: Uint8Array.from(missingLeft, (v) => (v ? 1 : 0)),
    value: Float64Array.from(value),
    gain: Float64Array.from(gain),
    count: Int32Array.from(count),
  };
}

function numbers(a: unknown, at: string, nullIsInfinity = false): number[] {
  if (!Array.isArray(a)) throw new GbdtModelFormatError(`${at}: expected a list of numbers`);
  return a.map((v, i) => {
    if (v === null && nullIsInfinity) return Infinity;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new GbdtModelFormatError(`${at}[${i}]: expected a number, got ${JSON.stringify(v)}`);
    return v;
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
