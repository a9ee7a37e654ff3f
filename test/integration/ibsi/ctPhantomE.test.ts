/** IBSI CT phantom (PAT1, GTV-1), configuration E, from the NIfTI image and mask as IBSI does. */
import { join } from 'node:path';
import { extractFeatures } from '../../../src/radiomics/extract';
import { loadRadiomicsSettings } from '../../../src/radiomics/settings';
import { ROOT } from '../../support/process';
import { loadReference } from './reference';
import { readPhantom } from './phantomInput';
import { defineReferenceCases } from './suite';

describe('IBSI CT phantom, configuration E (NIfTI)', () => {
  const rows = [
    ...loadReference('ct_phantom_reference.csv', 'E'),
    ...loadReference('ct_phantom_reference_cde_3d_averaged.csv', 'E'),
  ];
  defineReferenceCases('CT phantom configuration E (NIfTI)', rows, () => {
    const { image, mask } = readPhantom('ibsi-ct-phantom');
    return extractFeatures(image, mask, loadRadiomicsSettings(join(ROOT, 'config', 'radiomics', 'ibsi-config-e.json')));
  });
});
