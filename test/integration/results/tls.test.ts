/**
 * Results over TLS, against real TLS peers: DCMTK storescp with +tls (server authentication, and
 * mutual TLS with --require-peer-cert) and the python-hl7 MLLP server wrapped in Python's ssl.
 * Certificates come from a throwaway CA made with the openssl CLI. A certificate problem leaves
 * the message in the outbox with a last error that names the setting to change; a plain/TLS
 * mismatch fails with an explanation, not a hang.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../../src/config/schema';
import { enqueueStudyResults } from '../../../src/outbox/plan';
import type { OutboxRow } from '../../../src/outbox/outbox';
import { oruControlId } from '../../../src/report/hl7Oru';
import { lesionScores, readSr } from '../../../src/report/srRead';
import { srInstanceUid } from '../../../src/report/uids';
import { tlsProblems } from '../../../src/net/tlsFiles';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { dicomDestination, hl7Destination, resultSettings, runSender, RunningSender, tempDataDir } from '../../support/delivery';
import { dciodvfy, dsrdump } from '../../support/dicomValidate';
import { parseWithPythonHl7, segmentsNamed } from '../../support/hl7';
import { startHl7Peer } from '../../support/hl7Peer';
import { startOrthanc } from '../../support/orthanc';
import { CLI, PEER_ENV, ROOT, runCli, startDaemon, waitFor } from '../../support/process';
import { scoredStudy } from '../../support/studyFixtures';
import { makeTestPki, storescpTlsArgs, TestPki } from '../../support/tls';

jest.setTimeout(120000);

type Tls = Config['destinations']['dicom'][number]['tls'];
type Destinations = { dicom: Config['destinations']['dicom']; hl7: Config['destinations']['hl7'] };

const tls = (settings: Partial<Tls>): Tls => ({ enabled: true, caFile: null, certFile: null, keyFile: null, rejectUnauthorized: true, ...settings });
const received = (peer: DicomPeer) => readdirSync(peer.dir).filter((f) => !f.startsWith('.'));

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});

let cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** Queues the results of one scored study for `destinations` and lets a sender work them. */
async function deliver(destinations: Destinations, dataDir = tempDataDir()) {
  const node = await runSender(dataDir, destinations);
  cleanup.push(() => node.shutdown());
  const analysis = scoredStudy();
  await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  const rows = () => node.outbox.forStudy(analysis.study.studyInstanceUid);
  const row = async (destination: string) => (await rows()).find((r) => r.destination === destination) as OutboxRow;
  return { node, analysis, dataDir, rows, row };
}

/** Waits until every row of `destinations` was sent or has failed at least once. */
async function firstOutcomes(rows: () => Promise<OutboxRow[]>, timeoutMs = 20000): Promise<Map<string, OutboxRow>> {
  await waitFor('a first outcome for every message', async () => (await rows()).every((r) => r.state === 'sent' || r.lastError !== null) || undefined, timeoutMs);
  return new Map((await rows()).map((r) => [r.destination, r]));
}

