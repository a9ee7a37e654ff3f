/**
 * The wait before the next try after `failures` failed tries (1 = the first failure):
 * initial, 2·initial, 4·initial … capped at `maxMs`. Used by the job queue and the outbox.
 */
export function backoffMs(failures: number, initialMs: number, maxMs: number): number {
  const exp = Math.min(Math.max(0, failures - 1), 40);
  return Math.min(initialMs * 2 ** exp, maxMs);
}
