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
  const root = mkdtempSync(join(tmpdir(), 'cd8-jest-'));
  // As /tmp: peers that run as another user (PostgreSQL as postgres) make their directories here.
  chmodSync(root, 0o1777);
  process.env.CD8_TEST_TMP_ROOT = root;
  process.env.TMPDIR = root;
}
