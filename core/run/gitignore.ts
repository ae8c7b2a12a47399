import { join } from 'node:path';
import { readTextOrNull, writeFileAtomic } from '../util/fs.js';

/**
 * Adds cached outputs to the workspace `.gitignore`: their content lives in the cache and the lockfile, so
 * committing them to git as well would double the repository. Existing lines are kept as they are.
 */
export function ignoreOutputs(root: string, paths: string[]): void {
  if (!paths.length) return;
  const file = join(root, '.gitignore');
  const text = readTextOrNull(file) ?? '';
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const add = paths.map((p) => `/${p}`).filter((l) => !have.has(l) && !have.has(l.slice(1)));
  if (!add.length) return;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileAtomic(file, `${text}${sep}${add.join('\n')}\n`);
}
