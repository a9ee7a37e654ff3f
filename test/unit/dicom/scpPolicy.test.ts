/**
 * Association policy and presentation context negotiation: pure decisions, each with the reject
 * reason or context result the standard prescribes.
 */
import { AssociationPolicy, RejectReason, RejectResult, RejectSource } from '../../../src/dicom/scpPolicy';
import { negotiateContexts } from '../../../src/dicom/scpNegotiation';
import type { TlsPeer } from '../../../src/dicom/scpTls';
import { SopClass, TransferSyntax } from '../../../src/dicom/uids';

const facts = (over: Partial<{ calledAeTitle: string; callingAeTitle: string; remoteAddress: string; activeAssociations: number; activeFromHost: number; tls: TlsPeer }> = {}) => ({
  calledAeTitle: 'CD8NODE',
  callingAeTitle: 'PACS',
  remoteAddress: '10.0.0.5',
  activeAssociations: 0,
  activeFromHost: 0,
  ...over,
});

describe('AssociationPolicy', () => {
  const resolver = async (host: string) => (host === 'pacs.example.org' ? ['10.0.0.5'] : Promise.reject(new Error('ENOTFOUND')));
  const policy = new AssociationPolicy({ aeTitle: 'CD8NODE', allowedCallers: ['PACS', 'CT1@10.0.0.7', 'ARCHIVE@pacs.example.org', 'GHOST@nowhere.invalid'], maxAssociations: 2, maxAssociationsPerHost: 2 }, resolver);

  it('accepts a listed calling AE title on our called AE title (trailing spaces do not count)', async () => {
    expect(await policy.decide(facts({ calledAeTitle: 'CD8NODE  ', callingAeTitle: 'PACS ' }))).toEqual({ accept: true });
  });

  it('rejects a wrong called AE title: permanent, service user, called-AE-not-recognized', async () => {
    expect(await policy.decide(facts({ calledAeTitle: 'OTHER' }))).toMatchObject({
      accept: false,
      result: RejectResult.Permanent,
      source: RejectSource.ServiceUser,
      reason: RejectReason.CalledAeNotRecognized,
    });
  });

  it('rejects an unknown calling AE title: permanent, service user, calling-AE-not-recognized', async () => {
    const d = await policy.decide(facts({ callingAeTitle: 'WHO' }));
    expect(d).toMatchObject({ accept: false, reason: RejectReason.CallingAeNotRecognized, label: 'calling-AE-title-not-recognized' });
    expect(d.accept === false && d.why).toMatch(/"WHO" is not in dicom\.allowedCallers/);
  });

  it('checks the address of AET@host entries, resolving names and IPv4-mapped addresses', async () => {
    expect(await policy.decide(facts({ callingAeTitle: 'CT1', remoteAddress: '::ffff:10.0.0.7' }))).toEqual({ accept: true });
    expect(await policy.decide(facts({ callingAeTitle: 'CT1', remoteAddress: '10.0.0.8' }))).toMatchObject({ accept: false, reason: RejectReason.CallingAeNotRecognized });
    expect(await policy.decide(facts({ callingAeTitle: 'ARCHIVE', remoteAddress: '10.0.0.5' }))).toEqual({ accept: true });
    // A host that does not resolve lets nobody in under that title.
    expect(await policy.decide(facts({ callingAeTitle: 'GHOST' }))).toMatchObject({ accept: false });
  });

  it('lets the node verify itself from this machine (health check), for Verification only, and only from there', async () => {
    expect(await policy.decide(facts({ callingAeTitle: 'CD8NODE', remoteAddress: '127.0.0.1' }))).toEqual({ accept: true, verificationOnly: true });
    expect(await policy.decide(facts({ callingAeTitle: 'CD8NODE', remoteAddress: '::1' }))).toEqual({ accept: true, verificationOnly: true });
    expect(await policy.decide(facts({ callingAeTitle: 'CD8NODE', remoteAddress: '10.0.0.9' }))).toMatchObject({ accept: false, reason: RejectReason.CallingAeNotRecognized });
  });

  it('rejects beyond the limit: transient, service provider (presentation), local-limit-exceeded', async () => {
    expect(await policy.decide(facts({ activeAssociations: 1 }))).toEqual({ accept: true });
    expect(await policy.decide(facts({ activeAssociations: 2 }))).toMatchObject({
      accept: false,
      result: RejectResult.Transient,
      source: RejectSource.ServiceProviderPresentation,
      reason: RejectReason.LocalLimitExceeded,
    });
  });

  it('rejects beyond the per-host limit (at most the overall one), naming the address', async () => {
    const perHost = new AssociationPolicy({ aeTitle: 'CD8NODE', allowedCallers: ['*'], maxAssociations: 4, maxAssociationsPerHost: 2 });
    expect(await perHost.decide(facts({ activeAssociations: 3, activeFromHost: 1 }))).toEqual({ accept: true });
    const d = await perHost.decide(facts({ activeAssociations: 2, activeFromHost: 2 }));
    expect(d).toMatchObject({ accept: false, result: RejectResult.Transient, reason: RejectReason.LocalLimitExceeded });
    expect(d.accept === false && d.why).toMatch(/2 associations from 10\.0\.0\.5 .*dicom\.maxAssociationsPerHost \(2\)/);
    const capped = new AssociationPolicy({ aeTitle: 'CD8NODE', allowedCallers: ['*'], maxAssociations: 1, maxAssociationsPerHost: 8 });
    expect(capped.checkLimit(0, 1, '10.0.0.5')).toMatchObject({ accept: false });
  });

  it('pins a calling AE title to its TLS client certificate subject (dicom.tls.pinnedSubjects)', async () => {
    const pinned = new AssociationPolicy({ aeTitle: 'CD8NODE', allowedCallers: ['PACS'], maxAssociations: 2, maxAssociationsPerHost: 2, tls: { pinnedSubjects: ['PACS: CN=pacs.example.org, O=Hospital'] } });
    const good = { authorized: true, subject: ['C=FR', 'O=Hospital', 'CN=pacs.example.org'] };
    expect(await pinned.decide(facts({ tls: good }))).toEqual({ accept: true });
    const why = async (f: ReturnType<typeof facts>) => {
      const d = await pinned.decide(f);
      return d.accept ? 'accepted' : d.why;
    };
    expect(await why(facts())).toMatch(/pinned to a client certificate .* called over plain TCP/);
    expect(await why(facts({ tls: { authorized: false, subject: good.subject } }))).toMatch(/presented no verified one/);
    expect(await why(facts({ tls: { authorized: true, subject: ['CN=pacs.example.org', 'O=Elsewhere'] } }))).toMatch(/not the pinned "CN=pacs\.example\.org, O=Hospital"/);
  });

  it('accepts any calling AE title with "*"; the node\'s own title then is an ordinary caller', async () => {
    const open = new AssociationPolicy({ aeTitle: 'CD8NODE', allowedCallers: ['*'], maxAssociations: 1, maxAssociationsPerHost: 1 });
    expect(await open.decide(facts({ callingAeTitle: 'ANYONE' }))).toEqual({ accept: true });
    expect(await open.decide(facts({ callingAeTitle: 'CD8NODE', remoteAddress: '127.0.0.1' }))).toEqual({ accept: true });
  });
});

