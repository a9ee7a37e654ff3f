/** Whether a process with this ID runs on this machine (one of another user counts: it cannot be signalled, but it exists). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
