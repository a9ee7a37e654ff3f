/**
 * DICOM over TLS into the node (dicom.tls), against real TLS peers: DCMTK echoscu/storescu +tls
 * (server authentication, mutual TLS, wrong CA, expired certificate, a plain client on the TLS
 * port) and Orthanc sending over TLS. Every refusal leaves a log line saying what to change.
 * Certificates come from a throwaway CA made with the openssl CLI.
 */
import { join } from 'node:path';
import { IngestNode, PHANTOM_CT, parseStorescu, startIngestNode } from './support';
import { run } from '../../support/process';
import { makeTestPki, TestPki } from '../../support/tls';
import { startOrthanc } from '../../support/orthanc';
import { loadConfig } from '../../../src/config/load';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

jest.setTimeout(120000);

let pki: TestPki;
let n: IngestNode;
let tlsPort: number;

/** DCMTK client TLS options: our CA to verify the node; with a client certificate, or anonymous. */
function clientTls(cert?: { key: string; cert: string }, ca = pki.caFile): string[] {
  return [...(cert ? ['+tls', cert.key, cert.cert] : ['+tla']), '+cf', ca];
}

async function echoscu(port: number, args: string[], aet = 'ECHOSCU') {
  return run('echoscu', ['-v', '-aet', aet, '-aec', 'CD8NODE', ...args, '127.0.0.1', String(port)], { timeoutMs: 30000 });
}

const lastWarning = (pattern: RegExp) => n.logs.filter((l) => l.level === 'warn' && pattern.test(l.message)).pop();

beforeAll(async () => {
  pki = await makeTestPki();
  n = await startIngestNode({
    dicom: {
      allowedCallers: ['ECHOSCU', 'STORESCU', 'ORTHANC', 'PINNED', 'MISMATCH'],
      tls: {
        enabled: true,
        port: 0,
        certFile: pki.serverCertFile,
        keyFile: pki.serverKeyFile,
        caFile: pki.caFile,
        requireClientCertificate: true,
        pinnedSubjects: ['PINNED: CN=CD8NODE', 'ORTHANC: CN=CD8NODE', 'MISMATCH: CN=pacs.example.org'],
      },
    },
  });
  tlsPort = n.node.dicomTlsPort as number;
});
afterAll(async () => {
  await n?.stop();
});

