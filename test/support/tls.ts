/**
 * Throwaway PKI for TLS tests, made with the openssl CLI (spawned asynchronously): a CA, a server
 * certificate for 127.0.0.1/localhost signed by it, a client certificate for mutual TLS, and a
 * second, unrelated CA (the "wrong CA" an admin might configure).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './process';

export interface TestPki {
  dir: string;
  /** CA that signed server and client certificates. */
  caFile: string;
  /** A CA that signed nothing here. */
  otherCaFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** Client certificate signed by the other CA: a peer that trusts only caFile refuses it. */
  strangerCertFile: string;
  strangerKeyFile: string;
  /** Client certificate signed by caFile whose validity ended yesterday. */
  expiredCertFile: string;
  expiredKeyFile: string;
  /** Server certificate (signed by caFile) for pacs.example.org only: wrong for 127.0.0.1. */
  otherNameCertFile: string;
  otherNameKeyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await run('openssl', args, { cwd, timeoutMs: 30000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

// P-256 keys: generated in milliseconds, and accepted by DCMTK's BCP 195 profile and by Node.
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string, cn: string): Promise<void> {
  await openssl(
    ['req', '-x509', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
}

let serial = 1000;

async function makeLeaf(dir: string, name: string, ca: string, cn: string, extensions: string, days = 2): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  // An explicit serial: leaves signed in parallel must not share a serial file.
  const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++)];
  // days -1: valid until yesterday, i.e. expired.
  await openssl([...args, '-out', `${name}.pem`, '-days', String(days), '-extfile', `${name}.ext`], dir);
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-pki-'));
  await Promise.all([makeCa(dir, 'ca', 'cd8-node test CA'), makeCa(dir, 'other-ca', 'unrelated test CA')]);
  const leaf = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n';
  await Promise.all([
    makeLeaf(dir, 'server', 'ca', 'localhost', `${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n`),
    makeLeaf(dir, 'client', 'ca', 'CD8NODE', `${leaf}extendedKeyUsage=clientAuth\n`),
    makeLeaf(dir, 'stranger', 'other-ca', 'STRANGER', `${leaf}extendedKeyUsage=clientAuth\n`),
    makeLeaf(dir, 'other-name', 'ca', 'pacs.example.org', `${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=DNS:pacs.example.org\n`),
    makeLeaf(dir, 'expired', 'ca', 'EXPIRED', `${leaf}extendedKeyUsage=clientAuth\n`, -1),
  ]);
  const f = (name: string) => join(dir, name);
  return {
    dir,
    caFile: f('ca.pem'),
    otherCaFile: f('other-ca.pem'),
    serverCertFile: f('server.pem'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.pem'),
    clientKeyFile: f('client.key'),
    strangerCertFile: f('stranger.pem'),
    strangerKeyFile: f('stranger.key'),
    expiredCertFile: f('expired.pem'),
    expiredKeyFile: f('expired.key'),
    otherNameCertFile: f('other-name.pem'),
    otherNameKeyFile: f('other-name.key'),
  };
}

/**
 * DCMTK storescp options for TLS with the server certificate of `pki`. Client certificates:
 * "require" = mutual TLS (storescp's own default), "ignore" = server authentication only.
 */
export function storescpTlsArgs(pki: TestPki, clientCertificate: 'require' | 'ignore', serverCert: 'right' | 'other-name' = 'right'): string[] {
  const [key, cert] = serverCert === 'right' ? [pki.serverKeyFile, pki.serverCertFile] : [pki.otherNameKeyFile, pki.otherNameCertFile];
  return ['+tls', key, cert, '+cf', pki.caFile, clientCertificate === 'require' ? '--require-peer-cert' : '--ignore-peer-cert'];
}
