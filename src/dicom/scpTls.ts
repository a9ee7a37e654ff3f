/**
 * DICOM over TLS on the listener (PS3.15 Annex B.9, BCP 195 profile): the server options made
 * from dicom.tls, what a caller's certificate says (for subject pinning), and a sentence an admin
 * can act on when a handshake fails.
 */
import { readFileSync } from 'node:fs';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Config } from '../config/schema';

type ListenerTls = Config['dicom']['tls'];

/**
 * BCP 195 (RFC 9325 §4.2): TLS 1.2 with ECDHE/DHE and AEAD ciphers only, and the TLS 1.3 suites.
 * What DCMTK's `--profile-bcp195` and Orthanc's DICOM TLS negotiate.
 */
export const BCP195_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
].join(':');

/** Node TLS server options from dicom.tls (its files were checked at start: config/tlsChecks.ts). */
export function listenerTlsOptions(tls: ListenerTls): TlsOptions {
  const read = (path: string | null) => (path === null ? undefined : readFileSync(path, 'utf8'));
  return {
    cert: read(tls.certFile),
    key: read(tls.keyFile),
    ca: read(tls.caFile),
    requestCert: true,
    // Verified here, but enforced after the handshake (clientCertificateRefusal): then the log can
    // say what was wrong with the certificate, where a failed handshake only says "hang up".
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: BCP195_CIPHERS,
    honorCipherOrder: true,
  };
}

/** What the TLS layer tells about a caller. */
export interface TlsPeer {
  /** The client certificate verified against dicom.tls.caFile. */
  authorized: boolean;
  /** Its subject as "ATTR=value" lines (e.g. "CN=pacs.example.org"), if one was presented. */
  subject: string[] | undefined;
}

export function tlsPeer(socket: TLSSocket): TlsPeer {
  const cert = socket.getPeerX509Certificate();
  return { authorized: socket.authorized, subject: cert ? cert.subject.split('\n').map((l) => l.trim()) : undefined };
}

/**
 * Why a caller's client certificate is refused after the handshake (undefined: it may go on).
 * Without requireClientCertificate, a caller with no certificate may go on; one with a bad
 * certificate never does.
 */
export function clientCertificateRefusal(socket: TLSSocket, tls: ListenerTls): string | undefined {
  if (socket.authorized) return undefined;
  const cert = socket.getPeerX509Certificate();
  if (!cert) {
    return tls.requireClientCertificate
      ? 'the caller presented no client certificate, and dicom.tls.requireClientCertificate is true; give the caller a certificate issued by the CA in dicom.tls.caFile.'
      : undefined;
  }
  const subject = cert.subject.replace(/\n/g, ', ');
  const error = String(socket.authorizationError ?? 'not verified');
  if (/EXPIRED/i.test(error)) return `the caller's client certificate "${subject}" has expired (on ${cert.validTo}); its administrator must renew it (or a clock is wrong).`;
  if (/NOT_YET_VALID/i.test(error)) return `the caller's client certificate "${subject}" is not valid before ${cert.validFrom}; check the clocks.`;
  return `the caller's client certificate "${subject}" was not issued by a CA in dicom.tls.caFile${tls.caFile ? ` (${tls.caFile})` : ''} (${error}); add the caller's CA there, or give the caller a certificate from ours.`;
}

/** A handshake failure as a sentence that says what to change, and where. */
export function describeHandshakeFailure(e: Error): string {
  const text = `${e.message} ${(e as NodeJS.ErrnoException).code ?? ''}`;
  if (/wrong version number|http request|unknown protocol|packet length too long|record layer failure|unexpected eof|ECONNRESET/i.test(text) && !/alert/i.test(text)) {
    return `the caller did not speak TLS (${e.message}); a plain DICOM peer must use dicom.port, or be configured for TLS to call this port.`;
  }
  if (/alert (unknown ca|bad certificate|certificate unknown)/i.test(text)) {
    return `the caller does not trust this node's certificate (${e.message}); give it the CA that issued dicom.tls.certFile.`;
  }
  if (/no shared cipher|unsupported protocol|protocol version|handshake failure|no suitable/i.test(text)) {
    return `no TLS version or cipher in common (${e.message}); the node accepts TLS 1.2/1.3 with the BCP 195 ciphers only: configure the caller for them.`;
  }
  if (/timed? ?out/i.test(text)) return `the TLS handshake did not finish within dicom.artimTimeoutS.`;
  return e.message;
}