describe('negotiateContexts', () => {
  it('refuses every context but Verification (user rejection) when only verification is open', () => {
    const answers = negotiateContexts(
      [
        { id: 1, abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
        { id: 3, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
      ],
      { verificationOnly: true },
    );
    expect(answers.map((a) => a.result)).toEqual(['accept', 'user-rejection']);
  });

  it('chooses from our preference list, whatever order the peer proposes in', () => {
    const [a] = negotiateContexts([
      { id: 1, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.JpegLsLossless, TransferSyntax.ImplicitVrLittleEndian, TransferSyntax.ExplicitVrLittleEndian] },
    ]);
    expect(a).toEqual({ id: 1, abstractSyntaxUid: SopClass.CtImageStorage, result: 'accept', transferSyntaxUid: TransferSyntax.ExplicitVrLittleEndian });
  });

  it('accepts a compressed syntax dcmjs-codecs decodes when it is all the peer offers', () => {
    const answers = negotiateContexts([
      { id: 1, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.RleLossless] },
      { id: 3, abstractSyntaxUid: SopClass.EnhancedCtImageStorage, transferSyntaxUids: [TransferSyntax.HtJpeg2000Lossless] },
      { id: 5, abstractSyntaxUid: SopClass.RtStructureSetStorage, transferSyntaxUids: [TransferSyntax.DeflatedExplicitVrLittleEndian] },
    ]);
    expect(answers.map((a) => (a.result === 'accept' ? a.transferSyntaxUid : a.result))).toEqual([
      TransferSyntax.RleLossless,
      TransferSyntax.HtJpeg2000Lossless,
      TransferSyntax.DeflatedExplicitVrLittleEndian,
    ]);
  });

  it('refuses syntaxes we could not decode later, and SOP classes we do not store', () => {
    const answers = negotiateContexts([
      { id: 1, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.JpegBaseline, TransferSyntax.ExplicitVrBigEndian] },
      { id: 3, abstractSyntaxUid: SopClass.MrImageStorage, transferSyntaxUids: [TransferSyntax.ExplicitVrLittleEndian] },
      { id: 5, abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.JpegLsLossless] },
    ]);
    expect(answers.map((a) => a.result)).toEqual(['transfer-syntaxes-not-supported', 'abstract-syntax-not-supported', 'transfer-syntaxes-not-supported']);
  });

  it('accepts JPEG lossless process 14 with any predictor (.57), after SV1 when both are offered', () => {
    const answers = negotiateContexts([
      { id: 1, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.JpegLossless] },
      { id: 3, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.JpegLossless, TransferSyntax.JpegLosslessSv1] },
    ]);
    expect(answers.map((a) => (a.result === 'accept' ? a.transferSyntaxUid : a.result))).toEqual([TransferSyntax.JpegLossless, TransferSyntax.JpegLosslessSv1]);
  });

  it('accepts Verification in an uncompressed syntax, and tolerates NUL padding on UIDs', () => {
    const [echo] = negotiateContexts([{ id: 7, abstractSyntaxUid: `${SopClass.Verification}\0`, transferSyntaxUids: [`${TransferSyntax.ImplicitVrLittleEndian}\0`] }]);
    expect(echo).toEqual({ id: 7, abstractSyntaxUid: SopClass.Verification, result: 'accept', transferSyntaxUid: TransferSyntax.ImplicitVrLittleEndian });
  });
});
