import { readdirSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from '../util/canonical.js';

/** A file found under a directory, with what the stat cache compares. */
export interface WalkEntry {
  /** Relative to the walked directory, POSIX. */
  rel: string;
  abs: string;
  key: string;
  size: number;
  exec: boolean;
  /** Changed so recently that an edit within the same clock tick could go unseen: never cached. */
  racy: boolean;
}

/**
 * Modifications within this window of now are not trusted to the stat cache: file times tick coarsely (several ms on
 * Linux), so a second same-size write in the same tick would keep every stat field equal.
 */
const RACY_WINDOW_NS = 50_000_000n;

/**
 * The stat fields that change whenever content can have changed: inode, size, mtime and ctime in nanoseconds
 * (ctime cannot be set back by a user, so restoring an old mtime after an edit is still seen), and the exec bit.
 */
export function statKey(st: BigIntStats): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode & 0o111n ? 1 : 0}`;
}

export function isRacy(st: BigIntStats, nowNs: bigint): boolean {
  const latest = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
  return latest > nowNs - RACY_WINDOW_NS;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** Every file under `dir` (following links to files and directories; dangling links are left out), sorted by path. */
export function walkTree(dir: string): WalkEntry[] {
  const out: WalkEntry[] = [];
  const now = nowNs();
  const visit = (abs: string, prefix: string) => {
    for (const ent of readdirSync(abs, { withFileTypes: true })) {
      const full = join(abs, ent.name);
      const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        visit(full, rel);
        continue;
      }
      const st = statSync(full, { bigint: true, throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) visit(full, rel);
      else if (st.isFile()) out.push({ rel, abs: full, key: statKey(st), size: Number(st.size), exec: (st.mode & 0o111n) !== 0n, racy: isRacy(st, now) });
    }
  };
  visit(dir, '');
  return out.sort((a, b) => compareStrings(a.rel, b.rel));
}
