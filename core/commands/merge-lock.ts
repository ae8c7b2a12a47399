import fs from 'node:fs';
import { GitmlError } from '../errors.js';
import { emptyLockfile, parseLockfile, serializeLockfile } from '../lockfile/lockfile.js';
import { mergeLockfiles } from '../lockfile/merge.js';
import { writeFileAtomic } from '../util/fs.js';

/** The name git knows the driver by, in `.gitattributes` and `.git/config`. */
export const MERGE_DRIVER = 'gitml-lock';

/**
 * The git merge driver for ml.lock.json (`%O %A %B %P`): merges stage by stage into `ours`, the file git reads back.
 * A stage changed on both sides is a conflict: `ours` still gets a valid merged lockfile (our entry for that stage)
 * and the error names the stage, so git marks the file conflicted without breaking its JSON.
 */
export function mergeLock(opts: { base: string; ours: string; theirs: string; path?: string }): { conflicts: string[] } {
  const label = opts.path ?? 'ml.lock.json';
  const read = (file: string, side: string) => {
    const text = fs.readFileSync(file, 'utf8');
    // git passes an empty file for a side where the lockfile does not exist.
    return text.trim() ? parseLockfile(text, label, side) : emptyLockfile();
  };
  const { merged, conflicts } = mergeLockfiles(read(opts.base, 'common ancestor'), read(opts.ours, 'ours'), read(opts.theirs, 'theirs'));
  writeFileAtomic(opts.ours, serializeLockfile(merged));
  if (conflicts.length) {
    const list = conflicts.map((c) => `\`${c}\``).join(', ');
    throw new GitmlError(
      'E_LOCK_CONFLICT',
      `${label}: ${conflicts.length === 1 ? 'stage' : 'stages'} ${list} changed on both branches; the file keeps this branch's ${conflicts.length === 1 ? 'entry' : 'entries'}. Run \`gitml repro ${conflicts.join(' ')}\`, then \`git add ${label}\``,
      { data: { conflicts }, exitCode: 1 },
    );
  }
  return { conflicts };
}
