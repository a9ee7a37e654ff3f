/** Jest's global teardown: removes the run's temporary directory (globalSetup.ts), unless CD8_KEEP_TEST_TMP=1. */
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const root = process.env.CD8_TEST_TMP_ROOT;
  if (!root) return;
  if (process.env.CD8_KEEP_TEST_TMP === '1') {
    process.stdout.write(`kept the tests' temporary directory ${root}\n`);
    return;
  }
  // A peer that outlived its test may still write there: whatever it adds meanwhile is its own loss.
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}