describe('DICOM SR over TLS (DCMTK storescp +tls)', () => {
  test('with the CA that issued the peer certificate in tls.caFile, the SR arrives intact and valid', async () => {
    const pacs = await startStorescp('PACS', storescpTlsArgs(pki, 'ignore'));
    cleanup.push(() => pacs.stop());
    const { analysis, rows } = await deliver({ dicom: [{ ...dicomDestination('pacs', 'PACS', pacs.port), tls: tls({ caFile: pki.caFile }) }], hl7: [] });
    await waitFor('the SR sent', async () => (await rows()).every((r) => r.state === 'sent') || undefined, 30000);

    const files = received(pacs);
    expect(files).toHaveLength(1);
    const file = join(pacs.dir, files[0]);
    const v = await dciodvfy(file);
    expect(v.iod).toMatch(/SR/);
    expect(v.errors).toEqual([]);
    expect(v.unexplainedWarnings).toEqual([]);
    expect((await dsrdump(file)).problems).toEqual([]);
    const sr = readSr(readFileSync(file));
    expect(sr.dataset.SOPInstanceUID).toBe(srInstanceUid(analysis.study.studyInstanceUid, 1));
    expect(lesionScores(sr).map((l) => l.score)).toEqual([0.8731, 0.1234, null]);
    expect((await rows())[0].attempts).toBe(1);
  });

  test('a wrong or missing CA (rejectUnauthorized: true) keeps the SR in the outbox with "certificate not trusted"; with the right CA it goes out once', async () => {
    const pacs = await startStorescp('PACS', storescpTlsArgs(pki, 'ignore'));
    cleanup.push(() => pacs.stop());
    const dicom = [
      { ...dicomDestination('wrong-ca', 'PACS', pacs.port), tls: tls({ caFile: pki.otherCaFile }) },
      { ...dicomDestination('no-ca', 'PACS', pacs.port), tls: tls({}) },
    ];
    const first = await deliver({ dicom, hl7: [] });
    const outcomes = await firstOutcomes(first.rows);
    expect(outcomes.get('wrong-ca')).toMatchObject({ state: 'pending', attempts: 1 });
    expect(outcomes.get('wrong-ca')?.lastError).toMatch(
      /^TLS: certificate not trusted: PACS@127\.0\.0\.1:\d+ .*Set destinations\.dicom\[0\]\.tls\.caFile to the PEM file of the CA that issued the peer's certificate \(the CA in the current caFile did not issue it\)\.$/,
    );
    expect(outcomes.get('no-ca')?.lastError).toMatch(/^TLS: certificate not trusted: .*Set destinations\.dicom\[1\]\.tls\.caFile .*\(none is set, so only public CAs are trusted\)\.$/);
    expect(received(pacs)).toEqual([]);

    // The admin fixes caFile and restarts: the waiting SR is delivered, once per destination.
    await first.node.shutdown();
    const fixed = dicom.map((d) => ({ ...d, tls: tls({ caFile: pki.caFile }) }));
    const node: RunningSender = await runSender(first.dataDir, { dicom: fixed, hl7: [] });
    cleanup.push(() => node.shutdown());
    const rows = () => node.outbox.forStudy(first.analysis.study.studyInstanceUid);
    await waitFor('both SRs sent', async () => (await rows()).every((r) => r.state === 'sent') || undefined, 30000);
    expect((await rows()).map((r) => r.attempts)).toEqual([2, 2]);
    expect(received(pacs)).toHaveLength(1); // the same SOP Instance UID, stored twice under one name
  });

  test('rejectUnauthorized: false delivers to a peer whose CA is not configured (the config check warns about it)', async () => {
    const pacs = await startStorescp('PACS', storescpTlsArgs(pki, 'ignore'));
    cleanup.push(() => pacs.stop());
    const setting = tls({ rejectUnauthorized: false });
    const { rows } = await deliver({ dicom: [{ ...dicomDestination('pacs', 'PACS', pacs.port), tls: setting }], hl7: [] });
    await waitFor('the SR sent', async () => (await rows()).every((r) => r.state === 'sent') || undefined, 30000);
    expect(received(pacs)).toHaveLength(1);
    expect(tlsProblems(setting)).toEqual([expect.objectContaining({ key: 'rejectUnauthorized', severity: 'warning', message: expect.stringMatching(/not checked/) })]);
  });

  test('mutual TLS: the peer that requires a client certificate gets the SR from the node that has one, and the others are told what to set', async () => {
    const pacs = await startStorescp('PACS', storescpTlsArgs(pki, 'require'));
    cleanup.push(() => pacs.stop());
    const to = (name: string, settings: Partial<Tls>) => ({ ...dicomDestination(name, 'PACS', pacs.port), tls: tls({ caFile: pki.caFile, ...settings }) });
    const { rows } = await deliver({
      dicom: [
        to('mutual', { certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }),
        to('no-client-cert', {}),
        to('stranger', { certFile: pki.strangerCertFile, keyFile: pki.strangerKeyFile }),
        to('mismatched-key', { certFile: pki.clientCertFile, keyFile: pki.serverKeyFile }),
      ],
      hl7: [],
    });
    const outcomes = await firstOutcomes(rows);
    expect(outcomes.get('mutual')?.state).toBe('sent');
    expect(received(pacs)).toHaveLength(1);
    expect(outcomes.get('no-client-cert')?.lastError).toMatch(
      /^TLS: PACS@127\.0\.0\.1:\d+ requires a client certificate \(mutual TLS\)\. Set destinations\.dicom\[1\]\.tls\.certFile and destinations\.dicom\[1\]\.tls\.keyFile/,
    );
    expect(outcomes.get('stranger')?.lastError).toMatch(
      /^TLS: PACS@127\.0\.0\.1:\d+ refused our client certificate \(tlsv1 alert unknown ca\); the peer must trust the CA that issued destinations\.dicom\[2\]\.tls\.certFile/,
    );
    expect(outcomes.get('mismatched-key')?.lastError).toMatch(/^TLS settings unusable: destinations\.dicom\[3\]\.tls\.keyFile: \S+server\.key is not the private key of certFile \S+client\.pem/);
    for (const name of ['no-client-cert', 'stranger', 'mismatched-key']) expect(outcomes.get(name)?.state).toBe('pending');
  });

  test('a peer certificate issued for another name is refused, with the host setting to change', async () => {
    const pacs = await startStorescp('PACS', storescpTlsArgs(pki, 'ignore', 'other-name'));
    cleanup.push(() => pacs.stop());
    const { rows } = await deliver({ dicom: [{ ...dicomDestination('pacs', 'PACS', pacs.port), tls: tls({ caFile: pki.caFile }) }], hl7: [] });
    const outcomes = await firstOutcomes(rows);
    expect(outcomes.get('pacs')?.lastError).toMatch(
      /^TLS: the certificate of PACS@127\.0\.0\.1:\d+ is not issued for "127\.0\.0\.1" \(IP: 127\.0\.0\.1 is not in the cert's list\)\. Set destinations\.dicom\[0\]\.host to a name the certificate lists/,
    );
    expect(received(pacs)).toEqual([]);
  });
});

describe('DICOM SR over TLS to Orthanc (a real PACS with mutual TLS)', () => {
  test('Orthanc, requiring our client certificate, stores the SR received over TLS', async () => {
    const orthanc = await startOrthanc({
      aeTitle: 'ORTHANC',
      modalities: { cd8: ['CD8NODE', '127.0.0.1', 11112] },
      settings: {
        DicomTlsEnabled: true,
        DicomTlsCertificate: pki.serverCertFile,
        DicomTlsPrivateKey: pki.serverKeyFile,
        DicomTlsTrustedCertificates: pki.caFile,
        DicomTlsRemoteCertificateRequired: true,
      },
    });
    cleanup.push(() => orthanc.stop());
    const base = dicomDestination('orthanc', 'ORTHANC', orthanc.dicomPort);
    const { analysis, rows } = await deliver({
      dicom: [
        { ...base, tls: tls({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }) },
        { ...base, name: 'orthanc-no-cert', tls: tls({ caFile: pki.caFile }) },
      ],
      hl7: [],
    });
    const outcomes = await firstOutcomes(rows, 30000);
    expect(outcomes.get('orthanc')?.state).toBe('sent');
    expect(outcomes.get('orthanc-no-cert')?.lastError).toMatch(/^TLS: ORTHANC@127\.0\.0\.1:\d+ requires a client certificate \(mutual TLS\)\. Set destinations\.dicom\[1\]\.tls\.certFile/);
    const instances = await orthanc.get<string[]>('/instances');
    expect(instances).toHaveLength(1);
    const tags = await orthanc.get<Record<string, string>>(`/instances/${instances[0]}/simplified-tags`);
    expect(tags.SOPInstanceUID).toBe(srInstanceUid(analysis.study.studyInstanceUid, 1));
    expect(tags.Modality).toBe('SR');
  });
});

describe('HL7 ORU over TLS MLLP (python-hl7 server with Python ssl)', () => {
  test('the ORU is acknowledged AA over TLS and parses back with the right fields; mutual TLS needs certFile/keyFile', async () => {
    const ris = await startHl7Peer({ tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } });
    const strictRis = await startHl7Peer({ tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, clientCaFile: pki.caFile } });
    cleanup.push(() => ris.stop(), () => strictRis.stop());
    const { analysis, rows } = await deliver({
      dicom: [],
      hl7: [
        { ...hl7Destination('ris', ris.port), tls: tls({ caFile: pki.caFile }) },
        { ...hl7Destination('ris-mutual', strictRis.port), tls: tls({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }) },
        { ...hl7Destination('ris-no-cert', strictRis.port), tls: tls({ caFile: pki.caFile }) },
        { ...hl7Destination('ris-no-ca', ris.port), tls: tls({}) },
      ],
    });
    const outcomes = await firstOutcomes(rows);
    expect(outcomes.get('ris')?.state).toBe('sent');
    expect(outcomes.get('ris-mutual')?.state).toBe('sent');
    expect(ris.received().map((m) => m.ack)).toEqual(['AA']);
    expect(strictRis.received().map((m) => m.ack)).toEqual(['AA']);

    const [msg] = ris.received();
    expect(msg.control_id).toBe(oruControlId(analysis.study.studyInstanceUid, 1));
    const segs = await parseWithPythonHl7(msg.message);
    expect(segmentsNamed(segs, 'MSH')[0].fields[9]).toBe('ORU^R01^ORU_R01');
    expect(segmentsNamed(segs, 'PID')[0].components[3][0]).toBe(analysis.patient.patientId);
    const score = segmentsNamed(segs, 'OBX').find((o) => o.components[3][0] === 'CD8RS' && o.fields[4] === '1');
    expect(Number(score?.fields[5])).toBe(0.8731);

    // Python's asyncio drops a refused handshake without a TLS alert; the message says what to look at.
    expect(outcomes.get('ris-no-cert')?.lastError).toMatch(
      /^127\.0\.0\.1:\d+ closed the connection before acknowledging the message\. If it requires a client certificate, set destinations\.hl7\[2\]\.tls\.certFile and keyFile\.$/,
    );
    expect(outcomes.get('ris-no-ca')?.lastError).toMatch(/^TLS: certificate not trusted: 127\.0\.0\.1:\d+ .*\(unable to verify the first certificate\)\. Set destinations\.hl7\[3\]\.tls\.caFile/);
  });
});

