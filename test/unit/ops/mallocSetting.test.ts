/** The start-up note about glibc's allocator: only where it applies and the setting is missing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MALLOC_ENV, mallocAdvice, runsOnGlibc } from '../../../src/ops/mallocSetting';

const ROOT = join(__dirname, '..', '..', '..');

test('says what to set on Linux with glibc when neither the variable nor the tunable is set, and nothing otherwise', () => {
  const glibc = () => true;
  expect(mallocAdvice({}, 'linux', glibc)).toBe(
    'MALLOC_MMAP_THRESHOLD_ is not set: large studies may take ~50 MB more memory (peak and after). Start the node with MALLOC_MMAP_THRESHOLD_=1048576 in its environment (npm start and the Docker image do).',
  );
  expect(mallocAdvice({ [MALLOC_ENV.name]: MALLOC_ENV.value }, 'linux', glibc)).toBeUndefined();
  expect(mallocAdvice({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072' }, 'linux', glibc)).toBeUndefined();
  expect(mallocAdvice({}, 'linux', () => false)).toBeUndefined();
  expect(mallocAdvice({}, 'darwin', glibc)).toBeUndefined();
});

test('npm start and the Docker image set it', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toContain(`${MALLOC_ENV.name}=${MALLOC_ENV.value}`);
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  expect(dockerfile).toContain(`ENV ${MALLOC_ENV.name}=${MALLOC_ENV.value}`);
});

test('this machine runs glibc (the test peers are Debian packages)', () => {
  expect(runsOnGlibc()).toBe(true);
});
