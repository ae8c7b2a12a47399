/**
 * Every failure gitml reports on purpose is a `GitmlError` with a stable `code`. The CLI maps the class to an exit
 * code and prints `message`; `data` carries the structured detail and `cause` the original error.
 */
export type ExitCode = 0 | 1 | 2 | 130 | 143;

export class GitmlError extends Error {
  readonly code: string;
  readonly data: Record<string, unknown>;
  /** Exit status the CLI uses for this error: 2 for bad input or usage, 1 for a failed run. */
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, opts: { data?: Record<string, unknown>; cause?: unknown; exitCode?: ExitCode } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = opts.data ?? {};
    this.exitCode = opts.exitCode ?? 2;
  }
}

/** One problem found in a user's file, with where it is. */
export interface Problem {
  file: string;
  line?: number;
  col?: number;
  /** Key path inside the file, e.g. `stages.train.deps[1]`. */
  path: string;
  message: string;
  /** Which version of the file, when not the one in the workspace (`at HEAD~1`): printed after the position. */
  source?: string;
}

export function formatProblem(p: Problem): string {
  const at = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.col ?? 1}`;
  const where = p.source ? `${at} (${p.source})` : at;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** How many problems an error message lists; `data.problems` always holds them all. */
export const MAX_SHOWN_PROBLEMS = 10;

/**
 * The message of a problem list: the first `MAX_SHOWN_PROBLEMS` in the order given (file order), then how many more
 * there are and where. One slip in YAML syntax can cascade into dozens of errors; the first is the one to fix.
 */
export function formatProblems(problems: Problem[]): string {
  const lines = problems.slice(0, MAX_SHOWN_PROBLEMS).map(formatProblem);
  const rest = problems.slice(MAX_SHOWN_PROBLEMS);
  if (rest.length) {
    const files = [...new Set(rest.map((p) => p.file))];
    lines.push(`... and ${rest.length} more problem${rest.length === 1 ? '' : 's'} in ${files.join(', ')}`);
  }
  if (problems.length > 1 && problems.some((p) => p.message.startsWith('invalid YAML'))) {
    lines.push('hint: the first YAML syntax error is usually the cause of the ones after it; fix it and rerun');
  }
  return lines.join('\n');
}

/** `ml.yaml` (or a params or vars file it reads) is invalid; `problems` lists every issue found, not only the first. */
export class InvalidPipelineError extends GitmlError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('E_PIPELINE_INVALID', formatProblems(problems), { data: { problems } });
    this.problems = problems;
  }
}

/** `.ml/config.yaml` or `.ml/config.local.yaml` is invalid; every problem is listed. */
export class InvalidConfigError extends GitmlError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('E_CONFIG_INVALID', formatProblems(problems), { data: { problems } });
    this.problems = problems;
  }
}

/** The stage graph cannot be built: a cycle, overlapping outputs, a missing dependency, a path outside the workspace. */
export class InvalidGraphError extends GitmlError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('E_GRAPH_INVALID', formatProblems(problems), { data: { problems } });
    this.problems = problems;
  }
}

/** Where in a damaged lockfile the problem is. */
export interface LockfileLocation {
  line: number;
  col: number;
}

export class LockfileCorruptError extends GitmlError {
  /**
   * `where` is what the message starts with (`ml.lock.json:3:5`, `ml.lock.json:3:5 (at HEAD)`). Only the workspace's
   * own lockfile gets the advice to restore it; one read from a commit or a merge is not the user's to fix there.
   */
  constructor(where: string, reason: string, opts: { cause?: unknown; at?: LockfileLocation; file?: string; source?: string } = {}) {
    const file = opts.file ?? where;
    const advice = opts.source ? '' : ` Fix or delete it (\`git checkout -- ${file}\` restores the committed one).`;
    super('E_LOCKFILE_CORRUPT', `${where}: ${reason}.${advice}`, {
      data: { file, reason, ...(opts.source ? { source: opts.source } : {}), ...opts.at },
      cause: opts.cause,
    });
  }
}

