/**
 * Turns what a DICOM peer or the network said into a sentence an admin can act on.
 * Shared by every SCU we run (echo, SR sender).
 */
import { constants } from 'dcmjs-dimse';

const { RejectResult, RejectSource, RejectReason, AbortSource, AbortReason } = constants;

export interface RejectInfo {
  result: number;
  source: number;
  reason: number;
}

export function describeReject(r: RejectInfo, calledAeTitle: string, callingAeTitle: string): string {
  const permanence = r.result === RejectResult.Permanent ? 'permanently' : 'for now (transient)';
  if (r.source === RejectSource.ServiceUser) {
    switch (r.reason) {
      case RejectReason.CalledAeNotRecognized:
        return `association rejected ${permanence}: the peer does not answer to called AE title "${calledAeTitle}". Check the peer's AE title.`;
      case RejectReason.CallingAeNotRecognized:
        return `association rejected ${permanence}: the peer does not accept our calling AE title "${callingAeTitle}". Add it to the peer's list of known modalities.`;
      case RejectReason.ApplicationContextNotSupported:
        return `association rejected ${permanence}: application context not supported by the peer.`;
      default:
        return `association rejected ${permanence} by the peer (no reason given).`;
    }
  }
  if (r.source === RejectSource.ServiceProviderPresentation) {
    if (r.reason === 1 /* temporary congestion */) return `association rejected ${permanence}: the peer is congested; try again later.`;
    if (r.reason === 2 /* local limit exceeded */) return `association rejected ${permanence}: the peer has too many associations open; try again later.`;
  }
  if (r.source === RejectSource.ServiceProviderAcse && r.reason === 2) {
    return `association rejected ${permanence}: protocol version not supported by the peer.`;
  }
  return `association rejected ${permanence} (source ${r.source}, reason ${r.reason}).`;
}

export function describeAbort(source: number, reason: number): string {
  const who = source === AbortSource.ServiceUser ? 'the peer' : source === AbortSource.ServiceProvider ? "the peer's DICOM stack" : 'an unknown party';
  const why: Record<number, string> = {
    [AbortReason.NotSpecified]: 'no reason given',
    [AbortReason.UnrecognizedPdu]: 'unrecognised PDU',
    [AbortReason.UnexpectedPdu]: 'unexpected PDU',
    [AbortReason.UnrecognizedPduParameter]: 'unrecognised PDU parameter',
    [AbortReason.UnexpectedPduParameter]: 'unexpected PDU parameter',
    [AbortReason.InvalidPduParameter]: 'invalid PDU parameter',
  };
  return `association aborted by ${who} (${why[reason] ?? `reason ${reason}`}).`;
}

/** dcmjs-dimse re-wraps socket errors as plain Errors (" -> Connection error: connect ECONNREFUSED ..."); recover the code. */
function errorCode(e: Error & { code?: string }): string | undefined {
  return e.code ?? /\b(E[A-Z]{3,}|EAI_AGAIN)\b/.exec(e.message)?.[1];
}

export function describeNetworkError(e: Error & { code?: string }, host: string, port: number): string {
  switch (errorCode(e)) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}:${port}: nothing listens there. Check the host and port, and that the peer is running.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host "${host}" cannot be resolved. Check the host name or use an IP address.`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host}:${port} is unreachable from this machine (routing or firewall).`;
    case 'ECONNRESET':
      return `${host}:${port} closed the connection abruptly (a TLS or protocol mismatch, or the peer crashed).`;
    case 'ETIMEDOUT':
      return `no answer from ${host}:${port} in time (firewall dropping packets, or the peer is overloaded).`;
    default:
      return `network error talking to ${host}:${port}: ${e.message.replace(/^\s*->\s*/, '')}`;
  }
}
