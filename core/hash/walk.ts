import { lstatSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
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
  /** The stat the key was made from (for tree fingerprints). */
  st: BigIntStats;
}

/**
 * Modifications within this window of now are not trusted to the stat cache: file times tick coarsely (several ms on
 * Linux), so a second same-size write in the same tick would keep every stat field equal.
 */
export const RACY_WINDOW_MS = 50;
const RACY_WINDOW_NS = BigInt(RACY_WINDOW_MS) * 1_000_000n;

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

/**
 * Stat that follows a symbolic link, or `undefined` for a dangling one. lstat first: most entries are plain files,
 * and lstat on a string built by concatenation is the cheapest call per file (this runs for every file on status).
 */
function statFollowing(abs: string): BigIntStats | undefined {
  const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  return st?.isSymbolicLink() ? statSync(abs, { bigint: true, throwIfNoEntry: false }) : st;
}

/**
 * Every file under `dir` (following links to files and directories; dangling links are left out), sorted by path.
 * `dirs`, when given, receives the relative path of every directory visited, including empty ones.
 */
export function walkTree(dir: string, dirs?: string[]): WalkEntry[] {
  const out: WalkEntry[] = [];
  const now = nowNs();
  const visit = (abs: string, prefix: string) => {
    dirs?.push(prefix);
    for (const ent of readdirSync(abs, { withFileTypes: true })) {
      const full = `${abs}/${ent.name}`;
      const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        visit(full, rel);
        continue;
      }
      const st = statFollowing(full);
      if (!st) continue;
      if (st.isDirectory()) visit(full, rel);
      else if (st.isFile())
        out.push({ rel, abs: full, key: statKey(st), size: Number(st.size), exec: (st.mode & 0o111n) !== 0n, racy: isRacy(st, now), st });
    }
  };
  visit(dir, '');
  return out.sort((a, b) => compareStrings(a.rel, b.rel));
}

/** Stat-only fingerprint of a tree: equal when no file in it can have changed. */
export interface TreeSig {
  sig: string;
  nfiles: number;
  /** Some file changed within the racy window, so the fingerprint must not be trusted later. */
  racy: boolean;
}

/** Files per chunk of a directory's signature; fixed, so the signature does not depend on how work was split. */
export const SIG_CHUNK = 1024;

type Hasher = () => { update(d: Uint8Array): void; digest(): string };

/**
 * Signature of one chunk of a directory's files (names sorted): the hash of `name\0statKey` lines. Dangling links
 * and special files are left out, as in `walkTree`; links to directories are not expected here (the caller sorts
 * entries into files and directories).
 */
export function sigFiles(dir: string, names: string[], blake3: Hasher, now = nowNs()): TreeSig {
  // Names as text and the stat fields as raw 64-bit integers: turning five bigints per file into strings was the
  // largest cost after the stat calls themselves.
  let text = '';
  const fields = new BigInt64Array(names.length * SIG_FIELDS);
  let nfiles = 0;
  let racy = false;
  for (const name of names) {
    const st = statFollowing(`${dir}/${name}`);
    if (!st || !st.isFile()) continue;
    text += `${name}\n`;
    putFields(fields, nfiles, st);
    nfiles++;
    racy ||= isRacy(st, now);
  }
  return { sig: chunkDigest(text, fields, nfiles, blake3), nfiles, racy };
}

const SIG_FIELDS = 5;

function putFields(into: BigInt64Array, i: number, st: BigIntStats): void {
  const at = i * SIG_FIELDS;
  into[at] = st.ino;
  into[at + 1] = st.size;
  into[at + 2] = st.mtimeNs;
  into[at + 3] = st.ctimeNs;
  into[at + 4] = st.mode & 0o111n;
}

function chunkDigest(names: string, fields: BigInt64Array, n: number, blake3: Hasher): string {
  const h = blake3();
  h.update(Buffer.from(names));
  h.update(new Uint8Array(fields.buffer, 0, n * SIG_FIELDS * 8));
  return h.digest();
}

/** A directory's entries split into files and directories (following links), each sorted by name. */
export function listDir(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.isDirectory()) dirs.push(ent.name);
    else if (ent.isSymbolicLink()) {
      const st = statSync(join(dir, ent.name), { throwIfNoEntry: false });
      if (st?.isDirectory()) dirs.push(ent.name);
      else if (st?.isFile()) files.push(ent.name);
    } else files.push(ent.name);
  }
  files.sort(compareStrings);
  dirs.sort(compareStrings);
  return { files, dirs };
}

/** Combines the signatures of a directory's file chunks and subdirectories into its own. */
export function combineSig(chunks: TreeSig[], subdirs: [name: string, sig: TreeSig][], blake3: Hasher): TreeSig {
  const h = blake3();
  h.update(Buffer.from(`files\n${chunks.map((c) => c.sig).join('\n')}\ndirs\n${subdirs.map(([n, s]) => `${n}\0${s.sig}`).join('\n')}\n`));
  return {
    sig: h.digest(),
    nfiles: chunks.reduce((n, c) => n + c.nfiles, 0) + subdirs.reduce((n, [, s]) => n + s.nfiles, 0),
    racy: chunks.some((c) => c.racy) || subdirs.some(([, s]) => s.racy),
  };
}

/** The signature of a whole tree, computed on this thread. */
export function sigTree(dir: string, blake3: Hasher, now = nowNs()): TreeSig {
  const { files, dirs } = listDir(dir);
  const chunks: TreeSig[] = [];
  for (let i = 0; i < files.length; i += SIG_CHUNK) chunks.push(sigFiles(dir, files.slice(i, i + SIG_CHUNK), blake3, now));
  return combineSig(
    chunks,
    dirs.map((d) => [d, sigTree(join(dir, d), blake3, now)]),
    blake3,
  );
}

/** `sigTree` computed from a finished walk instead of new stat calls (the same value for the same tree). */
export function sigFromWalk(entries: WalkEntry[], dirs: string[], blake3: Hasher): TreeSig {
  const nodes = new Map<string, { files: WalkEntry[]; subdirs: string[] }>(dirs.map((d) => [d, { files: [], subdirs: [] }]));
  for (const d of dirs) {
    if (d === '') continue;
    const cut = d.lastIndexOf('/');
    nodes.get(cut < 0 ? '' : d.slice(0, cut))?.subdirs.push(cut < 0 ? d : d.slice(cut + 1));
  }
  for (const e of entries) {
    const cut = e.rel.lastIndexOf('/');
    nodes.get(cut < 0 ? '' : e.rel.slice(0, cut))!.files.push(e);
  }
  const name = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1);
  const sigOf = (dir: string): TreeSig => {
    const node = nodes.get(dir)!;
    const files = [...node.files].sort((a, b) => compareStrings(name(a.rel), name(b.rel)));
    const chunks: TreeSig[] = [];
    for (let i = 0; i < files.length; i += SIG_CHUNK) {
      const part = files.slice(i, i + SIG_CHUNK);
      const fields = new BigInt64Array(part.length * SIG_FIELDS);
      part.forEach((e, k) => putFields(fields, k, e.st));
      const text = part.map((e) => `${name(e.rel)}\n`).join('');
      chunks.push({ sig: chunkDigest(text, fields, part.length, blake3), nfiles: part.length, racy: part.some((e) => e.racy) });
    }
    const subdirs = [...node.subdirs].sort(compareStrings).map((n): [string, TreeSig] => [n, sigOf(dir ? `${dir}/${n}` : n)]);
    return combineSig(chunks, subdirs, blake3);
  };
  return sigOf('');
}
