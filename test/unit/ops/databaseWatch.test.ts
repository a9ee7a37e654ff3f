/** The database watch: what /readyz and the listener ask before taking new work. */
import { watchDatabase } from '../../../src/ops/databaseWatch';
import { silentLogger } from '../../../src/ops/logger';

function recordingLogger() {
  const lines: string[] = [];
  const logger = silentLogger();
  logger.error = ((m: string) => (lines.push(`error ${m}`), logger)) as typeof logger.error;
  logger.info = ((m: string) => (lines.push(`info ${m}`), logger)) as typeof logger.info;
  return { logger, lines };
}

test('says what is wrong while the database cannot take a write, logs the outage once and its end once', async () => {
  let down: string | undefined = 'PostgreSQL at postgres://x is unreachable (connection refused)';
  const { logger, lines } = recordingLogger();
  const watch = watchDatabase(async () => down, logger, { everyMs: 0 });
  expect(watch.problem()).toBeUndefined();
  expect(await watch.checkNow()).toMatch(/unreachable/);
  expect(await watch.checkNow()).toMatch(/unreachable/);
  expect(watch.problem()).toMatch(/unreachable/);
  down = undefined;
  expect(await watch.checkNow()).toBeUndefined();
  expect(watch.problem()).toBeUndefined();
  expect(lines).toEqual([
    'error database unavailable: PostgreSQL at postgres://x is unreachable (connection refused). New associations are refused (transient) and /readyz fails until it is back.',
    expect.stringMatching(/^info database available again after \d+ s; associations are accepted again$/),
  ]);
  watch.stop();
});

test('a check that hangs counts as a failure after the timeout; a check that throws says why', async () => {
  const hanging = watchDatabase(() => new Promise(() => undefined), silentLogger(), { everyMs: 0, timeoutMs: 50 });
  expect(await hanging.checkNow()).toBe('the database did not answer within 0.05 s');
  const throwing = watchDatabase(async () => {
    throw new Error('SQLITE_READONLY: attempt to write a readonly database');
  }, silentLogger(), { everyMs: 0 });
  expect(await throwing.checkNow()).toBe('SQLITE_READONLY: attempt to write a readonly database');
});

test('checks by itself every everyMs', async () => {
  let calls = 0;
  const watch = watchDatabase(async () => (++calls, 'down'), silentLogger(), { everyMs: 20 });
  await new Promise((r) => setTimeout(r, 120));
  watch.stop();
  expect(calls).toBeGreaterThanOrEqual(3);
  expect(watch.problem()).toBe('down');
});
