/**
 * Works the outbox: per destination, one message at a time, due rows first. A failed try waits
 * initialBackoff × 2^(attempts-1), capped at maxBackoff; after maxAttempts (0 = never) the row is
 * failed and shows in `cd8-node status` until `cd8-node resend`. A sender that starts (again)
 * first returns rows whose lease expired to pending, so a restart loses nothing; a sent row is
 * never picked again.
 */
import type { Config } from '../config/schema';
import type { Logger } from '../ops/logger';
import type { AuditLog } from '../ops/audit';
import { Outbox, OutboxMessage } from './outbox';
import { Transport } from './transports';
import { backoffMs as exponentialBackoffMs } from '../ops/backoff';
import { errorText } from '../ops/errorText';

export interface DeliverySettings {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** How long a claimed row stays "sending" before another sender may take it back (> the transport timeout). */
  leaseMs: number;
  /** Look for new or re-triggered rows at least this often (rows added by `cd8-node resend` from another process). */
  pollIntervalMs: number;
}

export function deliverySettingsFromConfig(config: Pick<Config, 'delivery' | 'hl7'>, dicomTimeoutMs: number): DeliverySettings {
  return {
    maxAttempts: config.delivery.maxAttempts,
    initialBackoffMs: config.delivery.initialBackoffS * 1000,
    maxBackoffMs: config.delivery.maxBackoffS * 1000,
    leaseMs: Math.max(config.hl7.ackTimeoutS * 1000, dicomTimeoutMs) * 2 + 10_000,
    pollIntervalMs: 1000,
  };
}

/** Wait before the next try after `failures` failed tries (1 = the first failure). */
export function backoffMs(failures: number, s: Pick<DeliverySettings, 'initialBackoffMs' | 'maxBackoffMs'>): number {
  return exponentialBackoffMs(failures, s.initialBackoffMs, s.maxBackoffMs);
}

export interface Sender {
  /** Look at the outbox now (after an enqueue or a resend). */
  kick(): void;
  /** Resolves when nothing is due or in flight. */
  idle(): Promise<void>;
  /** Finishes the sends in flight and stops. */
  stop(): Promise<void>;
}

export interface SenderDeps {
  outbox: Outbox;
  /** This node's name on the rows it claims (status shows who sends what). */
  node?: string;
  transport: Transport;
  settings: DeliverySettings;
  logger?: Logger;
  audit?: AuditLog;
  now?: () => number;
}

export function startSender(deps: SenderDeps): Sender {
  const { outbox, transport, settings, logger, audit } = deps;
  const now = deps.now ?? Date.now;
  const busy = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  const recovering = outbox.recoverExpiredLeases().then(
    (recovered) => {
      if (recovered > 0) logger?.warn(`outbox: ${recovered} message(s) were being sent when a node stopped; they will be sent again (same UID / control ID, so peers see the same message).`);
    },
    (e: unknown) => logger?.error(`outbox: cannot read the outbox: ${errorText(e)}`),
  );

  const describe = (m: OutboxMessage) => `${m.description} of study ${m.studyInstanceUid} v${m.studyVersion} to ${m.destination}`;

  // This send outlasted its lease and another sender took the row over: its outcome is that sender's to record.
  const lostLease = (m: OutboxMessage) =>
    void logger?.warn(`outbox: the lease on ${describe(m)} ran out while this node sent it and another sender took it over; this node's outcome is dropped (the row is left to that sender).`);

  async function deliverOne(m: OutboxMessage): Promise<void> {
    const outcome = await transport.deliver(m);
    const attempts = m.attempts + 1;
    if (outcome.ok) {
      if (!(await outbox.markSent(m))) return lostLease(m);
      logger?.info(`sent ${describe(m)}${outcome.detail ? ` (${outcome.detail})` : ''}`, { attempts });
      audit?.record({ event: 'result.sent', studyInstanceUid: m.studyInstanceUid, destination: m.destination, sopInstanceUid: m.kind === 'dicom' ? m.messageKey : undefined, count: attempts });
      return;
    }
    if (settings.maxAttempts > 0 && attempts >= settings.maxAttempts) {
      if (!(await outbox.markAttemptFailed(m, outcome.error, 'give-up'))) return lostLease(m);
      logger?.error(`giving up on ${describe(m)} after ${attempts} attempts: ${outcome.error} Run "cd8-node resend ${m.studyInstanceUid}" once the destination is fixed.`);
      audit?.record({ event: 'result.failed', studyInstanceUid: m.studyInstanceUid, destination: m.destination, reason: outcome.error, count: attempts });
      return;
    }
    const wait = backoffMs(attempts, settings);
    if (!(await outbox.markAttemptFailed(m, outcome.error, { nextAttemptAt: now() + wait }))) return lostLease(m);
    logger?.warn(`could not send ${describe(m)} (attempt ${attempts}): ${outcome.error} Next try in ${Math.round(wait / 100) / 10} s.`);
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      current = tick();
    }, Math.max(0, delayMs));
  }

  // One look at the outbox at a time (the outbox is asynchronous); a kick meanwhile looks again.
  let ticking = false;
  let readFailing = false;
  let tickAgain = false;
  let current: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    timer = undefined;
    if (stopped) return;
    if (ticking) {
      tickAgain = true;
      return;
    }
    ticking = true;
    let untilDue = settings.pollIntervalMs;
    try {
      await recovering;
      await outbox.recoverExpiredLeases();
      for (const destination of await outbox.destinationsWithPending()) {
        if (busy.has(destination) || stopped) continue;
        const m = await outbox.claimNext(destination, settings.leaseMs, deps.node);
        if (!m) continue;
        busy.add(destination);
        const p = deliverOne(m)
          .catch((e: unknown) => {
            logger?.error(`outbox: unexpected error sending ${describe(m)}: ${errorText(e)}`);
          })
          .finally(() => {
            busy.delete(destination);
            inFlight.delete(p);
            schedule(0);
          });
        inFlight.add(p);
      }
      const next = await outbox.nextDueAt();
      untilDue = next === undefined ? settings.pollIntervalMs : Math.min(settings.pollIntervalMs, next - now());
      if (inFlight.size === 0 && (next === undefined || next > now())) {
        const waiters = idleWaiters;
        idleWaiters = [];
        waiters.forEach((w) => w());
      }
      readFailing = false;
    } catch (e) {
      // Once per outage (a shared database down fails every tick).
      if (!readFailing) logger?.error(`outbox: cannot read the outbox: ${errorText(e)}; trying again every ${settings.pollIntervalMs / 1000} s`);
      readFailing = true;
    } finally {
      ticking = false;
    }
    if (tickAgain) {
      tickAgain = false;
      schedule(0);
    } else schedule(untilDue);
  }

  schedule(0);
  return {
    kick: () => schedule(0),
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        schedule(0);
      }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
      await Promise.all([...inFlight]);
      idleWaiters.forEach((w) => w());
      idleWaiters = [];
    },
  };
}