describe('plain TCP and TLS mixed up: a clear failure, not a hang', () => {
  test('plain DICOM to a TLS port, TLS DICOM to a plain port, plain MLLP to a TLS port, TLS MLLP to a plain port', async () => {
    const tlsPacs = await startStorescp('PACS', storescpTlsArgs(pki, 'ignore'));
    const plainPacs = await startStorescp('PACS');
    const tlsRis = await startHl7Peer({ tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } });
    const plainRis = await startHl7Peer();
    cleanup.push(() => tlsPacs.stop(), () => plainPacs.stop(), () => tlsRis.stop(), () => plainRis.stop());
    const started = Date.now();
    const { rows } = await deliver({
      dicom: [dicomDestination('plain-to-tls', 'PACS', tlsPacs.port), { ...dicomDestination('tls-to-plain', 'PACS', plainPacs.port), tls: tls({ caFile: pki.caFile }) }],
      hl7: [hl7Destination('mllp-plain-to-tls', tlsRis.port), { ...hl7Destination('mllp-tls-to-plain', plainRis.port), tls: tls({ caFile: pki.caFile }) }],
    });
    const outcomes = await firstOutcomes(rows);
    // The slowest is TLS to the plain MLLP server, which waits silently for a frame: bounded by the ACK timeout (5 s here).
    expect(Date.now() - started).toBeLessThan(15000);

    expect(outcomes.get('plain-to-tls')?.lastError).toMatch(/closed the connection abruptly .* If the peer expects TLS on this port, set destinations\.dicom\[0\]\.tls\.enabled: true\.$/);
    expect(outcomes.get('tls-to-plain')?.lastError).toMatch(
      /^TLS: PACS@127\.0\.0\.1:\d+ closed the connection during the TLS handshake: it may not speak TLS on this port \(then set destinations\.dicom\[1\]\.tls\.enabled: false\)/,
    );
    expect(outcomes.get('mllp-plain-to-tls')?.lastError).toMatch(/closed the connection before acknowledging the message\. If the peer expects TLS on this port, set destinations\.hl7\[0\]\.tls\.enabled: true\.$/);
    expect(outcomes.get('mllp-tls-to-plain')?.lastError).toMatch(
      /^TLS: the handshake with 127\.0\.0\.1:\d+ did not complete within 5 s: the peer may not speak TLS on this port \(then set destinations\.hl7\[1\]\.tls\.enabled: false\)/,
    );
    for (const r of outcomes.values()) expect(r.state).toBe('pending');
    expect(received(tlsPacs)).toEqual([]);
    expect(received(plainPacs)).toEqual([]);
    expect(tlsRis.received()).toEqual([]);
    expect(plainRis.received()).toEqual([]);
  });
});

