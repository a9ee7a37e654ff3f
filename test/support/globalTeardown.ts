/** Jest's global teardown: removes the run's temporary directory (globalSetup.ts), unless CD8_KEEP_TEST_TMP=1. */
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const root = process.env.CD8_TEST_TMP_ROOT;
  if (!root || process.env.CD8_KEEP_TEST_TMP === '1') return;
  try {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    // A peer that outlived its test may still write there: the run's result stands, the directory stays.
    process.stderr.write(`could not remove the tests' temporary directory ${root}: ${(e as Error).message}\n`);
  }
}
