/**
 * IBSI digital phantom: every feature with a reference value, within IBSI's rounding: the
 * reference file (3D merged / 3D for texture) and, for the other texture aggregations, the
 * values of the IBSI manual's tables.
 */
import { join } from 'node:path';
import { extractFeatures } from '../../../src/radiomics/extract';
import { loadRadiomicsSettings } from '../../../src/radiomics/settings';
import { ROOT } from '../../support/process';
import { digitalPhantomManualRows, loadReference } from './reference';
import { readPhantom } from './phantomInput';
import { defineReferenceCases } from './suite';

const compute = () => {
  const { image, mask } = readPhantom('ibsi-digital-phantom');
  return extractFeatures(image, mask, loadRadiomicsSettings(join(ROOT, 'config', 'radiomics', 'ibsi-digital-phantom.json')));
};

describe('IBSI digital phantom (NIfTI), reference file', () => {
  defineReferenceCases('digital phantom (NIfTI), reference file', loadReference('digital_phantom_reference.csv'), compute);
});

describe('IBSI digital phantom (NIfTI), manual tables (texture 2D, 2.5D, 3D averaged)', () => {
  defineReferenceCases('digital phantom (NIfTI), manual tables', digitalPhantomManualRows(), compute);
});
