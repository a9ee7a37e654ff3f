/**
 * The glibc allocator setting the node is started with (npm start, the Docker image, the e2e
 * benchmark). glibc raises its mmap threshold each time a large block is freed (up to 32 MB), so
 * after the first study the CT slices, volumes and masks an analysis allocates come from the
 * heap arenas of each thread, whose freed memory stays in the process: a 1,000-slice study peaked
 * at ~405 MB RSS. A fixed threshold (no longer raised) gives blocks above it back at once.
 * Measured (worker analysis of that study alone, peak RSS; CPU of the phantom's analysis):
 * glibc's default 335 MB; 128 KiB 277 MB but ~5-10 % more CPU (every typed array of the feature
 * code above 128 KiB is a fresh mmap, zero-filled page by page); 1 MiB 302 MB at the default's
 * CPU; 4 MiB 316 MB. Read by glibc at process start, so it can only be set from outside.
 */
export const MALLOC_ENV = { name: 'MALLOC_MMAP_THRESHOLD_', value: '1048576' } as const;

/** Why the node's memory may stay high, when it runs on glibc without the setting; undefined otherwise. */
export function mallocAdvice(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, glibc: () => boolean): string | undefined {
  if (platform !== 'linux' || env[MALLOC_ENV.name] !== undefined || env.GLIBC_TUNABLES?.includes('glibc.malloc.mmap_threshold') || !glibc()) return undefined;
  return `${MALLOC_ENV.name} is not set: after large studies the process may keep ~100 MB more memory than it needs. Start the node with ${MALLOC_ENV.name}=${MALLOC_ENV.value} in its environment (npm start and the Docker image do).`;
}

/** Is this process linked against glibc (not musl, e.g. Alpine)? (A diagnostic report: a few ms, asked once at start.) */
export function runsOnGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return typeof report?.header?.glibcVersionRuntime === 'string';
}
