import { join } from 'node:path';
import { readTextOrNull, writeFileAtomic } from '../util/fs.js';

export interface IgnoreUpdate {
  /** Cached outputs to ignore: their content lives in the cache and the lockfile, so git must not hold it too. */
  add: string[];
  /** Outputs of stages removed from ml.yaml: their `/path` lines go (lines the user wrote another way stay). */
  drop?: string[];
  /** Every cached output of the pipeline now; their `/path` lines at the end of the file are ours to keep sorted. */
  outputs?: Iterable<string>;
}

/**
 * Keeps the workspace `.gitignore` listing the cached outputs. Lines the user wrote stay where they are. The block of
 * output lines at the end of the file is kept sorted, so the file comes out the same whatever order parallel stages
 * finish in. Returns the lines dropped.
 */
export function updateIgnored(root: string, update: IgnoreUpdate): string[] {
  const file = join(root, '.gitignore');
  const text = readTextOrNull(file) ?? '';
  const original = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const drop = new Set((update.drop ?? []).map((p) => `/${p}`));
  const lines = original.filter((l) => !drop.has(l.trim()));
  const dropped = original.filter((l) => drop.has(l.trim()));

  const have = new Set(lines.map((l) => l.trim()));
  const add = update.add.map((p) => `/${p}`).filter((l) => !have.has(l) && !have.has(l.slice(1)));
  const ours = new Set([...update.add, ...(update.outputs ?? [])].map((p) => `/${p}`));
  let start = lines.length;
  while (start > 0 && ours.has(lines[start - 1]!)) start--;
  const block = [...new Set([...lines.slice(start), ...add])].sort();
  const next = [...lines.slice(0, start), ...block];

  if (next.length === original.length && next.every((l, i) => l === original[i])) return dropped;
  writeFileAtomic(file, next.length ? `${next.join('\n')}\n` : '');
  return dropped;
}
