import { spawn } from 'node:child_process';

/** The gitml CLI the user's workflow installed, run as a child process: native modules cannot be bundled here. */
export interface Gitml {
  /** Runs `gitml ARGS`; stderr (and with `echo`, stdout) goes to the job log as it comes. */
  (args: string[], opts?: { echo?: boolean; allowFailure?: boolean }): Promise<CliResult>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CliError extends Error {
  constructor(
    readonly command: string,
    readonly result: CliResult,
  ) {
    super(`\`${command}\` exited with ${result.code}${result.stderr.trim() ? `:\n${result.stderr.trim()}` : ''}`);
    this.name = 'CliError';
  }
}

/**
 * Splits the `cli` input into words. Single and double quotes group words; nothing else is special, and no shell is
 * involved.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of command.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]!);
  if (!words.length) throw new Error('the `cli` input is empty; give the command that runs gitml, e.g. `npx --no-install gitml`');
  return words;
}

/** A runner for `command` (e.g. `npx --no-install gitml`) in `cwd`. */
export function gitmlRunner(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Gitml {
  const [file, ...prefix] = splitCommand(command);
  return (args, opts = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(file!, [...prefix, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => {
        out.push(b);
        if (opts.echo) process.stdout.write(b);
      });
      child.stderr.on('data', (b: Buffer) => {
        err.push(b);
        process.stderr.write(b);
      });
      child.on('error', (e) => reject(new Error(`cannot run \`${command}\` in ${cwd}: ${e.message}; is gitml installed there?`)));
      child.on('close', (code, signal) => {
        const result = { code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
        if (result.code !== 0 && !opts.allowFailure) reject(new CliError(`gitml ${args.join(' ')}`, result));
        else resolve(result);
      });
    });
}
