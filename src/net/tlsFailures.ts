/**
 * Turns what OpenSSL, Node or the peer said when a TLS (or plain) connection to a destination
 * failed into a sentence naming the setting to change. Shared by the C-STORE SCU and the MLLP
 * client; both see errors only as text (dcmjs-dimse re-wraps socket errors and drops their code).
 */

import type { ConnectionOptions } from 'node:tls';

export interface ConnectionContext {
  /** "AET@host:port" or "host:port", for the message. */
  where: string;
  host: string;
  /** Where the destination is configured, e.g. `destinations.dicom[0]`; its TLS settings are `<key>.tls`. */
  settingsKey: string;
  /** TLS was used for this connection. */
  tls: boolean;
  /** A CA file is configured (otherwise Node's public CA list is used). */
  caConfigured: boolean;
  /** A client certificate was offered. */
  clientCertificate: boolean;
  /** The TLS handshake had completed when the failure happened. */
  handshakeDone: boolean;
}

/** The context of a connection about to be made with these TLS options (none: plain TCP). */
export function connectionContext(where: string, host: string, settingsKey: string, tls: ConnectionOptions | undefined): ConnectionContext {
  return { where, host, settingsKey, tls: tls !== undefined, caConfigured: tls?.ca !== undefined, clientCertificate: tls?.cert !== undefined, handshakeDone: false };
}

const UNTRUSTED = /self[- ]signed certificate in certificate chain|self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate|unable to get issuer certificate|unable to verify leaf signature|certificate signature failure/i;
const CLIENT_CERT_REFUSED = /alert (unknown ca|bad certificate|certificate unknown|unsupported certificate|certificate expired|certificate revoked|access denied)/i;
const NO_COMMON_GROUND = /alert handshake failure|alert protocol version|alert insufficient security|no shared cipher|unsupported protocol|no protocols available|no suitable signature algorithm/i;
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|http request|record layer failure/i;

/** The reason OpenSSL gives, without its "error:0A000418:SSL routines:..." prefix and source location. */
function reason(text: string): string {
  const alert = /(tlsv1[0-9]? alert [a-z ]+|sslv3 alert [a-z ]+)/i.exec(text);
  if (alert) return alert[1].trim();
  return text.replace(/^.*->\s*Connection error:\s*/, '').replace(/^[0-9A-F]+:error:[0-9A-F]+:[^:]+:[^:]+:/, '').replace(/:\.\.\/deps\/.*$/s, '').trim();
}

/**
 * A sentence for a TLS-related failure, or undefined when the text is not about TLS (the caller
 * then describes it as a plain network error).
 */
export function describeTlsFailure(text: string, c: ConnectionContext): string | undefined {
  const tls = `${c.settingsKey}.tls`;
  if (c.tls) {
    if (UNTRUSTED.test(text)) {
      return (
        `TLS: certificate not trusted: ${c.where} presented a certificate that no trusted CA signed (${reason(text)}). ` +
        `Set ${tls}.caFile to the PEM file of the CA that issued the peer's certificate` +
        (c.caConfigured ? ' (the CA in the current caFile did not issue it).' : ' (none is set, so only public CAs are trusted).')
      );
    }
    if (/certificate has expired/i.test(text)) return `TLS: the certificate of ${c.where} has expired; the peer's administrator must renew it (or this machine's clock is wrong).`;
    if (/certificate is not yet valid/i.test(text)) return `TLS: the certificate of ${c.where} is not yet valid; check the clocks of this machine and of the peer.`;
    if (/certificate revoked/i.test(text) && !/alert/i.test(text)) return `TLS: the certificate of ${c.where} has been revoked; the peer needs a new one.`;
    const altname = /Hostname\/IP does not match certificate's altnames: (.*)$/im.exec(text);
    if (altname) {
      return (
        `TLS: the certificate of ${c.where} is not issued for "${c.host}" (${altname[1].trim().replace(/:\s*$/, '')}). ` +
        `Set ${c.settingsKey}.host to a name the certificate lists, or have the peer's certificate reissued for this name or address.`
      );
    }
    if (/alert certificate required|peer did not return a certificate/i.test(text) || (!c.clientCertificate && CLIENT_CERT_REFUSED.test(text))) {
      return `TLS: ${c.where} requires a client certificate (mutual TLS). Set ${tls}.certFile and ${tls}.keyFile to this node's certificate and key, issued by a CA the peer trusts.`;
    }
    if (CLIENT_CERT_REFUSED.test(text)) {
      return `TLS: ${c.where} refused our client certificate (${reason(text)}); the peer must trust the CA that issued ${tls}.certFile, and the certificate must be valid.`;
    }
    // A TLS 1.2 server that requires a client certificate and gets none answers "handshake failure"
    // too: without a certFile, that is the likelier cause, so it is named first.
    if (!c.clientCertificate && /alert handshake failure/i.test(text)) {
      return (
        `TLS: ${c.where} ended the handshake (${reason(text)}): it most likely requires a client certificate (mutual TLS); set ${tls}.certFile and ${tls}.keyFile ` +
        `to this node's certificate and key, issued by a CA the peer trusts. Otherwise the peer and this node share no TLS version or cipher suite (the node offers TLS 1.2 and 1.3).`
      );
    }
    if (NO_COMMON_GROUND.test(text)) {
      return `TLS: ${c.where} and this node share no TLS version or cipher suite (${reason(text)}); the node offers TLS 1.2 and 1.3. Check the peer's TLS profile.`;
    }
    if (NOT_TLS.test(text)) {
      return `TLS: ${c.where} does not answer in TLS (${reason(text)}): it speaks plain TCP on this port. Set ${tls}.enabled: false, or use the peer's TLS port.`;
    }
    if (!c.handshakeDone && /ECONNRESET|socket disconnected before secure TLS connection|socket hang up|closed/i.test(text)) {
      return (
        `TLS: ${c.where} closed the connection during the TLS handshake: it may not speak TLS on this port (then set ${tls}.enabled: false), ` +
        `or it refused our certificate or TLS version (see the peer's log).`
      );
    }
    return undefined;
  }
  if (/Unknown PDU type: 21\b/.test(text)) {
    return `${c.where} answered with a TLS alert: it expects TLS on this port. Set ${tls}.enabled: true (with ${tls}.caFile).`;
  }
  return undefined;
}

/** Added to "closed the connection" messages of a plain connection: the most common cause is a TLS-only port. */
export function plainToTlsHint(c: ConnectionContext): string {
  return c.tls ? '' : ` If the peer expects TLS on this port, set ${c.settingsKey}.tls.enabled: true.`;
}

/** Said when a TLS connection timed out before its handshake completed. */
export function handshakeTimeout(c: ConnectionContext, seconds: number): string {
  return (
    `TLS: the handshake with ${c.where} did not complete within ${seconds} s: the peer may not speak TLS on this port ` +
    `(then set ${c.settingsKey}.tls.enabled: false), or a firewall holds the connection.`
  );
}
