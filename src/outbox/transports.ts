/** How a row of the outbox reaches its destination: C-STORE for dicom rows, MLLP for hl7 rows. */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from '../config/schema';
import { cStore } from '../dicom/storeScu';
import { sendMllp } from '../hl7/mllp';
import type { OutboxMessage } from './outbox';

export type DeliveryOutcome = { ok: true; detail?: string } | { ok: false; error: string };

export interface Transport {
  deliver(message: OutboxMessage): Promise<DeliveryOutcome>;
}

type TlsSettings = Config['destinations']['dicom'][number]['tls'];

/** Reads the PEM files of a destination's TLS settings (an unreadable file is a delivery error with the path). */
export function tlsOptions(tls: TlsSettings): ConnectionOptions | undefined {
  if (!tls.enabled) return undefined;
  const read = (what: string, path: string | null) => {
    if (!path) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`cannot read the TLS ${what} file ${path}: ${(e as Error).message}`);
    }
  };
  return { ca: read('CA', tls.caFile), cert: read('certificate', tls.certFile), key: read('key', tls.keyFile), rejectUnauthorized: tls.rejectUnauthorized };
}

export interface TransportSettings {
  destinations: Config['destinations'];
  callingAeTitle: string;
  dicomTimeoutMs: number;
  ackTimeoutMs: number;
}

export function configuredTransport(settings: TransportSettings): Transport {
  return {
    async deliver(message) {
      try {
        if (message.kind === 'dicom') {
          const d = settings.destinations.dicom.find((x) => x.name === message.destination);
          if (!d) return { ok: false, error: `DICOM destination "${message.destination}" is no longer in destinations.dicom; add it back or resend to another.` };
          const outcome = await cStore(
            { host: d.host, port: d.port, calledAeTitle: d.aeTitle, callingAeTitle: d.callingAeTitle ?? settings.callingAeTitle, timeoutMs: settings.dicomTimeoutMs, tls: tlsOptions(d.tls) },
            message.payload,
          );
          return outcome.ok ? { ok: true, detail: outcome.warning } : { ok: false, error: outcome.message };
        }
        const d = settings.destinations.hl7.find((x) => x.name === message.destination);
        if (!d) return { ok: false, error: `HL7 destination "${message.destination}" is no longer in destinations.hl7; add it back or resend to another.` };
        const outcome = await sendMllp({ host: d.host, port: d.port, ackTimeoutMs: settings.ackTimeoutMs, tls: tlsOptions(d.tls) }, message.payload.toString('utf8'));
        return outcome.ok ? { ok: true, detail: `ACK ${outcome.ackCode}` } : { ok: false, error: outcome.message };
      } catch (e) {
        return { ok: false, error: (e as Error).message };
      }
    },
  };
}
