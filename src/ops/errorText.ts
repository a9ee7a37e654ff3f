/**
 * The message of whatever was thrown: an error's message, anything else as text. Duck-typed
 * rather than `instanceof Error`, which fails for errors made in another realm (native modules
 * under jest, worker threads).
 */
export function errorText(e: unknown): string {
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  return String(e);
}
