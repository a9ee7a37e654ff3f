/**
 * IBSI digital phantom: every texture reference value of digital_phantom_reference.csv
 * (3D merged / 3D), and the manual's values for the other aggregations.
 */
import { computeTextureFeatures, TEXTURE_AGGREGATIONS, TEXTURE_FAMILIES } from '../../../src/radiomics/texture';
import { DIGITAL_PHANTOM_MANUAL } from './digitalPhantomManual';
import { digitalPhantom } from './phantoms';
import { textureReferenceRows } from './reference';
import { describeReferenceValues } from './referenceSuite';

const everyAggregation = [...new Set(Object.values(TEXTURE_AGGREGATIONS).flat())];
const compute = () => computeTextureFeatures(digitalPhantom(), { families: [...TEXTURE_FAMILIES], aggregations: everyAggregation });

describeReferenceValues('IBSI digital phantom, reference file (3D)', textureReferenceRows('digital_phantom_reference.csv'), compute);

describeReferenceValues(
  'IBSI digital phantom, manual tables (2D, 2.5D, 3D averaged)',
  DIGITAL_PHANTOM_MANUAL.map((r) => ({ ...r, tolerance: '' })),
  compute,
);
