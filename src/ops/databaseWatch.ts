/**
 * Watches the node's database while it runs: when it cannot take a write (a shared PostgreSQL
 * down, unreachable, or read-only), new associations are refused with a transient reason and
 * /readyz fails, so that nothing is answered Success without its index row and a load balancer
 * sends the work elsewhere; both resume by themselves when a check passes again.
 */
import type { Logger } from './logger';
import { errorText } from './errorText';

export interface DatabaseWatch {
  /** What is wrong since the last check, or undefined. */
  problem(): string | undefined;
  /** Checks now (for /readyz), updating problem(). */
  checkNow(): Promise<string | undefined>;
  stop(): void;
}

/** `everyMs` 0: no periodic check, only checkNow() (an embedded database needs no watching between /readyz calls). */
export function watchDatabase(check: () => Promise<string | undefined>, logger: Logger, options: { everyMs?: number; timeoutMs?: number } = {}): DatabaseWatch {
  const everyMs = options.everyMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 3_000;
  let problem: string | undefined;
  let since = 0;
  let inFlight: Promise<string | undefined> | undefined;

  const timed = (): Promise<string | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(`the database did not answer within ${timeoutMs / 1000} s`), timeoutMs);
      check().then(
        (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        (e: unknown) => {
          clearTimeout(timer);
          resolve(errorText(e));
        },
      );
    });

  const checkNow = (): Promise<string | undefined> => {
    inFlight ??= timed().then((p) => {
      inFlight = undefined;
      if (p !== undefined && problem === undefined) {
        since = Date.now();
        logger.error(`database unavailable: ${p}. New associations are refused (transient) and /readyz fails until it is back.`);
      } else if (p === undefined && problem !== undefined) {
        logger.info(`database available again after ${Math.round((Date.now() - since) / 1000)} s; associations are accepted again`);
      }
      problem = p;
      return p;
    });
    return inFlight;
  };

  const timer = everyMs > 0 ? setInterval(() => void checkNow(), everyMs) : undefined;
  timer?.unref();
  return { problem: () => problem, checkNow, stop: () => clearInterval(timer) };
}
