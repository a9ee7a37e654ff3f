/**
 * cStore sends the dataset of a Part 10 file as the bytes it was written with (no decoding and
 * encoding again), and still transcodes when the peer accepts only another transfer syntax.
 * Real peer: DCMTK storescp, bit-preserving, or accepting Implicit VR Little Endian only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cStore } from '../../../src/dicom/storeScu';
import { readFileMeta } from '../../../src/dicom/part10';
import { buildSr } from '../../../src/report/srDocument';
import { readPart10 } from '../../../src/dicom/part10';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { scoredStudy } from '../../support/studyFixtures';

const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

const sr = buildSr(scoredStudy(), { seriesNumber: 9901, seriesDescription: 'CD8 radiomics' }).bytes;
const datasetBytes = (file: Buffer) => file.subarray(readFileMeta(file).datasetOffset);
const target = (peer: DicomPeer) => ({ host: '127.0.0.1', port: peer.port, calledAeTitle: peer.aeTitle, callingAeTitle: 'CD8NODE', timeoutMs: 20000 });
const receivedFile = (peer: DicomPeer) => readFileSync(join(peer.dir, readdirSync(peer.dir).filter((f) => !f.startsWith('.'))[0]));

let peers: DicomPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  peers = [];
});

test('the peer receives exactly the dataset bytes of the file', async () => {
  const pacs = await startStorescp('PACS', ['--bit-preserving']);
  peers.push(pacs);
  const outcome = await cStore(target(pacs), sr);
  expect(outcome).toMatchObject({ ok: true, status: 0 });
  const got = receivedFile(pacs);
  expect(readFileMeta(got).transferSyntaxUid).toBe(EXPLICIT_VR_LE);
  expect(Buffer.compare(datasetBytes(got), datasetBytes(sr))).toBe(0);
});

test('a peer that accepts only Implicit VR Little Endian gets the same content transcoded', async () => {
  const pacs = await startStorescp('PACS', ['+xi']);
  peers.push(pacs);
  const outcome = await cStore(target(pacs), sr);
  expect(outcome).toMatchObject({ ok: true, status: 0 });
  const got = receivedFile(pacs);
  expect(readFileMeta(got).transferSyntaxUid).toBe(IMPLICIT_VR_LE);
  expect(readPart10(got).dataset).toEqual(readPart10(sr).dataset);
});
