/**
 * JSON with object keys sorted at every depth, so equal values always serialize to equal bytes (used for the
 * lockfile, directory manifests and anything hashed). Values JSON cannot hold keep their identity through
 * `encodeSpecial`: NaN, infinities and integers beyond 2^53 each stay distinct from `null` and from each other.
 */
export function canonicalJson(value: unknown, indent = 0): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

export function sortKeys(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'bigint') return encodeSpecial(value);
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareStrings)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Code-unit order, independent of locale, so every machine sorts the same way. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Labels (class names, categories) in a stable order: numeric ones by value (2 before 10), others alphabetically. */
export function compareLabels(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return compareStrings(a, b);
}

/** Structural equality of JSON-like values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * A number JSON cannot write, as a one-key object: `{"$float": "nan" | "inf" | "-inf"}`, or `{"$int": "<digits>"}` for
 * an integer beyond 2^53 (read from YAML as a `bigint`). Every other number is itself.
 */
export function encodeSpecial(value: number | bigint): unknown {
  if (typeof value === 'bigint') return { $int: value.toString() };
  if (Number.isFinite(value)) return value;
  return { $float: Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf' };
}

/** `JSON.stringify` replacer for output meant for people and scripts (`--json`): the same encoding as the lockfile. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'bigint' ? encodeSpecial(value) : value;
}

/** The inverse of `encodeSpecial`, at every depth of a value read from JSON. */
export function decodeSpecial(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeSpecial);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const obj = value as Record<string, unknown>;
  if (keys.length === 1) {
    const f = obj.$float;
    if (f === 'nan') return NaN;
    if (f === 'inf') return Infinity;
    if (f === '-inf') return -Infinity;
    const i = obj.$int;
    if (typeof i === 'string' && /^-?\d+$/.test(i)) {
      const big = BigInt(i);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = decodeSpecial(obj[k]);
  return out;
}
