/**
 * The glibc allocator setting the node is started with (npm start, the Docker image, the e2e
 * benchmark). glibc raises its mmap threshold each time a large block is freed (up to 32 MB), so
 * after the first study the CT slices, volumes and masks an analysis allocates come from the
 * heap arenas of each thread, whose freed memory stays in the process: a 1,000-slice study peaked
 * at 398-427 MB RSS. A fixed threshold (no longer raised) gives blocks above it back at once.
 * Measured (worker analysis of that study alone, peak RSS): glibc's default 323-345 MB, 128 KiB
 * 277 MB, 1 MiB 300-310 MB, 4 MiB 316 MB; the node's peak 359-374 MB with 1 MiB. The price is CPU:
 * blocks above the threshold are fresh pages each time, ~10 % more CPU for the phantom's analysis
 * (+0.1-0.3 s) at 1 MiB or 4 MiB alike. Unset it (start with `node dist/cli.js serve`) where CPU
 * matters more than ~50 MB. Read by glibc at process start, so it can only be set from outside.
 */
export const MALLOC_ENV = { name: 'MALLOC_MMAP_THRESHOLD_', value: '1048576' } as const;

/** Why the node's memory may stay high, when it runs on glibc without the setting; undefined otherwise. */
export function mallocAdvice(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, glibc: () => boolean): string | undefined {
  if (platform !== 'linux' || env[MALLOC_ENV.name] !== undefined || env.GLIBC_TUNABLES?.includes('glibc.malloc.mmap_threshold') || !glibc()) return undefined;
  return `${MALLOC_ENV.name} is not set: large studies may take ~50 MB more memory (peak and after). Start the node with ${MALLOC_ENV.name}=${MALLOC_ENV.value} in its environment (npm start and the Docker image do).`;
}

/** Is this process linked against glibc (not musl, e.g. Alpine)? (A diagnostic report: a few ms, asked once at start.) */
export function runsOnGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return typeof report?.header?.glibcVersionRuntime === 'string';
}
