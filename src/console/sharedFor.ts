/**
 * `compute` at most once per `ms`, however many ask (pages polled by many browsers, a check that
 * opens a database connection): callers within that time share one result, and while it runs no
 * second computation starts. A failure is not kept.
 */
export function sharedFor<T>(ms: number, compute: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let cached: { at: number; value: Promise<T>; running: boolean } | undefined;
  return () => {
    const t = now();
    if (!cached || (!cached.running && t - cached.at >= ms)) {
      const entry = { at: t, value: compute(), running: true };
      cached = entry;
      entry.value.then(
        () => (entry.running = false),
        () => {
          entry.running = false;
          if (cached === entry) cached = undefined;
        },
      );
    }
    return cached.value;
  };
}
