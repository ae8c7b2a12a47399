import type { ChildProcess } from 'node:child_process';

/**
 * The stage commands currently running. Each runs in its own process group so that stopping it also stops what it
 * started (a shell pipeline, a training script's workers).
 */
export class ProcessGroup {
  private readonly children = new Set<ChildProcess>();
  private signalled: NodeJS.Signals | undefined;

  add(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    if (this.signalled) this.kill(child, this.signalled);
  }

  /** Set once `stopAll` was called: the reason no further stage may start. */
  get stopping(): NodeJS.Signals | undefined {
    return this.signalled;
  }

  /** Sends `signal` to every group, and SIGKILL to those still alive after `graceMs`. */
  stopAll(signal: NodeJS.Signals, graceMs = 5000): void {
    this.signalled = signal;
    for (const child of this.children) this.kill(child, signal);
    const timer = setTimeout(() => {
      for (const child of this.children) this.kill(child, 'SIGKILL');
    }, graceMs);
    timer.unref();
  }

  private kill(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}
