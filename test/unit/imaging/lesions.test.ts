import { analyseCtSeries, CtSeries } from '../../../src/imaging/ctSeries';
import { PatientGeometry } from '../../../src/imaging/geometry';
import { planLesions, mergeRanges } from '../../../src/imaging/lesionPlan';
import { decideSite, LesionRules, roiSelector } from '../../../src/imaging/lesions';
import { siteFromName, sitesInName } from '../../../src/imaging/site';
import { contourAt, headers, rectangle, roi, stack, structureSet } from '../../support/synthetic';

const DEFAULT_RULES: LesionRules = {
  includeTypes: ['GTV'],
  excludeTypes: ['EXTERNAL', 'ORGAN', 'AVOIDANCE', 'CONTROL', 'BOLUS', 'SUPPORT', 'PTV', 'CTV'],
  includeNames: ['^gtv', 'tumou?r', 'lesion', '^met', 'metast'],
  excludeNames: [],
  defaultSite: 'unknown',
};

function ctSeries(count = 20, step = 2): CtSeries & { geometry: PatientGeometry } {
  const s = analyseCtSeries(headers({ rows: 32, columns: 32, pixelSpacing: [1, 1], positions: stack([0, 0, 0], [0, 0, 1], step, count) }), { sliceSpacingToleranceMm: 0.05 });
  return s as CtSeries & { geometry: PatientGeometry };
}

/** The same rectangle on slices k0..k1. */
const prism = (g: PatientGeometry, k0: number, k1: number, i0: number, j0: number, i1: number, j1: number) => Array.from({ length: k1 - k0 + 1 }, (_, n) => rectangle(g, k0 + n, i0, j0, i1, j1));

describe('lesion selection', () => {
  const select = roiSelector({ ...DEFAULT_RULES, excludeNames: ['body', '^z_'] });
  it.each([
    ['GTV-1', '', true, /name matches the lesions.includeNames pattern \/\^gtv\/i/],
    ['GTV_Mass_CT', 'GTV', true, /RT ROI Interpreted Type GTV is in lesions.includeTypes/],
    ['Tumor liver', '', true, /\/tumou\?r\/i/],
    ['Nodule 3', 'gtv', true, /Interpreted Type GTV/],
    ['Liver', 'ORGAN', false, /RT ROI Interpreted Type ORGAN is in lesions.excludeTypes/],
    ['GTV_in_PTV', 'PTV', false, /PTV is in lesions.excludeTypes/],
    ['Body', 'EXTERNAL', false, /name matches the lesions.excludeNames pattern \/body\/i/],
    ['z_GTV_help', 'GTV', false, /excludeNames pattern \/\^z_\/i/],
    ['Spinal cord', '', false, /Interpreted Type \(empty\) is not in lesions.includeTypes \(GTV\) and its name matches no lesions.includeNames pattern/],
    ['Ring', 'CONTROL', false, /CONTROL is in lesions.excludeTypes/],
  ])('%s (type "%s") → lesion %s', (name, type, lesion, why) => {
    const v = select({ name, interpretedType: type });
    expect(v.lesion).toBe(lesion);
    expect(v.lesion ? v.because : v.reason).toMatch(why);
  });

  it('rejects an invalid pattern with the key that holds it', () => {
    expect(() => roiSelector({ ...DEFAULT_RULES, includeNames: ['(gtv'] })).toThrow(/lesions.includeNames: "\(gtv" is not a valid regular expression/);
  });
});

describe('site from names (several languages)', () => {
  it.each([
    ['GTV_liver_1', 'liver'],
    ['GTV_Foie_seg7', 'liver'],
    ['Lebermetastase', 'liver'],
    ['GTV hígado', 'liver'],
    ['met_fegato', 'liver'],
    ['GTV_hepatic', 'liver'],
    ['Liver', 'liver'],
    ['GTV_lung_RUL', 'lung'],
    ['GTV poumon droit', 'lung'],
    ['Lunge links', 'lung'],
    ['GTV_pulmonary', 'lung'],
    ['GTV_LLL', 'lung'],
    ['GTV_LN3', 'lymph_node'],
    ['GTV node 4R', 'lymph_node'],
    ['ganglion_sus_clav', 'lymph_node'],
    ['Lymphknoten', 'lymph_node'],
    ['GTV_adenopathie', 'lymph_node'],
    ['GTV_H&N', 'head_and_neck'],
    ['GTV_ORL', 'head_and_neck'],
    ['GTV_HNC', 'head_and_neck'],
    ['Parotid_R', 'head_and_neck'],
    ['GTV_larynx', 'head_and_neck'],
    ['GTV oropharynx', 'head_and_neck'],
  ])('%s → %s', (name, site) => {
    expect(siteFromName(name)).toMatchObject({ site });
  });

  it.each(['GTV-1', 'GTV_Mass_CT', 'GTVp', 'Kiln', 'Nodule', 'GTV_Long'])('%s says no site', (name) => {
    expect(sitesInName(name)).toEqual([]);
  });

  it('decides nothing when the keywords disagree', () => {
    const r = siteFromName('GTV_lung_LN');
    expect(r.site).toBeNull();
    expect(r).toMatchObject({ why: expect.stringMatching(/disagree \("lung" → lung, "ln" → lymph node\)/) });
  });
});

