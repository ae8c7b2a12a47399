import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** `gitml plots show|diff`. */
export function registerPlotsCommands(program: Command, ctx: CliContext): void {
  void program;
  void ctx;
}
