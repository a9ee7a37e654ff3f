/** Where tests write what people look at afterwards (screenshots): outside the run's own temporary directory, which is removed at its end. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function keptOutputDir(name: string): string {
  return join(process.env.CD8_TEST_OUTER_TMPDIR || tmpdir(), name);
}
