/**
 * Whether a process (or, for a negative id, a process group) exists. EPERM means it does, under another user;
 * only ESRCH means it is gone.
 */
export function processExists(id: number): boolean {
  try {
    process.kill(id, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
