import { analyseCtSeries, CtSeries, usable } from '../../../src/imaging/ctSeries';
import { cross, Vec3 } from '../../../src/imaging/geometry';
import { header, headers, stack } from '../../support/synthetic';

const opts = { sliceSpacingToleranceMm: 0.05 };
const errors = (s: CtSeries) => s.issues.filter((i) => i.severity === 'error');
const warnings = (s: CtSeries) => s.issues.filter((i) => i.severity === 'warning');

describe('CT series: order, spacing and checks', () => {
  it('orders slices by position along the normal, not by file order or instance number (reversed series)', () => {
    const hs = headers({ positions: stack([0, 0, -50], [0, 0, 1], 2.5, 8) }).reverse();
    const s = analyseCtSeries(hs, opts);
    expect(errors(s)).toEqual([]);
    expect(s.slices.map((x) => x.position[2])).toEqual([-50, -47.5, -45, -42.5, -40, -37.5, -35, -32.5]);
    expect(s.slices.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(s.geometry).toMatchObject({ dims: [16, 16, 8], spacing: [1, 1, 2.5], origin: [0, 0, -50], sliceDirection: [0, 0, 1] });
  });

  it('takes the column spacing from PixelSpacing[1] and the row spacing from PixelSpacing[0]', () => {
    const s = analyseCtSeries(headers({ pixelSpacing: [0.7, 0.9], positions: stack([0, 0, 0], [0, 0, 1], 3, 3) }), opts);
    expect(s.geometry!.spacing).toEqual([0.9, 0.7, 3]);
  });

  it('orders an oblique series along its own normal and measures spacing along it', () => {
    const a = (25 * Math.PI) / 180;
    const row: Vec3 = [Math.cos(a), 0, -Math.sin(a)];
    const col: Vec3 = [0, 1, 0];
    const n = cross(row, col);
    const positions = stack([10, -20, 30], n, 1.25, 6);
    const shuffled = [3, 0, 5, 1, 4, 2].map((i) => positions[i]);
    const s = analyseCtSeries(headers({ orientation: [...row, ...col] as [number, number, number, number, number, number], positions: shuffled }), opts);
    expect(errors(s)).toEqual([]);
    expect(s.geometry!.spacing[2]).toBeCloseTo(1.25, 9);
    s.slices.forEach((x, k) => x.position.forEach((v, d) => expect(v).toBeCloseTo(positions[k][d], 9)));
    s.geometry!.sliceDirection.forEach((v, d) => expect(v).toBeCloseTo(n[d], 12));
  });

  it('reports a missing slice with the gap and the files around it', () => {
    const positions = stack([0, 0, 0], [0, 0, 1], 3, 10).filter((_, i) => i !== 4);
    const s = analyseCtSeries(headers({ positions }), opts);
    expect(usable(s)).toBe(false);
    expect(errors(s)).toHaveLength(1);
    expect(errors(s)[0].code).toBe('missing-slices');
    expect(errors(s)[0].message).toMatch(/1 slice missing between slice-3\.dcm \(9 mm\) and slice-4\.dcm \(15 mm\): gap 6 mm/);
  });

  it('reports gantry tilt: positions stepping away from the slice normal', () => {
    const tilt = (15 * Math.PI) / 180;
    const positions = stack([0, 0, 0], [0, Math.sin(tilt), Math.cos(tilt)], 3, 6);
    const s = analyseCtSeries(headers({ positions }).map((h) => ({ ...h, gantryDetectorTilt: 15 })), opts);
    expect(usable(s)).toBe(false);
    const e = errors(s).find((i) => i.code === 'gantry-tilt');
    expect(e?.message).toMatch(/tilted or sheared: its slice positions step 15° away from the slice normal/);
    expect(e?.message).toMatch(/Gantry\/Detector Tilt 15°/);
  });

  it('accepts a declared tilt that was already corrected, with a warning', () => {
    const s = analyseCtSeries(headers({ positions: stack([0, 0, 0], [0, 0, 1], 3, 4) }).map((h) => ({ ...h, gantryDetectorTilt: 12 })), opts);
    expect(usable(s)).toBe(true);
    expect(warnings(s).map((w) => w.code)).toEqual(['gantry-tilt-corrected']);
  });

  it('reports duplicate positions, non-uniform spacing and spacing within tolerance', () => {
    const dup = stack([0, 0, 0], [0, 0, 1], 2, 5);
    dup.splice(2, 0, [0, 0, 4]);
    expect(errors(analyseCtSeries(headers({ positions: dup }), opts))[0]).toMatchObject({ code: 'duplicate-positions', message: expect.stringMatching(/1 pair of images at the same position.*slice-2\.dcm and slice-3\.dcm at 4 mm/) });

    const uneven: Vec3[] = [[0, 0, 0], [0, 0, 2], [0, 0, 4], [0, 0, 6.5], [0, 0, 8.5], [0, 0, 10.5]];
    const s = analyseCtSeries(headers({ positions: uneven }), opts);
    expect(errors(s)).toEqual([expect.objectContaining({ code: 'non-uniform-spacing', message: expect.stringMatching(/median gap is 2 mm, but gap 2\.5 mm between slice-2\.dcm \(4 mm\) and slice-3\.dcm \(6\.5 mm\) \(tolerance 0\.05 mm/) })]);

    const jitter: Vec3[] = [[0, 0, 0], [0, 0, 2.01], [0, 0, 3.99], [0, 0, 6], [0, 0, 8.02]];
    expect(errors(analyseCtSeries(headers({ positions: jitter }), opts))).toEqual([]);
    expect(errors(analyseCtSeries(headers({ positions: jitter }), { sliceSpacingToleranceMm: 0.001 }))[0].code).toBe('non-uniform-spacing');
  });

  it('reports mixed image sizes and more than one frame of reference', () => {
    const hs = headers({ positions: stack([0, 0, 0], [0, 0, 1], 1, 4) });
    hs[2] = { ...hs[2], pixel: { ...hs[2].pixel, rows: 32 } };
    hs[3] = { ...hs[3], frameOfReferenceUid: '9.9.9' };
    const codes = errors(analyseCtSeries(hs, opts)).map((e) => e.code);
    expect(codes).toEqual(expect.arrayContaining(['mixed-size', 'mixed-frame-of-reference']));
    expect(errors(analyseCtSeries(hs, opts)).find((e) => e.code === 'mixed-frame-of-reference')!.message).toMatch(/spans 2 frames of reference \(3 images in 1\.2\.3\.99; 1 images in 9\.9\.9\)/);
  });

  it('leaves out localisers (ImageType LOCALIZER, or another orientation) with a warning', () => {
    const hs = headers({ positions: stack([0, 0, 0], [0, 0, 1], 2, 5) });
    const scout = header({ source: 'scout.dcm', sopInstanceUid: '1.2.3.4.900', imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'], imagePositionPatient: [0, 0, 3], imageOrientationPatient: [1, 0, 0, 0, 0, -1], pixelSpacing: [1, 1] });
    const sagittal = header({ source: 'sag.dcm', sopInstanceUid: '1.2.3.4.901', imagePositionPatient: [0, 0, 1], imageOrientationPatient: [0, 1, 0, 0, 0, -1], pixelSpacing: [1, 1] });
    const s = analyseCtSeries([scout, ...hs, sagittal], opts);
    expect(errors(s)).toEqual([]);
    expect(s.slices).toHaveLength(5);
    expect(s.leftOut.map((l) => l.source)).toEqual(['scout.dcm', 'sag.dcm']);
    expect(warnings(s).map((w) => w.message).join('\n')).toMatch(/1 localiser image \(ImageType LOCALIZER\).*scout\.dcm/);
    expect(warnings(s).map((w) => w.message).join('\n')).toMatch(/1 image .* orientation different .* sag\.dcm/);
    expect(warnings(s).map((w) => w.code)).toEqual(['localiser-left-out', 'other-orientation-left-out']);
  });

  it('says which attribute is missing, and refuses one-slice series and non-orthogonal orientation', () => {
    const hs = headers({ positions: stack([0, 0, 0], [0, 0, 1], 2, 3) });
    hs[1] = { ...hs[1], imagePositionPatient: undefined };
    expect(errors(analyseCtSeries(hs, opts))[0].message).toMatch(/1 image of series 1\.2\.3\.4 has no Image Position \(Patient\) \(e\.g\. slice-1\.dcm\)/);
    expect(errors(analyseCtSeries(headers({ positions: [[0, 0, 0]] }), opts))[0].code).toBe('single-slice');
    expect(errors(analyseCtSeries(headers({ orientation: [1, 0, 0, 0.2, 0.98, 0], positions: stack([0, 0, 0], [0, 0, 1], 2, 3) }), opts))[0].code).toBe('non-orthogonal');
  });

  it('ignores a repeated copy of the same instance, with a warning', () => {
    const hs = headers({ positions: stack([0, 0, 0], [0, 0, 1], 2, 3) });
    const s = analyseCtSeries([...hs, { ...hs[1], source: 'copy.dcm' }], opts);
    expect(errors(s)).toEqual([]);
    expect(s.slices).toHaveLength(3);
    expect(warnings(s)[0]).toMatchObject({ code: 'repeated-instances', message: expect.stringMatching(/copy\.dcm/) });
  });

  it('keeps the series facts the CD8 gates need', () => {
    const s = analyseCtSeries(headers({ positions: stack([0, 0, 0], [0, 0, 1], 2, 3) }).map((h) => ({ ...h, sliceThickness: 2, manufacturer: 'ACME' })), opts);
    expect(s.facts).toMatchObject({ seriesInstanceUid: '1.2.3.4', modality: 'CT', kvp: 120, sliceThicknessMm: 2, manufacturer: 'ACME', frameOfReferenceUid: '1.2.3.99' });
    expect(s.slices[0]).toEqual({ index: 0, sopInstanceUid: '1.2.3.4.1', sopClassUid: '1.2.840.10008.5.1.4.1.1.2', position: [0, 0, 0], instanceNumber: 1 });
  });
});
