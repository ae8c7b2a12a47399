import type { Progress } from '../util/progress.js';

/** What a command's action needs from the CLI around it: where to run, where to write, and how loudly. */
export interface CliContext {
  /** The directory given with -C, or the process's. */
  cwd(): string;
  quiet(): boolean;
  /** Writes text to stdout as is. */
  out(text: string): void;
  /** Writes one line to stdout. */
  line(text: string): void;
  /** Writes one line to stderr. */
  warn(text: string): void;
  /** A progress display for long work, or `undefined` under --quiet. */
  progress(): Promise<Progress | undefined>;
}