describe('config check of TLS files', () => {
  const config = (name: string, tlsSettings: Partial<Tls>) => {
    const path = join(pki.dir, `${name}.yaml`);
    const section = { enabled: true, ...tlsSettings };
    writeFileSync(path, `destinations:\n  dicom:\n    - name: pacs\n      aeTitle: PACS\n      host: 127.0.0.1\n      port: 104\n      tls: ${JSON.stringify(section)}\n`);
    return path;
  };

  test('valid TLS files pass', async () => {
    const r = await runCli(['config', 'check', '--no-env', config('good', { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile })]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/good\.yaml: valid/);
  });

  test.each([
    ['a missing caFile', { caFile: '/nonexistent/ca.pem' }, /:7: destinations\.dicom\[0\]\.tls\.caFile: \/nonexistent\/ca\.pem does not exist; check the path of the CA certificate file\./],
    ['certFile without keyFile', { caFile: 'CA', certFile: 'CLIENT' }, /destinations\.dicom\[0\]\.tls\.keyFile: certFile is set but keyFile is not; give the private key of the client certificate too\./],
    ['a key that is not the certificate\'s', { certFile: 'CLIENT', keyFile: 'SERVERKEY' }, /destinations\.dicom\[0\]\.tls\.keyFile: \S+server\.key is not the private key of certFile \S+client\.pem/],
    ['a caFile that is no PEM certificate', { caFile: 'SERVERKEY' }, /destinations\.dicom\[0\]\.tls\.caFile: \S+server\.key holds no PEM certificate .*openssl x509 -inform der/],
  ])('%s is an error with its path and what to do (exit 1)', async (name, settings, message) => {
    const paths: Record<string, string> = { CA: pki.caFile, CLIENT: pki.clientCertFile, SERVERKEY: pki.serverKeyFile };
    const resolved = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, paths[v] ?? v]));
    const r = await runCli(['config', 'check', '--no-env', config(name.replace(/\W+/g, '-'), resolved)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  test('the node starts on a config whose TLS file is missing (a warning: results wait in the outbox), and status does not read TLS files', async () => {
    const path = config('missing-ca-serve', { caFile: '/nonexistent/ca.pem' });
    const dataDir = tempDataDir();
    const env = { CD8_DATA_DIR: dataDir, CD8_PORT: '0', CD8_HTTP_PORT: '0', CD8_LOG_FORMAT: 'json' };
    const node = startDaemon(process.execPath, [CLI, 'serve', '--config', path], { cwd: ROOT, env: { ...PEER_ENV, ...env } });
    try {
      await waitFor('the node to start', async () => /node ready/.test(node.output()) || undefined, 30000);
      expect(node.output()).toMatch(/"level":"warn","message":"configuration: \S*missing-ca-serve\.yaml:7: destinations\.dicom\[0\]\.tls\.caFile: \/nonexistent\/ca\.pem does not exist; .*Results for this destination wait in the outbox until this is fixed\."/);
    } finally {
      expect(await node.stop('SIGTERM')).toBe(0);
    }
    const status = await runCli(['status', '--config', path], env);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
  });

  test('an expired client certificate and TLS files with TLS off are warnings', () => {
    const inThreeDays = new Date(Date.now() + 3 * 86400_000);
    const expired = tlsProblems(tls({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }), inThreeDays);
    expect(expired.map((p) => [p.key, p.severity])).toEqual([
      ['caFile', 'warning'],
      ['certFile', 'warning'],
    ]);
    expect(expired[1].message).toMatch(/client\.pem: the certificate "CN=CD8NODE" expired on .*; the peer will refuse it; renew the client certificate\./);
    expect(tlsProblems({ ...tls({ caFile: pki.caFile }), enabled: false })).toEqual([
      { key: 'enabled', severity: 'warning', message: 'caFile is set but enabled is false, so results go over plain TCP; set enabled: true to use TLS.' },
    ]);
  });
});