describe('site decision order: organ ROI, then name, then config default, else unknown', () => {
  const liver = { roiNumber: 7, roiName: 'Liver', site: 'liver' as const, fraction: 0.93 };
  it('prefers an organ ROI holding most of the lesion over the name', () => {
    expect(decideSite('GTV_lung', [liver], 'unknown')).toEqual({ site: 'liver', source: 'organ ROI 7 "Liver" contains 93 % of it' });
  });
  it('falls back to the name when no organ holds most of it', () => {
    expect(decideSite('GTV_lung', [{ ...liver, fraction: 0.3 }], 'unknown')).toEqual({ site: 'lung', source: 'name keyword "lung"' });
  });
  it('then to the configured default, then unknown, saying why', () => {
    expect(decideSite('GTV-1', [], 'liver')).toEqual({ site: 'liver', source: 'config default (lesions.defaultSite): no organ ROI contains it and its name "GTV-1" has no site keyword' });
    expect(decideSite('GTV-1', [{ ...liver, fraction: 0.2 }], 'unknown').source).toBe('unknown: the organ ROI overlapping it most ("Liver", liver) holds only 20 % of it, its name "GTV-1" has no site keyword and lesions.defaultSite is unknown');
  });
});

describe('planning lesions on a CT series', () => {
  it('selects, measures and sites each lesion, and says why every other ROI was left out', () => {
    const s = ctSeries();
    const g = s.geometry;
    const ss = structureSet([
      roi(1, 'BODY', 'EXTERNAL', prism(g, 0, 19, 0.5, 0.5, 30.5, 30.5)),
      roi(2, 'Liver', 'ORGAN', prism(g, 2, 12, 4.5, 4.5, 20.5, 20.5)),
      roi(3, 'GTV_1', 'GTV', prism(g, 5, 7, 9.5, 9.5, 13.5, 12.5)), // 4 × 3 voxels on 3 slices, inside the liver
      roi(4, 'GTV_poumon', 'GTV', prism(g, 16, 17, 24.5, 24.5, 26.5, 26.5)), // name says lung, no organ
      roi(5, 'GTV-x', '', prism(g, 10, 10, 28.5, 28.5, 29.5, 29.5)), // outside the liver
      roi(6, 'Marker', 'MARKER', [contourAt(g, 3, [[5, 5]], 'POINT')]),
      roi(7, 'GTV_points', 'GTV', [contourAt(g, 3, [[5, 5]], 'POINT')]),
      roi(8, 'GTV_far', 'GTV', prism(g, 40, 41, 1.5, 1.5, 3.5, 3.5)),
      roi(9, 'GTV_tiny', 'GTV', [rectangle(g, 4, 5.1, 5.1, 5.4, 5.4)]),
    ]);
    const plan = planLesions(s, ss, { rules: DEFAULT_RULES, marginMm: 4 });
    expect(plan.lesions.map((l) => [l.trackingId, l.site, l.siteSource])).toEqual([
      ['3 GTV_1', 'liver', 'organ ROI 2 "Liver" contains 100 % of it'],
      ['4 GTV_poumon', 'lung', 'name keyword "poumon"'],
      ['5 GTV-x', 'unknown', 'unknown: no organ ROI contains it, its name "GTV-x" has no site keyword and lesions.defaultSite is unknown'],
    ]);
    expect(plan.excluded.map((e) => [e.roiNumber, e.reason])).toEqual([
      [1, 'its RT ROI Interpreted Type EXTERNAL is in lesions.excludeTypes'],
      [2, 'its RT ROI Interpreted Type ORGAN is in lesions.excludeTypes; it gave the site of 3 GTV_1'],
      [6, expect.stringMatching(/Interpreted Type MARKER is not in lesions.includeTypes/)],
      [7, 'it has no CLOSED_PLANAR contour (only POINT), so it encloses no region'],
      [8, 'none of its contours lies on the CT series (2 contours lie outside the CT series by more than half a slice (at 80.0 to 82.0 mm along the slice axis; the series spans 0.0 to 38.0 mm); ignored.)'],
      [9, 'its contours enclose no voxel centre of the CT (too small for the pixel spacing?)'],
    ]);
    const gtv1 = plan.lesions[0];
    expect(gtv1.summary).toMatchObject({
      voxelCount: 4 * 3 * 3,
      volumeMl: (4 * 3 * 3 * 2) / 1000,
      boundingBoxVoxels: { min: [10, 10, 5], max: [13, 12, 7] },
      boundingBoxMm: { min: [10, 10, 10], max: [13, 12, 14] },
      centroidMm: [11.5, 11, 12],
      slicesSpanned: 3,
      firstSlice: 5,
      lastSlice: 7,
      largestSlice: 6,
    });
    // Ranges: lesion slices ± 2 slices (4 mm margin / 2 mm spacing); lesions close together share one.
    expect(plan.ranges).toEqual([{ first: 3, count: 10 }, { first: 14, count: 6 }]);
    expect(gtv1.range).toBe(plan.ranges[0]);
    expect(plan.lesions[2].range).toBe(plan.ranges[0]);
    expect(gtv1.packedMask.dims).toEqual([32, 32, 10]);
    expect(gtv1.packedMask.origin).toEqual([0, 0, 6]);
  });

  it('gives the outline on the largest slice in SCOORD pixel coordinates (pixel centre = index + 0.5), closed', () => {
    const s = ctSeries();
    const g = s.geometry;
    const ss = structureSet([roi(1, 'GTV', 'GTV', [rectangle(g, 4, 2.5, 2.5, 4.5, 4.5), rectangle(g, 5, 2.5, 2.5, 6.5, 5.5), contourAt(g, 5, [[10, 10], [12, 10], [12, 11]]), rectangle(g, 6, 2.5, 2.5, 3.5, 3.5)])]);
    const [lesion] = planLesions(s, ss, { rules: DEFAULT_RULES, marginMm: 0 }).lesions;
    expect(lesion.summary.largestSlice).toBe(5);
    expect(lesion.outline).toEqual({
      image: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4.6' },
      pixelPoints: [[3, 3], [7, 3], [7, 6], [3, 6], [3, 3]],
      patientPoints: [[2.5, 2.5, 10], [6.5, 2.5, 10], [6.5, 5.5, 10], [2.5, 5.5, 10], [2.5, 2.5, 10]],
    });
  });

  it('leaves out a lesion drawn in another frame of reference, and warns about image references that match no CT image', () => {
    const s = ctSeries(6);
    const g = s.geometry;
    const other = { ...roi(1, 'GTV_a', 'GTV', [rectangle(g, 2, 1.5, 1.5, 3.5, 3.5)]), frameOfReferenceUid: '7.7.7' };
    const refs = { ...roi(2, 'GTV_b', 'GTV', [{ ...rectangle(g, 2, 1.5, 1.5, 3.5, 3.5), referencedSopInstanceUids: ['5.5.5'] }]) };
    const plan = planLesions(s, structureSet([other, refs]), { rules: DEFAULT_RULES, marginMm: 0 });
    expect(plan.excluded).toEqual([{ roiNumber: 1, roiName: 'GTV_a', interpretedType: 'GTV', reason: 'it is drawn in frame of reference 7.7.7, the CT series is in 1.2.3.99' }]);
    expect(plan.warnings[0]).toMatch(/^1 contour image reference of the lesion contours names SOP instances that are not in CT series 1\.2\.3\.4/);
  });

  it('merges overlapping and touching slice ranges only', () => {
    expect(mergeRanges([{ first: 10, count: 5 }, { first: 0, count: 3 }, { first: 3, count: 2 }, { first: 14, count: 4 }, { first: 30, count: 1 }])).toEqual([
      { first: 0, count: 5 },
      { first: 10, count: 8 },
      { first: 30, count: 1 },
    ]);
  });
});
