/**
 * The wording of TLS failures our test peers cannot produce (an expired peer certificate, no
 * common TLS version, a plain peer answering a ClientHello with bytes, a TLS alert read as a DICOM
 * PDU). The failures DCMTK and python-hl7 do produce are checked end to end in
 * test/integration/results/tls.test.ts. Texts are OpenSSL's and Node's, as dcmjs-dimse passes them on.
 */
import { ConnectionContext, describeTlsFailure } from '../../../src/net/tlsFailures';

const context = (over: Partial<ConnectionContext> = {}): ConnectionContext => ({
  where: 'PACS@pacs.example.org:2762',
  host: 'pacs.example.org',
  settingsKey: 'destinations.dicom[0]',
  tls: true,
  caConfigured: true,
  clientCertificate: false,
  handshakeDone: false,
  ...over,
});

test('an expired peer certificate: the peer must renew it', () => {
  expect(describeTlsFailure('PACS -> Connection error: certificate has expired', context())).toBe(
    "TLS: the certificate of PACS@pacs.example.org:2762 has expired; the peer's administrator must renew it (or this machine's clock is wrong).",
  );
});

const HANDSHAKE_FAILURE =
  'PACS -> Connection error: 80DC1A2F0D7F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 40\n';

test('"handshake failure" without a client certificate: a TLS 1.2 peer that requires one says just that, so it is named first', () => {
  expect(describeTlsFailure(HANDSHAKE_FAILURE, context())).toBe(
    'TLS: PACS@pacs.example.org:2762 ended the handshake (sslv3 alert handshake failure): it most likely requires a client certificate (mutual TLS); set destinations.dicom[0].tls.certFile and destinations.dicom[0].tls.keyFile ' +
      "to this node's certificate and key, issued by a CA the peer trusts. Otherwise the peer and this node share no TLS version or cipher suite (the node offers TLS 1.2 and 1.3).",
  );
});

test('no common TLS version or cipher (with a client certificate offered): OpenSSL\'s reason without its error-code prefix', () => {
  const text = HANDSHAKE_FAILURE;
  expect(describeTlsFailure(text, context({ clientCertificate: true }))).toBe(
    "TLS: PACS@pacs.example.org:2762 and this node share no TLS version or cipher suite (sslv3 alert handshake failure); the node offers TLS 1.2 and 1.3. Check the peer's TLS profile.",
  );
});

test('a plain peer answering our ClientHello with non-TLS bytes: turn TLS off or use the TLS port', () => {
  const text = 'PACS -> Connection error: 40B8C1E7A27F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:355:\n';
  expect(describeTlsFailure(text, context())).toBe(
    'TLS: PACS@pacs.example.org:2762 does not answer in TLS (wrong version number): it speaks plain TCP on this port. Set destinations.dicom[0].tls.enabled: false, or use the peer\'s TLS port.',
  );
});

test('a TLS alert read as a DICOM PDU on a plain connection: the peer expects TLS', () => {
  expect(describeTlsFailure('PACS -> Connection error: Unknown PDU type: 21', context({ tls: false }))).toBe(
    'PACS@pacs.example.org:2762 answered with a TLS alert: it expects TLS on this port. Set destinations.dicom[0].tls.enabled: true (with destinations.dicom[0].tls.caFile).',
  );
});

test('errors that are not about TLS are left to the plain network description', () => {
  expect(describeTlsFailure('PACS -> Connection error: connect ECONNREFUSED 10.0.0.5:2762', context())).toBeUndefined();
  expect(describeTlsFailure('PACS -> Connection error: read ECONNRESET', context({ tls: false }))).toBeUndefined();
  // After the handshake a reset is the peer's business, not a TLS mismatch.
  expect(describeTlsFailure('PACS -> Connection error: read ECONNRESET', context({ handshakeDone: true }))).toBeUndefined();
});
