/**
 * Ng, the number of grey levels, for fixed bin size (CT phantom, configuration A: no
 * interpolation, re-segmentation [-500, 400] HU, bins of 25 HU from -500 HU). The IBSI values are
 * reproduced with Ng = the highest grey level present in the ROI (36 here), as the IBSI
 * coordinators' toolkit does; a count one higher (a bin for 400 HU itself) breaks the normalised
 * inverse difference, the one texture feature that uses Ng directly.
 */
import { DiscretisedRoi, computeTextureFeatures } from '../../../src/radiomics/texture';
import { judge, loadReference } from './reference';
import { readPhantom } from './phantomInput';

function configurationA(nLevels?: number): DiscretisedRoi {
  const { image, mask } = readPhantom('ibsi-ct-phantom');
  const levels = new Int32Array(image.data.length);
  let highest = 0;
  for (let i = 0; i < levels.length; i++) {
    const hu = image.data[i];
    if (!mask.data[i] || hu < -500 || hu > 400) continue;
    levels[i] = Math.floor((hu + 500) / 25) + 1;
    highest = Math.max(highest, levels[i]);
  }
  return { dims: image.dims, spacing: image.spacing, levels, nLevels: nLevels ?? highest, morphMask: mask.data };
}

describe('number of grey levels Ng for fixed bin size (CT phantom, configuration A)', () => {
  const rows = loadReference('ct_phantom_reference_ab.csv', 'A').filter((r) => r.code === 'NDRX');
  const normalisedInverseDifference = (roi: DiscretisedRoi) =>
    computeTextureFeatures(roi, { families: ['glcm'], aggregations: rows.map((r) => r.aggregation!) }).filter((f) => f.code === 'NDRX');

  test('the highest level present is 36', () => {
    expect(configurationA().nLevels).toBe(36);
  });

  test('Ng = 36 matches the reference of cm_inv_diff_norm in every aggregation; Ng = 37 misses each', () => {
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const verdicts = (roi: DiscretisedRoi) => {
      const values = normalisedInverseDifference(roi);
      return rows.map((r) => judge(r, values.find((f) => f.aggregation === r.aggregation)!.value) === 'match');
    };
    expect(verdicts(configurationA())).toEqual(rows.map(() => true));
    expect(verdicts(configurationA(37))).toEqual(rows.map(() => false));
  });
});
