import { UsageError } from '../errors.js';
import { DEFAULT_PARAMS_FILE } from '../pipeline/parse.js';
import { readYaml } from '../pipeline/yaml.js';
import { formatValue } from '../util/format.js';

/** One `-S` option: a params key and the values to try. */
export interface ParamSweep {
  file: string;
  key: string;
  values: unknown[];
}

/** One experiment's overrides. */
export type ParamSet = { file: string; key: string; value: unknown }[];

/**
 * Parses `-S [file:]key=value[,value...]`. Values are YAML scalars (`0.1` a number, `true` a boolean, `adam` a
 * string); commas inside brackets or quotes do not split (`-S layers=[64,32]`).
 */
export function parseSweep(option: string): ParamSweep {
  const eq = option.indexOf('=');
  if (eq <= 0) throw new UsageError(`-S ${option}: expected [file:]key=value[,value...], e.g. -S train.lr=0.1,0.01`);
  const target = option.slice(0, eq);
  const colon = target.lastIndexOf(':');
  const file = colon > 0 ? target.slice(0, colon) : DEFAULT_PARAMS_FILE;
  const key = colon > 0 ? target.slice(colon + 1) : target;
  if (!key || key.startsWith('.') || key.endsWith('.')) throw new UsageError(`-S ${option}: \`${key}\` is not a params key`);
  const raw = splitTop(option.slice(eq + 1));
  if (raw.some((v) => v === '')) throw new UsageError(`-S ${option}: empty value`);
  // Read as params files are: integers beyond 2^53 keep their digits; what is not a YAML value is a string.
  const values = raw.map((v) => {
    const read = readYaml(v, '-S');
    return read.ok ? read.value : v;
  });
  return { file, key, values };
}

function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Every combination of the sweeps, the first option varying slowest. Options naming the same key are an error. */
export function combinations(sweeps: ParamSweep[]): ParamSet[] {
  const seen = new Set<string>();
  for (const s of sweeps) {
    const id = `${s.file}:${s.key}`;
    if (seen.has(id)) throw new UsageError(`-S names ${s.key} in ${s.file} twice; list its values once, separated by commas`);
    seen.add(id);
  }
  let sets: ParamSet[] = [[]];
  for (const s of sweeps) sets = sets.flatMap((set) => s.values.map((value) => [...set, { file: s.file, key: s.key, value }]));
  return sets;
}

/** `train.lr=0.1 train.epochs=5`, with the file named when it is not params.yaml. */
export function describeSet(set: ParamSet): string {
  return set.map((p) => `${p.file === DEFAULT_PARAMS_FILE ? '' : `${p.file}:`}${p.key}=${formatValue(p.value, true)}`).join(' ');
}
