import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { HashInfo, PathHasher } from '../hash/hash-path.js';
import type { Progress } from '../util/progress.js';
import type { Origin, Stage } from '../pipeline/types.js';
import { PIPELINE_FILE } from '../pipeline/parse.js';
import { canonicalJson } from '../util/canonical.js';
import { packageRoot } from '../cli/version.js';
import { removeStaleStepTemps, stepTempPath } from '../util/fs.js';
import type { ProcessGroup } from './processes.js';
import { runStepInWorker, stepWorkersAvailable } from './step-workers.js';

export const LOGS_DIR = '.ml/logs';
const TAIL_LINES = 20;

export interface RunStageOptions {
  root: string;
  stage: Stage;
  /** Dependency hashes taken before the run; they are what the lockfile records. */
  deps: Map<string, HashInfo>;
  hasher: PathHasher;
  processes: ProcessGroup;
  /** Receives each output line of the stage, already prefixed with its name. */
  print: (line: string) => void;
  /** Shows progress while the outputs are hashed (a large output directory takes seconds). */
  progress?: Progress;
}

export type RunStageResult = { ok: true; outs: Map<string, HashInfo> } | { ok: false; message: string; tail: string[] };

/**
 * Runs one stage: deletes its non-persistent outputs, runs each command through the shell in `wdir` (a built-in
 * step in a worker thread instead), streams and logs the output, checks every output exists and hashes it. Commits
 * nothing: the caller records the result.
 */
export async function runStage(opts: RunStageOptions): Promise<RunStageResult> {
  const { root, stage, hasher } = opts;

  for (const out of stage.outs) {
    if (!out.persist) rmSync(join(root, out.path), { recursive: true, force: true });
    removeStaleStepTemps(join(root, out.path));
    hasher.forget(out.path);
  }

  mkdirSync(join(root, LOGS_DIR), { recursive: true });
  const log = createWriteStream(join(root, LOGS_DIR, `${stage.name}.log`));
  const tail: string[] = [];
  const emit = (line: string) => {
    log.write(`${line}\n`);
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    opts.print(`[${stage.name}] ${line}`);
  };

  try {
    const step = inProcessStep(stage);
    if (step) {
      log.write(`$ ${stage.cmd[0]} (in a worker thread)\n`);
      const result = await runStepInWorker(
        {
          name: step,
          withJson: canonicalJson(stage.with ?? {}),
          cwd: join(root, stage.wdir),
          env: { ...process.env, ...stageEnv(stage) } as Record<string, string>,
        },
        opts.processes,
        emit,
      );
      if (!result.ok) {
        // A stopped step's outputs are incomplete: none of them stays, nor a temporary file it was writing.
        if (opts.processes.stopping) removeOutputs(root, stage, result.threadId);
        return { ok: false, message: result.message, tail };
      }
    } else
      for (const cmd of stage.cmd) {
        log.write(`$ ${cmd}\n`);
        const result = await runCommand(cmd, join(root, stage.wdir), stageEnv(stage), opts.processes, emit);
        if (result !== 0) {
          const why = typeof result === 'string' ? `was stopped by ${result}` : `exited with code ${result}`;
          return { ok: false, message: `command \`${cmd}\` ${why}`, tail };
        }
      }
  } finally {
    await new Promise<void>((res) => log.end(res));
  }

  const outs = new Map<string, HashInfo>();
  const missing: string[] = [];
  for (const out of stage.outs) hasher.forget(out.path);
  await hasher.hashAll(
    stage.outs.map((o) => o.path),
    opts.progress,
  );
  for (const out of stage.outs) {
    const info = hasher.hash(out.path);
    if (info) outs.set(out.path, info);
    else missing.push(out.path);
  }
  if (missing.length) {
    return { ok: false, message: `the commands succeeded but did not create ${missing.map((m) => `\`${m}\``).join(', ')}`, tail };
  }
  return { ok: true, outs };
}

/**
 * The built-in step a stage runs, when it runs in a worker thread of this process: unless its environment or
 * gitml's sets `GITML_STEP_ISOLATION=process`, which runs `gitml step` in a process of its own as a `cmd` stage is
 * (a fault in native code then ends only that process).
 */
function inProcessStep(stage: Stage): string | undefined {
  if (!stage.with || stage.cmd.length !== 1) return undefined;
  const name = /^gitml step ([a-z]+(?:\/[a-z]+)?)$/.exec(stage.cmd[0]!)?.[1];
  const isolation = stage.env.GITML_STEP_ISOLATION ?? process.env.GITML_STEP_ISOLATION;
  return name && isolation !== 'process' && stepWorkersAvailable() ? name : undefined;
}

function removeOutputs(root: string, stage: Stage, threadId: number): void {
  for (const out of stage.outs) {
    const abs = join(root, out.path);
    rmSync(stepTempPath(abs, threadId), { force: true });
    if (!out.persist) rmSync(abs, { recursive: true, force: true });
  }
}

/** The package's `bin/`, holding the `gitml` that stage commands call: always the gitml running them. */
const GITML_BIN_DIR = join(packageRoot() ?? '.', 'bin');

/** `{key: "ml.yaml:LINE:COL"}` for a step's settings: how a step names the setting an error is about. */
function stepLocations(origins: Record<string, Origin>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(origins).map(([k, o]) => [k, `${PIPELINE_FILE}:${o.line}:${o.col}`])));
}

/**
 * A stage's environment: its declared `env`, `gitml` first on PATH (the same installation and Node that run the
 * pipeline), and for a built-in step its `with:` settings.
 */
function stageEnv(stage: Stage): Record<string, string> {
  return {
    PATH: `${GITML_BIN_DIR}${delimiter}${process.env.PATH ?? ''}`,
    GITML_NODE: process.execPath,
    ...(stage.with ? { GITML_STEP_WITH: canonicalJson(stage.with) } : {}),
    ...(stage.withOrigins ? { GITML_STEP_AT: stepLocations(stage.withOrigins) } : {}),
    ...stage.env,
  };
}

/** Resolves to the exit code, or the signal name when the command was killed. */
function runCommand(
  cmd: string,
  cwd: string,
  env: Record<string, string>,
  processes: ProcessGroup,
  emit: (line: string) => void,
): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, {
      cwd,
      env: { ...process.env, ...env },
      shell: true,
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.add(child);
    const splitter = () => {
      let pending = '';
      return {
        push: (chunk: Buffer) => {
          pending += chunk.toString('utf8');
          const lines = pending.split(/\r?\n/);
          pending = lines.pop()!;
          for (const l of lines) emit(l);
        },
        flush: () => {
          if (pending) emit(pending);
          pending = '';
        },
      };
    };
    const out = splitter();
    const err = splitter();
    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      out.flush();
      err.flush();
      resolve(code ?? signal ?? 1);
    });
  });
}