export class WorkspaceNotFoundError extends GitmlError {
  constructor(cwd: string) {
    super('E_NO_WORKSPACE', `no ml.yaml found in ${cwd} or any parent directory; run \`gitml init\` to start one`, { data: { cwd } });
  }
}

export class UnknownStageError extends GitmlError {
  constructor(name: string, suggestion: string | undefined, known: string[]) {
    const hint = suggestion ? `; did you mean \`${suggestion}\`?` : known.length ? `; the stages are ${known.join(', ')}` : '; ml.yaml has no stages';
    super('E_UNKNOWN_STAGE', `unknown stage \`${name}\`${hint}`, { data: { name } });
  }
}

export class CacheMissError extends GitmlError {
  constructor(path: string, hash: string) {
    super('E_CACHE_MISS', `${path}: object ${hash} is not in the cache; run \`gitml repro\` to rebuild it`, { data: { path, hash }, exitCode: 1 });
  }
}

/** Outputs a command needs that neither the cache nor git holds; nothing was changed. */
export class ObjectsMissingError extends GitmlError {
  constructor(what: string, missing: { path: string; stage: string; hash: string }[], hint: string) {
    const shown = missing.slice(0, 10).map((m) => `${m.path} (stage ${m.stage}, ${m.hash})`);
    const more = missing.length > shown.length ? ` and ${missing.length - shown.length} more` : '';
    super(
      'E_OBJECTS_MISSING',
      `${missing.length} output${missing.length === 1 ? '' : 's'} of ${what} ${missing.length === 1 ? 'is' : 'are'} not in the cache: ${shown.join(', ')}${more}. Nothing was changed. ${hint}`,
      { data: { missing }, exitCode: 1 },
    );
  }
}

export class StageFailedError extends GitmlError {
  constructor(failed: string[]) {
    super('E_STAGE_FAILED', `${failed.length === 1 ? 'stage' : 'stages'} failed: ${failed.join(', ')}`, { data: { failed }, exitCode: 1 });
  }
}

export class InterruptedError extends GitmlError {
  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super('E_INTERRUPTED', `interrupted by ${signal}; finished stages are recorded in ml.lock.json`, {
      data: { signal },
      exitCode: signal === 'SIGINT' ? 130 : 143,
    });
  }
}

export class WorkspaceBusyError extends GitmlError {
  constructor(pid: number, file: string) {
    super('E_WORKSPACE_BUSY', `another gitml process (pid ${pid}) is running in this workspace; wait for it or remove ${file} if it is gone`, {
      data: { pid, file },
    });
  }
}

export class UsageError extends GitmlError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

/**
 * A cache object's content does not hash to its name (a flipped bit on disk, an edited file). It was moved to the
 * quarantine and nothing was installed or uploaded from it.
 */
export class CorruptObjectError extends GitmlError {
  constructor(
    readonly objects: { path: string; hash: string; actual: string; quarantined: string }[],
    recover: string,
  ) {
    // A failing disk can corrupt thousands of a directory's files: name the first few; `data.objects` holds them all.
    const shown = objects.slice(0, MAX_SHOWN_PROBLEMS).map((o) => `${o.path} (object ${o.hash} hashes to ${o.actual}; moved to ${o.quarantined})`);
    const more = objects.length - shown.length;
    const list = `${shown.join(', ')}${more ? `, and ${more} more (also moved to .ml/cache/quarantine/)` : ''}`;
    super('E_OBJECT_CORRUPT', `corrupt cache ${objects.length === 1 ? 'object' : 'objects'}, not used: ${list}. ${recover}`, {
      data: { objects },
      exitCode: 1,
    });
  }
}

/**
 * A path read from a lockfile or a directory manifest that gitml did not write here (another commit, a remote) would
 * be written outside the workspace or over a file gitml must never write (`.git`, `.ml`, `ml.yaml`, ...). Nothing is
 * written. Exit 2: it is bad input, not a failed run.
 */
export class UnsafePathError extends GitmlError {
  constructor(file: string, path: string, reason: string) {
    super('E_UNSAFE_PATH', `${file}: refusing output path \`${path}\`: ${reason}; nothing was written`, { data: { file, path, reason } });
  }
}
