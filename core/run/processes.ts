import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';

/**
 * The stage commands currently running, and the worker threads running built-in steps. Each command runs in its own
 * process group so that stopping it also stops what it started (a shell pipeline, a training script's workers).
 */
export class ProcessGroup {
  private readonly children = new Set<ChildProcess>();
  private readonly workers = new Set<Worker>();
  private signalled: NodeJS.Signals | undefined;

  add(child: ChildProcess): void {
    this.children.add(child);
    // Forgotten on 'close', not 'exit': background jobs of the shell keep the group (and its pipes) alive after the
    // shell itself has exited, and the SIGKILL below must still reach them.
    child.once('close', () => this.children.delete(child));
    if (this.signalled) this.kill(child, this.signalled);
  }

  /** A worker thread running a step until the returned function is called. Stopping terminates it at once. */
  addWorker(worker: Worker): () => void {
    this.workers.add(worker);
    if (this.signalled) void worker.terminate();
    return () => this.workers.delete(worker);
  }

  /** Set once `stopAll` was called: the reason no further stage may start. */
  get stopping(): NodeJS.Signals | undefined {
    return this.signalled;
  }

  /**
   * Sends `signal` to every group, SIGTERM to those still alive after `graceMs / 2` (a shell's background jobs ignore
   * SIGINT) and SIGKILL after `graceMs`. Worker threads hold no resources of their own to release (steps write
   * through a temporary file and a rename), so they are terminated at once.
   */
  stopAll(signal: NodeJS.Signals, graceMs = 4000): void {
    this.signalled ??= signal;
    for (const worker of this.workers) void worker.terminate();
    for (const child of this.children) this.kill(child, signal);
    const escalate = (next: NodeJS.Signals, ms: number) => {
      setTimeout(() => {
        for (const child of this.children) this.kill(child, next);
      }, ms).unref();
    };
    if (signal !== 'SIGKILL' && signal !== 'SIGTERM') escalate('SIGTERM', graceMs / 2);
    if (signal !== 'SIGKILL') escalate('SIGKILL', graceMs);
  }

  private kill(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined) return;
    try {
      process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}
