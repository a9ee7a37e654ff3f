/**
 * The IBSI CT phantom: our GTV-1 mask and HU volume against the IBSI NIfTI files of the same data.
 */
import { join } from 'node:path';
import { loadImagingStudy } from '../../../src/imaging/load';
import { availableMarginMm, ImagingStudy, sourceEvidence } from '../../../src/imaging/study';
import { readNifti } from '../../../src/io/nifti';
import { DEFAULT_LESION_RULES } from '../../support/imaging';
import { count, dice, niftiMaskOnGrid, sameBytes } from '../../support/masks';
import { SHARED } from '../../support/process';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom');
const CT = join(PHANTOM, 'dicom', 'image');
const RS = join(PHANTOM, 'dicom', 'mask', 'DCM_RS_00060.dcm');

describe('IBSI CT phantom', () => {
  let whole: ImagingStudy;
  beforeAll(async () => {
    whole = await loadImagingStudy(CT, RS, { rules: DEFAULT_LESION_RULES, wholeSeries: true });
  });

  it('rasterises GTV-1 like the IBSI NIfTI mask (Dice ≥ 0.98) and reports its volume', async () => {
    const study = whole;
    expect(study.lesions.map((l) => l.trackingId)).toEqual(['1 GTV-1']);
    const lesion = study.lesions[0];
    const reference = niftiMaskOnGrid(readNifti(join(PHANTOM, 'nifti', 'mask', 'mask.nii.gz')), study.series.geometry);
    expect(reference.outside).toBe(0);
    const d = dice(lesion.mask.data, reference.mask);
    console.log(`IBSI phantom GTV-1: Dice ${d.toFixed(5)}; ours ${lesion.summary.voxelCount} voxels = ${lesion.summary.volumeMl.toFixed(3)} ml, IBSI ${count(reference.mask)} voxels`);
    expect(d).toBeGreaterThanOrEqual(0.98);
    expect(lesion.summary.volumeMl).toBeCloseTo((count(reference.mask) * 0.977 * 0.977 * 3) / 1000, 0);
    expect(lesion.selectedBecause).toMatch(/\^gtv/);
    expect(study.series.facts.kvp).toBeUndefined();
    expect(study.series.facts).toMatchObject({ modality: 'CT', sliceThicknessMm: 3, manufacturer: 'CMS, Inc.' });
  });

  it('reads the same HU values as the IBSI NIfTI image of the phantom, voxel for voxel', async () => {
    const study = whole;
    const ct = study.volumes[0];
    const nifti = readNifti(join(PHANTOM, 'nifti', 'image', 'phantom.nii.gz'));
    // Same grid, RAS axes: NIfTI voxel (a, b, c) is DICOM voxel (a, b, c) here (both axes flipped twice).
    const g = study.series.geometry;
    const A = nifti.affine;
    expect([-A[0][3], -A[1][3], A[2][3]].map((x) => Number(x.toFixed(3)))).toEqual(g.origin.map((x) => Number(x.toFixed(3))));
    expect(ct.image.dims).toEqual(nifti.dims);
    let maxDiff = 0;
    for (let p = 0; p < nifti.data.length; p++) maxDiff = Math.max(maxDiff, Math.abs(nifti.data[p] - ct.image.data[p]));
    expect(maxDiff).toBe(0);
  });

  it('decodes only the slices around the lesion (its 26 slices ± imaging.marginMm), and holds their geometry', async () => {
    const decoded: number[] = [];
    const study = await loadImagingStudy(CT, RS, { rules: DEFAULT_LESION_RULES, marginMm: 9, onSliceDecoded: (s) => decoded.push(s.index) });
    const [lesion] = study.lesions;
    expect([lesion.summary.firstSlice, lesion.summary.lastSlice]).toEqual([17, 42]);
    // 9 mm margin on 3 mm slices = 3 slices each side.
    expect(decoded).toEqual(Array.from({ length: 32 }, (_, n) => 14 + n));
    expect(study.decodedSlices).toBe(32);
    expect(lesion.ct.range).toEqual({ first: 14, count: 32 });
    expect(lesion.ct.image.dims).toEqual([204, 201, 32]);
    expect(lesion.ct.slices.map((s) => s.index)).toEqual(decoded);
    lesion.ct.geometry.origin.forEach((v, d) => expect(v).toBeCloseTo(study.series.slices[14].position[d], 6));
    expect(lesion.mask.dims).toEqual(lesion.ct.image.dims);
    expect(lesion.mask.origin).toEqual(lesion.ct.image.origin);
    expect(availableMarginMm(lesion)).toEqual({ before: 9, after: 9 });
    // The SR lists exactly the images used.
    const evidence = sourceEvidence(study);
    expect(evidence.ct.instances.map((i) => i.sopInstanceUid)).toEqual(lesion.ct.slices.map((s) => s.sopInstanceUid));
    expect(evidence.ct).toMatchObject({ seriesInstanceUid: study.series.facts.seriesInstanceUid, modality: 'CT', sliceThicknessMm: 3, manufacturer: 'CMS, Inc.' });
    expect(evidence.ct.kvp).toBeUndefined();
    expect(evidence.rtstruct).toEqual({ seriesInstanceUid: '1.3.6.1.4.1.9590.100.1.2.258301620411152643708006163321128526885', instances: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.481.3', sopInstanceUid: '1.3.6.1.4.1.9590.100.1.2.319182855012857526824888634150646740410' }], structureSetLabel: 'CERR Exported St' });
    // Same voxels as the whole-series load.
    const [nx, ny] = lesion.ct.image.dims;
    expect(sameBytes(whole.lesions[0].mask.data.subarray(14 * nx * ny, 46 * nx * ny), lesion.mask.data)).toBe(true);
    expect(sameBytes(whole.volumes[0].image.data.subarray(14 * nx * ny, 46 * nx * ny), lesion.ct.image.data)).toBe(true);
    // A margin larger than the series is cut at its ends, and says so.
    expect(availableMarginMm(whole.lesions[0])).toEqual({ before: 51, after: 51 });
  });

  it('gives the outline of GTV-1 on its largest slice as SCOORD pixel and patient polygons', async () => {
    const study = await loadImagingStudy(CT, RS, { rules: DEFAULT_LESION_RULES });
    const [lesion] = study.lesions;
    const outline = lesion.outline!;
    const slice = study.series.slices[lesion.summary.largestSlice];
    expect(outline.image).toEqual({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: slice.sopInstanceUid });
    expect(outline.pixelPoints.length).toBeGreaterThan(100);
    expect(outline.pixelPoints[0]).toEqual(outline.pixelPoints.at(-1));
    // Every patient point lies on the slice plane and maps to its pixel point (+0.5: SCOORD origin is the pixel corner).
    const g = study.series.geometry;
    outline.patientPoints.forEach(([x, y, z], n) => {
      expect(z).toBeCloseTo(slice.position[2], 3);
      expect((x - g.origin[0]) / g.spacing[0] + 0.5).toBeCloseTo(outline.pixelPoints[n][0], 6);
      expect((y - g.origin[1]) / g.spacing[1] + 0.5).toBeCloseTo(outline.pixelPoints[n][1], 6);
    });
  });
});
