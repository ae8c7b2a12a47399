import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { WorkspaceBusyError } from '../errors.js';
import { removeStaleTemps, writeFileAtomic } from '../util/fs.js';
import { processExists } from '../util/process.js';
import { prepareStateDir } from '../workspace.js';
import type { ProcessGroup } from './processes.js';

const GUARD_FILE = '.ml/state/running.pid';

/** How long stage commands left by a killed gitml get to stop after SIGTERM before SIGKILL. */
const ORPHAN_GRACE_MS = 3000;

/** A process as the guard records it: its id and, where the system says, when it started (to tell a reused id). */
interface ProcessRef {
  pid: number;
  start?: string;
}

/** What `.ml/state/running.pid` holds: the gitml process and the process groups of the stage commands it runs. */
interface GuardRecord extends ProcessRef {
  /** The machine it ran on: process ids mean nothing on another one (a workspace on a shared disk). */
  host?: string;
  groups: ProcessRef[];
}

export interface GuardOptions {
  /** The stage commands this process runs; their process groups are recorded in the guard while they run. */
  processes?: ProcessGroup;
  /** Where the takeover of a stale guard is reported. @default stderr */
  warn?: (line: string) => void;
}

/**
 * Makes sure only one gitml process changes a workspace at a time (two `repro`s would race on outputs and on
 * ml.lock.json). The guard records the process groups of running stage commands. A guard left by a process that no
 * longer exists is taken over, after stopping the stage commands it left running (they would otherwise keep writing
 * outputs beside the new run). Temporary files that killed processes left are removed. Returns the release function.
 */
export function acquireWorkspaceGuard(root: string, opts: GuardOptions = {}): () => void {
  prepareStateDir(root);
  const file = join(root, GUARD_FILE);
  // A command that holds the guard may call another that takes it too (`exp apply` runs `checkout`): the inner one
  // shares it, and only the outermost release lets it go.
  const mine = heldHere.get(file);
  if (mine) {
    mine.depth++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      mine.depth--;
    };
  }
  const release = acquire(root, file, opts);
  const entry = { depth: 1 };
  heldHere.set(file, entry);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--entry.depth > 0) return;
    heldHere.delete(file);
    release();
  };
}

/** Guards this process holds, by guard file, with how many callers share each. */
const heldHere = new Map<string, { depth: number }>();

function acquire(root: string, file: string, opts: GuardOptions): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const self = { pid: process.pid, ...startOf(process.pid), host: hostname() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, serialize({ ...self, groups: [] }));
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = readGuard(file);
      if (held && held.pid !== process.pid && isSameProcess(held)) throw new WorkspaceBusyError(held.pid, GUARD_FILE);
      if (held && held.pid !== process.pid) stopOrphans(held, warn);
      rmSync(file, { force: true });
      continue;
    }
    removeStaleTemps(root);
    let released = false;
    const unwatch = opts.processes?.watch((pgids) => {
      if (released) return;
      const groups = pgids.map((pgid) => ({ pid: pgid, ...startOf(pgid) }));
      try {
        // Only a killed process's successor reads this, on the same running machine: no need to flush it to disk.
        writeFileAtomic(file, serialize({ ...self, groups }), { fsync: false });
      } catch {
        // Best effort: a full disk must not stop the stages; the guard still holds the workspace.
      }
    });
    return () => {
      if (released) return;
      released = true;
      unwatch?.();
      rmSync(file, { force: true });
    };
  }
  throw new WorkspaceBusyError(0, GUARD_FILE);
}

/**
 * Takes over a stale guard now: stops the stage commands its dead gitml left running and removes it. A command that
 * hashes the workspace before it acquires the guard calls this first, so that no orphan writes while it reads.
 */
export function takeOverStaleGuard(root: string, opts: Pick<GuardOptions, 'warn'> = {}): void {
  const file = join(root, GUARD_FILE);
  const held = readGuard(file);
  if (!held || held.pid === process.pid || isSameProcess(held)) return;
  stopOrphans(held, opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`)));
  rmSync(file, { force: true });
}

function serialize(record: GuardRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** The guard's record; an older gitml wrote the bare pid. `undefined` when it is unreadable (taken over). */
function readGuard(file: string): GuardRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (/^\d+$/.test(text)) return { pid: Number(text), groups: [] };
  try {
    const r = JSON.parse(text) as Partial<GuardRecord>;
    if (!Number.isInteger(r.pid) || (r.pid ?? 0) <= 0) return undefined;
    const groups = Array.isArray(r.groups) ? r.groups.filter((g) => Number.isInteger(g?.pid) && g.pid > 1) : [];
    return {
      pid: r.pid!,
      ...(typeof r.start === 'string' ? { start: r.start } : {}),
      ...(typeof r.host === 'string' ? { host: r.host } : {}),
      groups,
    };
  } catch {
    return undefined;
  }
}

/**
 * Stops the process groups a dead gitml left running: SIGTERM, then SIGKILL to what is left after a grace period.
 * A group is only signalled while it still exists and its leader, if alive, is the process recorded (not a new one
 * that reuses the id).
 */
function stopOrphans(held: GuardRecord, warn: (line: string) => void): void {
  if (process.platform === 'win32' || !held.groups.length) return;
  if (held.host !== undefined && held.host !== hostname()) {
    warn(`warning: gitml pid ${held.pid} on ${held.host} may have left stage commands running there; they cannot be stopped from here`);
    return;
  }
  const alive = held.groups.filter((g) => processExists(-g.pid) && (startOf(g.pid).start ?? g.start) === g.start);
  if (!alive.length) return;
  for (const g of alive) signalGroup(g.pid, 'SIGTERM');
  const deadline = Date.now() + ORPHAN_GRACE_MS;
  while (Date.now() < deadline && alive.some((g) => processExists(-g.pid))) sleep(50);
  for (const g of alive) if (processExists(-g.pid)) signalGroup(g.pid, 'SIGKILL');
  warn(
    `Stopped stage commands left running by gitml pid ${held.pid}, which was killed (process group${alive.length === 1 ? '' : 's'} ${alive.map((g) => g.pid).join(', ')}).`,
  );
}

/** Whether the guard's process is still the one that wrote it (alive, and not a new process with a reused id). */
function isSameProcess(ref: ProcessRef): boolean {
  if (!processExists(ref.pid)) return false;
  const now = startOf(ref.pid).start;
  return ref.start === undefined || now === undefined || now === ref.start;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone meanwhile.
  }
}

/** When a process started, in clock ticks since boot (Linux `/proc/<pid>/stat` field 22); empty elsewhere. */
function startOf(pid: number): { start?: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start ? { start } : {};
  } catch {
    return {};
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
