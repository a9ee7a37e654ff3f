/** An audit log that also counts its events into the Prometheus metrics: one source of truth for both. */
import type { AuditLog } from './audit';
import type { NodeMetrics } from './metrics';

export function countingAudit(inner: AuditLog, metrics: NodeMetrics): AuditLog {
  return {
    record(event) {
      inner.record(event);
      switch (event.event) {
        case 'instance.stored':
        case 'instance.replaced':
          metrics.instancesReceived.inc();
          break;
        case 'instance.rejected':
          metrics.instancesRejected.inc();
          break;
        case 'association.rejected':
          metrics.associationsRejected.inc({ reason: event.reason ?? 'unknown' });
          break;
        case 'result.failed':
          metrics.noteError();
          break;
        default:
          break;
      }
    },
    close: () => inner.close(),
  };
}
