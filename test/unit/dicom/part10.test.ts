/**
 * The Part 10 meta information we write in front of received datasets: DCMTK reads the result
 * as a valid file, and our own reader finds the dataset where we put it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFileMeta, NotPart10Error, readFileMeta } from '../../../src/dicom/part10';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../../src/dicom/uids';
import { run, SHARED } from '../../support/process';

const CT = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom', 'image', 'DCM_IMG_00000.dcm');

describe('buildFileMeta', () => {
  const source = readFileSync(CT);
  const sourceMeta = readFileMeta(source);
  const dataset = source.subarray(sourceMeta.datasetOffset);

  it('makes, with the received dataset behind it, a file DCMTK reads without complaint', async () => {
    const meta = buildFileMeta({
      sopClassUid: sourceMeta.sopClassUid,
      sopInstanceUid: sourceMeta.sopInstanceUid,
      transferSyntaxUid: '1.2.840.10008.1.2',
      sourceAeTitle: 'PACS',
    });
    const file = join(mkdtempSync(join(tmpdir(), 'cd8-part10-')), 'ct.dcm');
    writeFileSync(file, Buffer.concat([meta, dataset]));
    const dump = await run('dcmdump', ['+fo', '-M', file]);
    expect(dump.code).toBe(0);
    expect(dump.stderr).toBe('');
    expect(dump.stdout).toMatch(/\(0002,0001\) OB 00\\01/);
    expect(dump.stdout).toMatch(/\(0002,0002\) UI =CTImageStorage/);
    expect(dump.stdout).toContain(`(0002,0003) UI [${sourceMeta.sopInstanceUid}]`);
    expect(dump.stdout).toMatch(/\(0002,0010\) UI =LittleEndianImplicit/);
    expect(dump.stdout).toContain(`(0002,0012) UI [${IMPLEMENTATION_CLASS_UID}]`);
    expect(dump.stdout).toContain(`(0002,0013) SH [${IMPLEMENTATION_VERSION_NAME}]`);
    expect(dump.stdout).toMatch(/\(0002,0016\) AE \[PACS\]/);
    // The group length DCMTK reads is the one we wrote, and it is right.
    const groupLength = Number(/\(0002,0000\) UL (\d+)/.exec(dump.stdout)![1]);
    expect(groupLength).toBe(meta.length - 128 - 4 - 12);
    // DCMTK's dataset dump of our file equals that of the original.
    const ours = await run('dcmdump', ['-M', '+P', '0020,0013', '+P', '0028,0010', file]);
    const theirs = await run('dcmdump', ['-M', '+P', '0020,0013', '+P', '0028,0010', CT]);
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('pads odd-length UIDs with NUL and text with a space, keeping every element even', () => {
    const meta = buildFileMeta({ sopClassUid: '1.2.3', sopInstanceUid: '1.2.34', transferSyntaxUid: '1.2.840.10008.1.2.1', sourceAeTitle: 'ODD' });
    expect(meta.length % 2).toBe(0);
    expect(meta.includes(Buffer.from('1.2.3\0'))).toBe(true);
    expect(meta.includes(Buffer.from('ODD '))).toBe(true);
    const parsed = readFileMeta(meta);
    expect(parsed).toEqual({
      sopClassUid: '1.2.3',
      sopInstanceUid: '1.2.34',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      sourceAeTitle: 'ODD',
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      datasetOffset: meta.length,
    });
  });
});

describe('readFileMeta', () => {
  it('finds the dataset of a file written by another implementation (dcm4che)', () => {
    const meta = readFileMeta(readFileSync(CT));
    expect(meta).toMatchObject({ transferSyntaxUid: '1.2.840.10008.1.2', implementationClassUid: '1.2.40.0.13.1.1' });
    expect(meta.datasetOffset).toBe(128 + 4 + 12 + 190);
  });

  it('says what is wrong with something that is not a Part 10 file', () => {
    expect(() => readFileMeta(Buffer.alloc(300))).toThrow(NotPart10Error);
    expect(() => readFileMeta(Buffer.alloc(300))).toThrow(/no "DICM" marker/);
  });
});
