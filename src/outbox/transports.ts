/** How a row of the outbox reaches its destination: C-STORE or STOW-RS for dicom rows, MLLP for hl7 rows. */
import { cStore } from '../dicom/storeScu';
import { sendMllp } from '../hl7/mllp';
import { loadTlsOptions } from '../net/tlsFiles';
import type { OutboxMessage } from './outbox';
import type { ResultDestinations } from './plan';
import { stowRs } from '../dicom/stowRs';
import { errorText } from '../ops/errorText';

export type DeliveryOutcome = { ok: true; detail?: string } | { ok: false; error: string };

export interface Transport {
  deliver(message: OutboxMessage): Promise<DeliveryOutcome>;
}

export interface TransportSettings {
  destinations: ResultDestinations;
  callingAeTitle: string;
  dicomTimeoutMs: number;
  ackTimeoutMs: number;
}

export function configuredTransport(settings: TransportSettings): Transport {
  return {
    async deliver(message) {
      try {
        if (message.kind === 'dicom') {
          const webIndex = (settings.destinations.dicomweb ?? []).findIndex((x) => x.name === message.destination);
          if (webIndex >= 0) {
            const w = settings.destinations.dicomweb![webIndex];
            const settingsKey = `destinations.dicomweb[${webIndex}]`;
            const outcome = await stowRs(
              {
                url: w.url,
                auth: w.bearerToken !== null ? { bearer: w.bearerToken } : w.username !== null ? { username: w.username, password: w.password ?? '' } : undefined,
                timeoutMs: settings.dicomTimeoutMs,
                tls: w.url.startsWith('https:') ? loadTlsOptions({ ...w.tls, enabled: true }, `${settingsKey}.tls`) : undefined,
                settingsKey,
              },
              [message.payload],
            );
            return outcome.ok ? { ok: true, detail: outcome.warning } : { ok: false, error: outcome.message };
          }
          const index = settings.destinations.dicom.findIndex((x) => x.name === message.destination);
          const d = settings.destinations.dicom[index];
          if (!d) return { ok: false, error: `DICOM destination "${message.destination}" is no longer in destinations.dicom or destinations.dicomweb; add it back or resend to another.` };
          const settingsKey = `destinations.dicom[${index}]`;
          const outcome = await cStore(
            {
              host: d.host,
              port: d.port,
              calledAeTitle: d.aeTitle,
              callingAeTitle: d.callingAeTitle ?? settings.callingAeTitle,
              timeoutMs: settings.dicomTimeoutMs,
              tls: loadTlsOptions(d.tls, `${settingsKey}.tls`),
              settingsKey,
            },
            message.payload,
          );
          return outcome.ok ? { ok: true, detail: outcome.warning } : { ok: false, error: outcome.message };
        }
        const index = settings.destinations.hl7.findIndex((x) => x.name === message.destination);
        const d = settings.destinations.hl7[index];
        if (!d) return { ok: false, error: `HL7 destination "${message.destination}" is no longer in destinations.hl7; add it back or resend to another.` };
        const settingsKey = `destinations.hl7[${index}]`;
        const outcome = await sendMllp(
          { host: d.host, port: d.port, ackTimeoutMs: settings.ackTimeoutMs, tls: loadTlsOptions(d.tls, `${settingsKey}.tls`), settingsKey },
          message.payload.toString('utf8'),
        );
        return outcome.ok ? { ok: true, detail: `ACK ${outcome.ackCode}` } : { ok: false, error: outcome.message };
      } catch (e) {
        return { ok: false, error: errorText(e) };
      }
    },
  };
}