describe('DICOM TLS listener (dicom.tls) against DCMTK', () => {
  it('listens on its own port beside the plain one', async () => {
    expect(tlsPort).toBeGreaterThan(0);
    expect(tlsPort).not.toBe(n.port);
    expect((await echoscu(n.port, [])).code).toBe(0);
  });

  it('mutual TLS: echoscu and storescu with a client certificate from our CA are served', async () => {
    const client = { key: pki.clientKeyFile, cert: pki.clientCertFile };
    expect((await echoscu(tlsPort, clientTls(client))).code).toBe(0);
    const r = await run('storescu', ['-v', '-aet', 'STORESCU', '-aec', 'CD8NODE', ...clientTls(client), '127.0.0.1', String(tlsPort), join(PHANTOM_CT, 'DCM_IMG_00000.dcm')], { timeoutMs: 60000 });
    expect(parseStorescu(r.stdout + r.stderr).successes).toBe(1);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'instance.stored', callingAeTitle: 'STORESCU' }));
  });

  it('refuses a client certificate from another CA, with a line naming dicom.tls.caFile', async () => {
    const r = await echoscu(tlsPort, clientTls({ key: pki.strangerKeyFile, cert: pki.strangerCertFile }));
    expect(r.code).not.toBe(0);
    await expect(waitForLog(/DICOM TLS connection from 127\.0\.0\.1:\d+ refused: the caller's client certificate "CN=STRANGER" was not issued by a CA in dicom\.tls\.caFile/)).resolves.toBeDefined();
  });

  it('refuses an expired client certificate', async () => {
    const r = await echoscu(tlsPort, clientTls({ key: pki.expiredKeyFile, cert: pki.expiredCertFile }));
    expect(r.code).not.toBe(0);
    await expect(waitForLog(/refused: the caller's client certificate "CN=EXPIRED" has expired/)).resolves.toBeDefined();
  });

  it('refuses a caller without a client certificate when one is required (server authentication only)', async () => {
    const r = await echoscu(tlsPort, clientTls());
    expect(r.code).not.toBe(0);
    await expect(waitForLog(/refused: the caller presented no client certificate, and dicom\.tls\.requireClientCertificate is true/)).resolves.toBeDefined();
  });

  it('refuses a plain client on the TLS port, saying so', async () => {
    const r = await echoscu(tlsPort, []);
    expect(r.code).not.toBe(0);
    await expect(waitForLog(/refused: the caller did not speak TLS/)).resolves.toBeDefined();
  });

  it('refuses our certificate\'s client when it trusts another CA (the caller hangs up), and logs it', async () => {
    const r = await echoscu(tlsPort, clientTls({ key: pki.clientKeyFile, cert: pki.clientCertFile }, pki.otherCaFile));
    expect(r.code).not.toBe(0);
    await expect(waitForLog(/refused: the caller does not trust this node's certificate/)).resolves.toBeDefined();
  });

  it('pins a caller to its certificate subject: right subject over TLS in, another subject or plain TCP refused', async () => {
    const client = clientTls({ key: pki.clientKeyFile, cert: pki.clientCertFile });
    expect((await echoscu(tlsPort, client, 'PINNED')).code).toBe(0);
    const other = await echoscu(tlsPort, client, 'MISMATCH');
    expect(other.stderr).toMatch(/Calling AE Title Not Recognized/);
    expect(lastWarning(/"MISMATCH" presented a client certificate for "CN=CD8NODE", not the pinned "CN=pacs\.example\.org"/)).toBeDefined();
    const plain = await echoscu(n.port, [], 'PINNED');
    expect(plain.stderr).toMatch(/Calling AE Title Not Recognized/);
    expect(lastWarning(/"PINNED" is pinned to a client certificate .* called over plain TCP/)).toBeDefined();
  });

  it('server authentication only (requireClientCertificate false): echoscu +tla is served', async () => {
    const open = await startIngestNode({
      dicom: { allowedCallers: ['ECHOSCU'], tls: { enabled: true, port: 0, plain: false, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, requireClientCertificate: false } },
    });
    try {
      expect(open.node.dicomTlsPort).toBe(open.port);
      expect((await echoscu(open.port, clientTls())).code).toBe(0);
    } finally {
      await open.stop();
    }
  });
});

describe('Orthanc sending to the node over DICOM TLS', () => {
  it('stores what Orthanc sends with mutual TLS', async () => {
    const orthanc = await startOrthanc({
      aeTitle: 'ORTHANC',
      modalities: {},
      settings: {
        DicomModalities: { cd8: { AET: 'CD8NODE', Host: '127.0.0.1', Port: tlsPort, UseDicomTls: true } },
        DicomTlsEnabled: true,
        DicomTlsCertificate: pki.clientCertFile,
        DicomTlsPrivateKey: pki.clientKeyFile,
        DicomTlsTrustedCertificates: pki.caFile,
        DicomTlsRemoteCertificateRequired: true,
      },
    });
    try {
      const { readFileSync } = await import('node:fs');
      const uploaded = await orthanc.post<{ ID: string }>('/instances', readFileSync(join(PHANTOM_CT, 'DCM_IMG_00003.dcm')));
      const before = n.audit.filter((e) => e.event === 'instance.stored' && e.callingAeTitle === 'ORTHANC').length;
      await orthanc.post('/modalities/cd8/store', JSON.stringify({ Resources: [uploaded.ID], Synchronous: true }), 'application/json');
      expect(n.audit.filter((e) => e.event === 'instance.stored' && e.callingAeTitle === 'ORTHANC').length).toBe(before + 1);
    } finally {
      await orthanc.stop();
    }
  });
});

describe('config check of dicom.tls', () => {
  it('validates the listener files as it does for destinations', () => {
    const file = join(tmpdir(), `cd8-tls-check-${process.pid}.yaml`);
    writeFileSync(
      file,
      `dicom:\n  tls:\n    enabled: true\n    certFile: ${pki.serverCertFile}\n    keyFile: ${pki.clientKeyFile}\n    caFile: /nonexistent/ca.pem\n    pinnedSubjects: ["PACS CN=x"]\n`,
    );
    const loaded = loadConfig(file, {});
    const messages = loaded.issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/dicom\.tls\.keyFile: .* is not the private key of certFile/));
    expect(messages).toContainEqual(expect.stringMatching(/dicom\.tls\.caFile: \/nonexistent\/ca\.pem does not exist/));
    expect(messages).toContainEqual(expect.stringMatching(/pinnedSubjects.*is not "AET: SUBJECT"/));
    expect(loaded.config).toBeUndefined();
  });
});

async function waitForLog(pattern: RegExp, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = lastWarning(pattern);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no warning matching ${pattern}; warnings: ${n.logs.filter((l) => l.level === 'warn').map((l) => l.message).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
