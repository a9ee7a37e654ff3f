/** The outbox's bookkeeping on a real (in-memory) SQLite database, with a clock the test moves. */
import Database from 'better-sqlite3';
import { NewMessage, Outbox } from '../../../src/outbox/outbox';
import { backoffMs, deliverySettingsFromConfig } from '../../../src/outbox/sender';
import { defaultConfig } from '../../support/delivery';

const message = (key: string, destination = 'pacs'): NewMessage => ({
  studyInstanceUid: '1.2.3',
  studyVersion: 1,
  kind: 'dicom',
  destination,
  messageKey: key,
  description: 'Comprehensive 3D SR',
  payload: Buffer.from('x'),
});

test('backoff doubles from the initial wait and stops at the maximum', () => {
  const s = { initialBackoffMs: 10_000, maxBackoffMs: 1_800_000 };
  expect([1, 2, 3, 4].map((n) => backoffMs(n, s))).toEqual([10_000, 20_000, 40_000, 80_000]);
  expect(backoffMs(20, s)).toBe(1_800_000);
  expect(backoffMs(1000, s)).toBe(1_800_000);
  const fromConfig = deliverySettingsFromConfig(defaultConfig(), 30_000);
  expect(fromConfig).toMatchObject({ maxAttempts: 20, initialBackoffMs: 10_000, maxBackoffMs: 1_800_000 });
});

describe('outbox rows', () => {
  let now = 1_000;
  const outbox = () => new Outbox(new Database(':memory:'), () => now);

  test('enqueue is idempotent per destination and message key', () => {
    const o = outbox();
    expect(o.enqueue([message('1.2.3.9'), message('1.2.3.9', 'archive')])).toHaveLength(2);
    expect(o.enqueue([message('1.2.3.9')])).toEqual([]);
    expect(o.status().counts.pending).toBe(2);
  });

  test('a failed try waits until its next attempt; success is final; give-up is failed', () => {
    const o = outbox();
    const [id] = o.enqueue([message('1.2.3.9')]);
    const m = o.claimNext('pacs', 60_000)!;
    expect(m.id).toBe(id);
    expect(o.claimNext('pacs', 60_000)).toBeUndefined(); // leased
    o.markAttemptFailed(id, 'connection refused', { nextAttemptAt: now + 5_000 });
    expect(o.claimNext('pacs', 60_000)).toBeUndefined(); // not due yet
    now += 5_000;
    o.claimNext('pacs', 60_000);
    o.markSent(id);
    expect(o.get(id)).toMatchObject({ state: 'sent', attempts: 2, lastError: null });
    now += 1_000_000;
    expect(o.claimNext('pacs', 60_000)).toBeUndefined();
    expect(o.recoverExpiredLeases()).toBe(0);

    const [other] = o.enqueue([message('1.2.3.10')]);
    o.claimNext('pacs', 60_000);
    o.markAttemptFailed(other, 'AE', 'give-up');
    expect(o.status().rows.find((r) => r.id === other)).toMatchObject({ state: 'failed', attempts: 1, lastError: 'AE' });
  });

  test('a lease left by a dead sender expires back to pending; resend re-triggers failed rows, sent ones only on request', () => {
    const o = outbox();
    const [a, b] = o.enqueue([message('1.2.3.11'), message('1.2.3.12', 'archive')]);
    o.claimNext('pacs', 10_000);
    now += 20_000;
    expect(o.recoverExpiredLeases()).toBe(1);
    expect(o.get(a)?.state).toBe('pending');
    o.claimNext('pacs', 10_000);
    o.markSent(a);
    o.claimNext('archive', 10_000);
    o.markAttemptFailed(b, 'refused', 'give-up');
    expect(o.resend('1.2.3').map((r) => r.state)).toEqual(['sent', 'pending']);
    expect(o.get(b)?.attempts).toBe(0);
    expect(o.resend('1.2.3', { includeSent: true }).map((r) => r.state)).toEqual(['pending', 'pending']);
  });
});
