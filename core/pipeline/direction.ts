/** Which way is better for a metric. */
export type Direction = 'higher' | 'lower';

/**
 * Which way is better for a (dotted) metric key, as a metrics file's `better:` says: the key itself, else its last
 * segment, so `recall: higher` also covers `per_class.cat.recall`.
 */
export function directionOf(better: Readonly<Record<string, Direction>> | undefined, key: string): Direction | undefined {
  if (!better) return undefined;
  return better[key] ?? better[key.slice(key.lastIndexOf('.') + 1)];
}
