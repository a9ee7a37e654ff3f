/**
 * IBSI CT phantom, configuration A (2D; no interpolation; re-segmentation [-500, 400] HU; fixed
 * bin size 25 HU from -500 HU): every texture reference value of ct_phantom_reference_ab.csv for
 * configuration A, in each aggregation it lists (GLCM/GLRLM 2D averaged, 2D slice-merged,
 * 2.5D direction-merged, 2.5D merged; the others 2D and 2.5D).
 */
import { computeTextureFeatures, TEXTURE_FAMILIES } from '../../../src/radiomics/texture';
import { ctPhantomConfigA } from './phantoms';
import { textureReferenceRows } from './reference';
import { describeReferenceValues } from './referenceSuite';

const rows = textureReferenceRows('ct_phantom_reference_ab.csv', 'A');

describeReferenceValues('IBSI CT phantom, configuration A', rows, () =>
  computeTextureFeatures(ctPhantomConfigA(), { families: [...TEXTURE_FAMILIES], aggregations: [...new Set(rows.map((r) => r.aggregation))] }),
);

describe('number of grey levels Ng for fixed bin size (configuration A)', () => {
  // The IBSI values are reproduced with Ng = the highest grey level in the ROI (36 here); a
  // level count taken one higher (e.g. counting a bin for 400 HU itself) breaks the normalised
  // inverse difference, the only texture feature that uses Ng directly.
  const normalisedInverseDifference = rows.filter((r) => r.code === 'NDRX');
  const value = (nLevels?: number) => (r: (typeof rows)[number]) =>
    computeTextureFeatures(ctPhantomConfigA(nLevels), { families: ['glcm'], aggregations: [r.aggregation] }).find((f) => f.code === 'NDRX')!.value;

  test('the highest level present is 36', () => {
    expect(ctPhantomConfigA().nLevels).toBe(36);
  });

  test('Ng = 37 misses the reference of cm_inv_diff_norm', () => {
    const r = normalisedInverseDifference[0];
    expect(Math.abs(value(37)(r) - Number(r.reference))).toBeGreaterThan(Number(r.tolerance));
    expect(Math.abs(value()(r) - Number(r.reference))).toBeLessThanOrEqual(Number(r.tolerance));
  });
});
