/** IBSI digital phantom: every feature with a reference value, within IBSI's rounding. */
import { join } from 'node:path';
import { extractFeatures } from '../../../src/radiomics/extract';
import { loadRadiomicsSettings } from '../../../src/radiomics/settings';
import { ROOT } from '../../support/process';
import { loadReference } from './reference';
import { readPhantom } from './phantomInput';
import { defineReferenceCases } from './suite';

describe('IBSI digital phantom (NIfTI)', () => {
  defineReferenceCases('digital phantom (NIfTI)', loadReference('digital_phantom_reference.csv'), () => {
    const { image, mask } = readPhantom('ibsi-digital-phantom');
    return extractFeatures(image, mask, loadRadiomicsSettings(join(ROOT, 'config', 'radiomics', 'ibsi-digital-phantom.json')));
  });
});
