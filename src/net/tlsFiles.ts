/**
 * The PEM files of a destination's TLS settings: what is wrong with them (for `config check` and
 * start-up), and the Node TLS options they make (read again at each delivery, so that a renewed
 * certificate is picked up without a restart).
 */
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { errorText } from '../ops/errorText';

export interface TlsFileSettings {
  enabled: boolean;
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  rejectUnauthorized: boolean;
}

export interface TlsProblem {
  /** Key under the destination's `tls` section. */
  key: keyof TlsFileSettings;
  severity: 'error' | 'warning';
  message: string;
}

/** The path as configured, and where it points when it is relative. */
function shown(path: string): string {
  const absolute = resolve(path);
  return absolute === path ? path : `${path} (${absolute})`;
}

type Read = { text: string } | { problem: string };

function readPem(path: string, what: string): Read {
  try {
    if (statSync(path).isDirectory()) return { problem: `${shown(path)} is a directory; give the ${what} file itself.` };
    return { text: readFileSync(path, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: `${shown(path)} does not exist; check the path of the ${what} file.` };
    if (code === 'EACCES') return { problem: `${shown(path)} is not readable by this user; let the node's user read the ${what} file.` };
    return { problem: `cannot read the ${what} file ${shown(path)}: ${errorText(e)}` };
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const DER_HINT = (path: string) => `convert a DER file with "openssl x509 -inform der -in ${path} -out ${path}.pem"`;

function certificates(path: string, text: string, what: string): { certs: X509Certificate[] } | { problem: string } {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return { problem: `${shown(path)} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); give the ${what} in PEM form (${DER_HINT(path)}).` };
  try {
    return { certs: blocks.map((b) => new X509Certificate(b)) };
  } catch (e) {
    return { problem: `${shown(path)} holds a certificate that cannot be read (${errorText(e)}); export the ${what} again in PEM form.` };
  }
}

function validityProblems(key: keyof TlsFileSettings, path: string, certs: X509Certificate[], now: Date, whose: string): TlsProblem[] {
  const out: TlsProblem[] = [];
  for (const c of certs) {
    const subject = c.subject.replace(/\n/g, ', ');
    if (new Date(c.validTo) < now) {
      out.push({ key, severity: 'warning', message: `${shown(path)}: the certificate "${subject}" expired on ${c.validTo}; ${whose}` });
    } else if (new Date(c.validFrom) > now) {
      out.push({ key, severity: 'warning', message: `${shown(path)}: the certificate "${subject}" is valid only from ${c.validFrom}; check this machine's clock.` });
    }
  }
  return out;
}

function privateKey(path: string, text: string): { key: KeyObject } | { problem: string } {
  try {
    return { key: createPrivateKey(text) };
  } catch (e) {
    const message = errorText(e);
    if (/passphrase|encrypted|bad decrypt/i.test(message) || /ENCRYPTED/.test(text)) {
      return { problem: `${shown(path)} is encrypted with a passphrase, which the node cannot enter; store the key unencrypted ("openssl pkey -in ${path} -out KEY.pem") in a file only the node's user can read.` };
    }
    return { problem: `${shown(path)} is not a PEM private key (${message}); give the key that belongs to certFile, in PEM form.` };
  }
}

/**
 * Everything wrong with one destination's TLS settings (files read from disk; paths relative to
 * the working directory). `role`: whose certificate certFile is (ours as a client, or the
 * listener's as a server).
 */
export function tlsProblems(tls: TlsFileSettings, now = new Date(), role: 'client' | 'server' = 'client'): TlsProblem[] {
  const ours = `${role} certificate`;
  const problems: TlsProblem[] = [];
  const error = (key: keyof TlsFileSettings, message: string) => problems.push({ key, severity: 'error', message });
  const files = (['caFile', 'certFile', 'keyFile'] as const).filter((k) => tls[k] !== null);
  if (!tls.enabled) {
    if (files.length > 0) {
      problems.push({ key: 'enabled', severity: 'warning', message: `${files.join(', ')} ${files.length === 1 ? 'is' : 'are'} set but enabled is false, so results go over plain TCP; set enabled: true to use TLS.` });
    }
    return problems;
  }
  if (tls.certFile !== null && tls.keyFile === null) error('keyFile', `certFile is set but keyFile is not; give the private key of the ${ours} too.`);
  if (tls.keyFile !== null && tls.certFile === null) error('certFile', `keyFile is set but certFile is not; give the ${ours} that goes with the key too.`);
  if (!tls.rejectUnauthorized) {
    problems.push({ key: 'rejectUnauthorized', severity: 'warning', message: "false: the peer's certificate is not checked, so anyone on the network path can pose as the peer. Set caFile and rejectUnauthorized: true." });
  }

  if (tls.caFile !== null) {
    const read = readPem(tls.caFile, 'CA certificate');
    if ('problem' in read) error('caFile', read.problem);
    else {
      const parsed = certificates(tls.caFile, read.text, 'CA certificate');
      if ('problem' in parsed) error('caFile', parsed.problem);
      else problems.push(...validityProblems('caFile', tls.caFile, parsed.certs, now, 'peers it signed will be refused; get the current CA certificate.'));
    }
  }

  let cert: X509Certificate | undefined;
  if (tls.certFile !== null) {
    const read = readPem(tls.certFile, ours);
    if ('problem' in read) error('certFile', read.problem);
    else {
      const parsed = certificates(tls.certFile, read.text, ours);
      if ('problem' in parsed) error('certFile', parsed.problem);
      else {
        cert = parsed.certs[0];
        problems.push(...validityProblems('certFile', tls.certFile, parsed.certs.slice(0, 1), now, `the peer will refuse it; renew the ${ours}.`));
      }
    }
  }
  if (tls.keyFile !== null) {
    const read = readPem(tls.keyFile, 'private key');
    if ('problem' in read) error('keyFile', read.problem);
    else {
      const parsed = privateKey(tls.keyFile, read.text);
      if ('problem' in parsed) error('keyFile', parsed.problem);
      else if (cert && !cert.checkPrivateKey(parsed.key)) {
        error('keyFile', `${shown(tls.keyFile)} is not the private key of certFile ${shown(tls.certFile as string)}; give the key the ${ours} was issued for.`);
      }
    }
  }
  return problems;
}

/** Raised when a destination's TLS files cannot be used at delivery time; the message names the key and the fix. */
export class TlsSettingsError extends Error {
  override readonly name = 'TlsSettingsError';
}

/**
 * Node TLS options of one destination (undefined when TLS is off). `settingsKey` is where an admin
 * sets them, e.g. `destinations.dicom[0].tls`, used in the error.
 */
export function loadTlsOptions(tls: TlsFileSettings, settingsKey: string): ConnectionOptions | undefined {
  if (!tls.enabled) return undefined;
  const firstError = tlsProblems(tls).find((p) => p.severity === 'error');
  if (firstError) throw new TlsSettingsError(`TLS settings unusable: ${settingsKey}.${firstError.key}: ${firstError.message}`);
  const read = (path: string | null) => (path === null ? undefined : readFileSync(path, 'utf8'));
  return { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile), rejectUnauthorized: tls.rejectUnauthorized };
}

/** TLS settings of the DICOM listener (dicom.tls). */
export interface ServerTlsSettings {
  enabled: boolean;
  certFile: string | null;
  keyFile: string | null;
  caFile: string | null;
  requireClientCertificate: boolean;
}

/** Everything wrong with the listener's TLS settings (the same file checks as for destinations). */
export function serverTlsProblems(tls: ServerTlsSettings, now = new Date()): TlsProblem[] {
  if (!tls.enabled) return tlsProblems({ ...tls, rejectUnauthorized: true }, now, 'server');
  const problems: TlsProblem[] = [];
  // One of the pair without the other is reported by tlsProblems below.
  if (tls.certFile === null && tls.keyFile === null) {
    problems.push({ key: 'certFile', severity: 'error', message: 'is required with enabled: true; give the PEM server certificate the node presents (and its keyFile).' });
  }
  if (tls.requireClientCertificate && tls.caFile === null) {
    problems.push({ key: 'caFile', severity: 'error', message: 'is required with requireClientCertificate: true; give the PEM CA certificate(s) that issue the callers\' client certificates.' });
  }
  if (!tls.requireClientCertificate) {
    problems.push({
      key: 'enabled',
      severity: 'warning',
      message: 'requireClientCertificate is false: callers are not authenticated by certificate, only by AE title (and address); set it to true with caFile for mutual TLS.',
    });
  }
  return [...problems, ...tlsProblems({ ...tls, rejectUnauthorized: true }, now, 'server')];
}
