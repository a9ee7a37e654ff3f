/** The outbox's bookkeeping on both engines (SQLite file, real PostgreSQL), with a clock the test moves. */
import { NewMessage } from '../../../src/outbox/outbox';
import { openStorage } from '../../../src/db/storage';
import { ENGINES, testStorages } from '../../support/storage';
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

const storages = testStorages();

describe.each(ENGINES)('outbox rows on %s', (engine) => {
  let now = 1_000;
  const outbox = async () => (await storages.open(engine, { now: () => now })).outbox;

  test('enqueue is idempotent per destination and message key', async () => {
    const o = await outbox();
    expect(await o.enqueue([message('1.2.3.9'), message('1.2.3.9', 'archive')])).toHaveLength(2);
    expect(await o.enqueue([message('1.2.3.9')])).toEqual([]);
    expect((await o.status()).counts.pending).toBe(2);
  });

  test('a failed try waits until its next attempt; success is final; give-up is failed', async () => {
    const o = await outbox();
    const [id] = await o.enqueue([message('1.2.3.9')]);
    const m = (await o.claimNext('pacs', 60_000, 'node-a'))!;
    expect(m.id).toBe(id);
    expect(m.payload).toEqual(Buffer.from('x'));
    expect(await o.claimNext('pacs', 60_000)).toBeUndefined(); // leased
    expect(await o.markAttemptFailed(m, 'connection refused', { nextAttemptAt: now + 5_000 })).toBe(true);
    expect(await o.claimNext('pacs', 60_000)).toBeUndefined(); // not due yet
    expect(await o.nextDueAt()).toBe(now + 5_000);
    now += 5_000;
    expect(await o.markSent((await o.claimNext('pacs', 60_000))!)).toBe(true);
    expect(await o.get(id)).toMatchObject({ state: 'sent', attempts: 2, lastError: null });
    now += 1_000_000;
    expect(await o.claimNext('pacs', 60_000)).toBeUndefined();
    expect(await o.recoverExpiredLeases()).toBe(0);

    const [other] = await o.enqueue([message('1.2.3.10')]);
    expect(await o.destinationsWithPending()).toEqual(['pacs']);
    await o.markAttemptFailed((await o.claimNext('pacs', 60_000))!, 'AE', 'give-up');
    expect((await o.status()).rows.find((r) => r.id === other)).toMatchObject({ state: 'failed', attempts: 1, lastError: 'AE' });
  });

  test('a lease left by a dead sender expires back to pending; resend re-triggers failed rows, sent ones only on request', async () => {
    const o = await outbox();
    const [a, b] = await o.enqueue([message('1.2.3.11'), message('1.2.3.12', 'archive')]);
    await o.claimNext('pacs', 10_000);
    now += 20_000;
    expect(await o.recoverExpiredLeases()).toBe(1);
    expect((await o.get(a))?.state).toBe('pending');
    await o.markSent((await o.claimNext('pacs', 10_000))!);
    await o.markAttemptFailed((await o.claimNext('archive', 10_000))!, 'refused', 'give-up');
    expect((await o.resend('1.2.3')).map((r) => r.state)).toEqual(['sent', 'pending']);
    expect((await o.get(b))?.attempts).toBe(0);
    expect((await o.resend('1.2.3', { includeSent: true })).map((r) => r.state)).toEqual(['pending', 'pending']);
  });

  test('retry now puts a failed or waiting row back at once with its attempts from zero; a sent or sending row is left alone', async () => {
    const o = await outbox();
    const [failed, sending, sent] = await o.enqueue([message('1.2.3.13'), message('1.2.3.14', 'archive'), message('1.2.3.15', 'ris')]);
    await o.markAttemptFailed((await o.claimNext('pacs', 60_000))!, 'refused', 'give-up');
    await o.claimNext('archive', 60_000);
    await o.markSent((await o.claimNext('ris', 60_000))!);
    now += 1_000;
    expect(await o.retryNow(failed)).toMatchObject({ id: failed, state: 'pending', attempts: 0, nextAttemptAt: now, lastError: 'refused' });
    expect((await o.claimNext('pacs', 60_000))?.id).toBe(failed);
    expect(await o.retryNow(sending)).toBeUndefined();
    expect(await o.retryNow(sent)).toBeUndefined();
    expect(await o.retryNow(999_999)).toBeUndefined();
    expect((await o.get(sent))?.state).toBe('sent');
  });

  test('status reads at most N rows of each unsent state, oldest first, with exact counts', async () => {
    const o = await outbox();
    await o.enqueue(Array.from({ length: 7 }, (_, i) => message(`1.2.3.${200 + i}`)));
    await o.enqueue(Array.from({ length: 4 }, (_, i) => message(`1.2.3.${300 + i}`, 'archive')));
    for (let i = 0; i < 4; i++) await o.markAttemptFailed((await o.claimNext('archive', 60_000))!, 'refused', 'give-up');
    const sending = (await o.claimNext('pacs', 60_000))!;
    for (let i = 0; i < 3; i++) await o.markSent((await o.claimNext('pacs', 60_000))!);
    const status = await o.status(2, 2);
    expect(status.counts).toEqual({ pending: 3, sending: 1, sent: 3, failed: 4 });
    const byState = (state: string) => status.rows.filter((r) => r.state === state);
    expect(byState('pending').map((r) => r.messageKey)).toEqual(['1.2.3.204', '1.2.3.205']);
    expect(byState('sending').map((r) => r.id)).toEqual([sending.id]);
    expect(byState('failed').map((r) => r.messageKey)).toEqual(['1.2.3.300', '1.2.3.301']);
    expect(byState('sent')).toHaveLength(2);
    expect(status.rows.filter((r) => r.state !== 'sent').map((r) => r.id)).toEqual([...status.rows.filter((r) => r.state !== 'sent').map((r) => r.id)].sort((x, y) => x - y));
  });

  test('counts since a time cover the rows created from then on, by state', async () => {
    const o = await outbox();
    expect(await o.countsSince(0)).toEqual({ pending: 0, sending: 0, sent: 0, failed: 0 });
    await o.enqueue([message('1.2.3.16')]);
    now += 10_000;
    const since = now;
    const [a] = await o.enqueue([message('1.2.3.17', 'archive'), message('1.2.3.18', 'ris')]);
    const m = (await o.claimNext('archive', 60_000))!;
    expect(m.id).toBe(a);
    await o.markSent(m);
    expect(await o.countsSince(since)).toEqual({ pending: 1, sending: 0, sent: 1, failed: 0 });
    expect(await o.countsSince(0)).toEqual({ pending: 2, sending: 0, sent: 1, failed: 0 });
  });

  test('a sender whose lease ran out cannot record its outcome over the row another sender took: the ORU/SR is sent once more only by the new holder', async () => {
    const first = await storages.open(engine, { now: () => now });
    const second = await openStorage({ url: first.url, dataDir: first.dataDir, now: () => now });
    try {
      const [id] = await first.outbox.enqueue([message('1.2.3.40')]);
      const stale = (await first.outbox.claimNext('pacs', 10_000, 'node-a'))!;
      now += 20_000; // node-a hangs past its lease; node-b's sender takes the row back and sends it
      expect(await second.outbox.recoverExpiredLeases()).toBe(1);
      const fresh = (await second.outbox.claimNext('pacs', 10_000, 'node-b'))!;
      expect(fresh.id).toBe(id);
      // node-a wakes up: neither its success nor its failure touches node-b's claim.
      expect(await first.outbox.markSent(stale)).toBe(false);
      expect(await first.outbox.markAttemptFailed(stale, 'timeout', { nextAttemptAt: now })).toBe(false);
      expect(await first.outbox.markAttemptFailed(stale, 'timeout', 'give-up')).toBe(false);
      expect(await first.outbox.get(id)).toMatchObject({ state: 'sending', attempts: 0 });
      expect(await second.outbox.claimNext('pacs', 10_000, 'node-c')).toBeUndefined();
      // The same node taking the row again after its own lease ran out holds a new claim too.
      now += 20_000;
      expect(await second.outbox.recoverExpiredLeases()).toBe(1);
      const again = (await second.outbox.claimNext('pacs', 10_000, 'node-b'))!;
      expect(await second.outbox.markSent(fresh)).toBe(false);
      expect(await second.outbox.markSent(again)).toBe(true);
      expect(await first.outbox.get(id)).toMatchObject({ state: 'sent', attempts: 1 });
    } finally {
      await second.close();
    }
  });

  test('two senders claiming at once never take the same row', async () => {
    const first = await storages.open(engine, { now: () => now });
    const second = await openStorage({ url: first.url, dataDir: first.dataDir, now: () => now });
    try {
      await first.outbox.enqueue(Array.from({ length: 30 }, (_, i) => message(`1.2.3.${100 + i}`)));
      const drain = async (o: typeof first.outbox) => {
        const got: number[] = [];
        for (let m = await o.claimNext('pacs', 60_000); m; m = await o.claimNext('pacs', 60_000)) got.push(m.id);
        return got;
      };
      const [x, y] = await Promise.all([drain(first.outbox), drain(second.outbox)]);
      expect(x.length + y.length).toBe(30);
      expect(new Set([...x, ...y]).size).toBe(30);
    } finally {
      await second.close();
    }
  });
});
