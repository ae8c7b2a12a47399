import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** `gitml remote add|list|remove`, `push`, `pull`, `fetch`. */
export function registerRemoteCommands(program: Command, ctx: CliContext): void {
  void program;
  void ctx;
}

/** `gitml status --remote [NAME]`. */
export async function printRemoteStatus(ctx: CliContext, opts: { targets: string[]; remote?: string; json?: boolean }): Promise<void> {
  void ctx;
  void opts;
}
