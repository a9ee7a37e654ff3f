import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, SHARED } from '../../support/process';
import { contoursOf, readNatural, square, writeRtstructWith } from '../../support/rtstructVariant';

const DATA = join(SHARED, 'data');
const PHANTOM_CT = join(DATA, 'ibsi-ct-phantom', 'dicom', 'image');
const PHANTOM_RS = join(DATA, 'ibsi-ct-phantom', 'dicom', 'mask', 'DCM_RS_00060.dcm');
const sts = (p: string) => ({ ct: join(DATA, 'sts', p, 'CT', 'image'), rs: join(DATA, 'sts', p, 'CT', 'mask', 'RS.dcm') });

interface LesionsJson {
  series: { seriesInstanceUid: string; slices: number; kvp?: number; modality: string; chosenBecause: string };
  lesions: Array<{ trackingId: string; site: string; siteSource: string; volumeMl: number; voxelCount: number; firstSlice: number; lastSlice: number; outline: { image: { sopInstanceUid: string }; pixelPoints: number[][] } }>;
  excluded: Array<{ roiNumber: number; roiName: string; reason: string }>;
  warnings: string[];
  decodedSlices: number;
}

describe('cd8-node lesions', () => {
  it('prints the IBSI phantom lesion with site, volume and voxel count, and what it decoded', async () => {
    const r = await runCli(['lesions', '--ct', PHANTOM_CT, '--rtstruct', PHANTOM_RS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Lesions \(1\):\n {2}1 GTV-1: site unknown, volume 358\.68 ml, 125256 voxels, slices 17–42 \(26\)$/m);
    expect(r.stdout).toMatch(/selected: its name matches the lesions\.includeNames pattern \/\^gtv\/i/);
    expect(r.stdout).toMatch(/KVP missing/);
    expect(r.stdout).toMatch(/^Left out \(0\):\n {2}none$/m);
    // 20 mm margin on 3 mm slices: 7 slices each side of 17–42.
    expect(r.stdout).toMatch(/^Decoded 40 of 60 slices\.$/m);
  });

  it('prints STS_001 as JSON, with the re-identified image references as a warning', async () => {
    const { ct, rs } = sts('STS_001');
    const r = await runCli(['lesions', '--ct', ct, '--rtstruct', rs, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as LesionsJson;
    expect(out.series).toMatchObject({ slices: 59, kvp: 140, modality: 'CT', chosenBecause: 'referenced by the RTSTRUCT (RT Referenced Series)' });
    expect(out.lesions).toHaveLength(1);
    expect(out.lesions[0]).toMatchObject({ trackingId: '1 GTV_Mass_CT', site: 'unknown', voxelCount: 117145, volumeMl: 365.3181, firstSlice: 12, lastSlice: 42 });
    expect(out.lesions[0].outline.pixelPoints.length).toBeGreaterThan(10);
    expect(out.excluded).toEqual([]);
    expect(out.warnings.join('\n')).toMatch(/32 contour image references of the lesion contours name SOP instances that are not in CT series/);
    expect(out.decodedSlices).toBeLessThan(59);
  });

  it('gives the site from an organ ROI and lists every ROI left out with its reason (STS_002 with added ROIs)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-lesions-'));
    const { ct, rs } = sts('STS_002');
    const gtv = contoursOf(readNatural(rs).ds, 1);
    const zs = [...new Set(gtv.map((c) => c[2]))];
    const [cx, cy] = [81.2, 129.3];
    const variant = join(dir, 'RS-variant.dcm');
    writeRtstructWith(rs, variant, [
      { number: 2, name: 'Leber', type: 'ORGAN', contours: zs.map((z) => ({ type: 'CLOSED_PLANAR', points: square(cx, cy, z, 45) })) },
      { number: 3, name: 'BODY', type: 'EXTERNAL', contours: zs.map((z) => ({ type: 'CLOSED_PLANAR', points: square(cx, cy, z, 60) })) },
      { number: 4, name: 'GTV_marker', type: 'GTV', contours: [{ type: 'POINT', points: [cx, cy, zs[0]] }] },
      { number: 5, name: 'PTV_1', type: 'PTV', contours: zs.map((z) => ({ type: 'CLOSED_PLANAR', points: square(cx, cy, z, 50) })) },
      { number: 6, name: 'z_GTV_help', type: 'GTV', contours: zs.map((z) => ({ type: 'CLOSED_PLANAR', points: square(cx, cy, z, 5) })) },
      { number: 7, name: 'Metastasis_2', type: '', contours: [{ type: 'CLOSED_PLANAR', points: square(cx, cy, zs[2], 4) }] },
    ]);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'lesions:\n  excludeNames: ["^z_"]\n');
    const r = await runCli(['lesions', '--ct', ct, '--rtstruct', variant, '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Lesions \(2\):$/m);
    expect(r.stdout).toMatch(/^ {2}1 GTV_Mass_CT: site liver, volume 53\.3 ml, 17090 voxels/m);
    expect(r.stdout).toMatch(/site: organ ROI 2 "Leber" contains 100 % of it/);
    expect(r.stdout).toMatch(/^ {2}7 Metastasis_2: site liver, volume 0\.\d+ ml, \d+ voxels, slices \d+–\d+ \(1\)$/m);
    expect(r.stdout).toMatch(/selected: its name matches the lesions\.includeNames pattern \/\^met\/i/);
    const leftOut = r.stdout.split('Left out (5):\n')[1].split('\n\n')[0].split('\n');
    expect(leftOut).toEqual([
      '  2 Leber (ORGAN): its RT ROI Interpreted Type ORGAN is in lesions.excludeTypes; it gave the site of 1 GTV_Mass_CT, 7 Metastasis_2',
      '  3 BODY (EXTERNAL): its RT ROI Interpreted Type EXTERNAL is in lesions.excludeTypes',
      '  4 GTV_marker (GTV): it has no CLOSED_PLANAR contour (only POINT), so it encloses no region',
      '  5 PTV_1 (PTV): its RT ROI Interpreted Type PTV is in lesions.excludeTypes',
      '  6 z_GTV_help (GTV): its name matches the lesions.excludeNames pattern /^z_/i',
    ]);
  });

  it('refuses contours of another frame of reference, naming both (exit 1)', async () => {
    const r = await runCli(['lesions', '--ct', sts('STS_001').ct, '--rtstruct', sts('STS_002').rs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the study cannot be used:\n {2}- \[frame-of-reference-mismatch\] RTSTRUCT .* references frame of reference 1\.3\.6\.1\.4\.1\.14519\.5\.2\.1\.5168\.1900\.\d+ but no CT series with that frame was received/);
  });

  it('says what is missing from the command line (exit 2) and when the RTSTRUCT is not one (exit 1)', async () => {
    const a = await runCli(['lesions', '--ct', PHANTOM_CT]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--rtstruct FILE is required/);
    const b = await runCli(['lesions', '--ct', PHANTOM_CT, '--rtstruct', join(PHANTOM_CT, 'DCM_IMG_00000.dcm')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/DCM_IMG_00000\.dcm is not an RT Structure Set \(SOP Class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2, Modality CT\)/);
  });
});
