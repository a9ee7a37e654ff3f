/**
 * cd8-node has one Implementation Class UID, and everything it writes says so: the meta
 * information of every Part 10 file (received instances as kept, SR, PDF and SC we create) and
 * every association it opens (C-ECHO, C-STORE) or accepts. Peers read with DCMTK in debug mode,
 * which prints the A-ASSOCIATE's "Their Implementation Class UID".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, SopClass, TransferSyntax } from '../../../src/dicom/uids';
import { buildFileMeta, readFileMeta } from '../../../src/dicom/part10';
import { buildSr } from '../../../src/report/srDocument';
import { buildPictureObjects } from '../../../src/report/pictureObjects';
import { renderStudyPictures } from '../../../src/report/pictures';
import { defaultConfig } from '../../support/delivery';
import { cEcho } from '../../../src/dicom/echo';
import { cStore } from '../../../src/dicom/storeScu';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { ROOT, run } from '../../support/process';
import { IngestNode, startIngestNode } from '../ingest/support';
import { scoredStudy } from '../../support/studyFixtures';

/** Every "Their Implementation Class UID" in a DCMTK debug log (it dumps the A-ASSOCIATE request and its answer). */
const theirImplementation = (log: string) => [...log.matchAll(/Their Implementation Class UID:\s+([0-9.]+)/g)].map((m) => m[1]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('the source tree defines one Implementation Class UID', () => {
  const definitions = sourceFiles(join(ROOT, 'src')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/(IMPLEMENTATION_CLASS_UID|ImplementationClassUid)\s*=\s*'([0-9.]+)'/g)].map((m) => m[2]),
  );
  expect(definitions).toEqual([IMPLEMENTATION_CLASS_UID]);
});

test('every Part 10 file we write carries it: received instances, SR, PDF and SC', async () => {
  const study = scoredStudy();
  const pictures = await renderStudyPictures(study, [], { ...defaultConfig().report.pictures, ringOuterMm: 5 }, true);
  const objects = buildPictureObjects(study, pictures, 'both', { seriesNumber: 9902 });
  expect(objects.map((o) => o.sopClassUid)).toEqual([SopClass.SecondaryCaptureImageStorage, SopClass.EncapsulatedPdfStorage]);
  const files = [
    buildFileMeta({ sopClassUid: SopClass.CtImageStorage, sopInstanceUid: '1.2.3.4', transferSyntaxUid: TransferSyntax.ExplicitVrLittleEndian, sourceAeTitle: 'PACS' }),
    buildSr(study, { seriesNumber: 9901, seriesDescription: 'CD8 radiomics' }).bytes,
    ...objects.map((o) => o.bytes),
  ];
  for (const file of files) expect(readFileMeta(file).implementationClassUid).toBe(IMPLEMENTATION_CLASS_UID);
});

describe('every association carries it', () => {
  let pacs: DicomPeer;
  let node: IngestNode;
  beforeAll(async () => {
    [pacs, node] = await Promise.all([startStorescp('PACS', ['--debug']), startIngestNode()]);
  });
  afterAll(async () => {
    await Promise.all([pacs?.stop(), node?.stop()]);
  });

  it('as the SCU: C-ECHO and C-STORE to DCMTK storescp', async () => {
    const target = { host: '127.0.0.1', port: pacs.port, calledAeTitle: pacs.aeTitle, callingAeTitle: 'CD8NODE', timeoutMs: 20000 };
    expect(await cEcho(target)).toMatchObject({ ok: true });
    expect(await cStore(target, buildSr(scoredStudy(), { seriesNumber: 9901, seriesDescription: 'CD8 radiomics' }).bytes)).toMatchObject({ ok: true });
    const seen = theirImplementation(pacs.output());
    expect(seen.length).toBeGreaterThanOrEqual(2); // two associations
    expect(new Set(seen)).toEqual(new Set([IMPLEMENTATION_CLASS_UID]));
  });

  it('as the SCP: the association accepted by our listener, seen by DCMTK echoscu', async () => {
    const echo = await run('echoscu', ['--debug', '-aec', 'CD8NODE', '127.0.0.1', String(node.port)], { timeoutMs: 30000 });
    expect(echo.code).toBe(0);
    const seen = theirImplementation(echo.stdout + echo.stderr);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(new Set(seen)).toEqual(new Set([IMPLEMENTATION_CLASS_UID]));
    expect(echo.stdout + echo.stderr).toContain(IMPLEMENTATION_VERSION_NAME);
  });
});
