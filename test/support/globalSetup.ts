/**
 * Jest's global set-up: the whole run gets a temporary directory of its own (TMPDIR for every test
 * worker and every peer they start), which the global teardown removes. The tests and their peers
 * make hundreds of temporary directories (~0.5 GB in a full run); removed one by one, a failed or
 * interrupted test would leave its own behind on a machine that runs the suite again and again.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function globalSetup(): void {
  const outer = tmpdir();
  const root = mkdtempSync(join(outer, 'cd8-jest-'));
  // As /tmp: peers that run as another user (PostgreSQL as postgres) make their directories here.
  chmodSync(root, 0o1777);
  process.env.CD8_TEST_TMP_ROOT = root;
  // What is kept for a look after the run (screenshots) goes outside it (test/support/keptOutput.ts).
  process.env.CD8_TEST_OUTER_TMPDIR = outer;
  process.env.TMPDIR = root;
  // Said now: the teardown's output would come after the summary line, which must stay last.
  if (process.env.CD8_KEEP_TEST_TMP === '1') process.stdout.write(`\nthe tests' temporary directory ${root} is kept (CD8_KEEP_TEST_TMP=1)\n`);
}
