/**
 * IBSI CT phantom from its DICOM form (CT series + RTSTRUCT, as a hospital sends it), through
 * the imaging stage's loader, for configurations A–E, against the same reference values as the
 * NIfTI form. The series is read once for all five configurations.
 */
import { join } from 'node:path';
import { extractFeatures } from '../../../src/radiomics/extract';
import { loadRadiomicsSettings } from '../../../src/radiomics/settings';
import { DicomLesion, loadDicomLesion } from '../../../src/cli/dicomLesion';
import { ROOT } from '../../support/process';
import { DATA_DIR, loadReference } from './reference';
import { defineReferenceCases } from './suite';

const CT = join(DATA_DIR, 'ibsi-ct-phantom', 'dicom', 'image');
const RTSTRUCT = join(DATA_DIR, 'ibsi-ct-phantom', 'dicom', 'mask', 'DCM_RS_00060.dcm');
let lesion: Promise<DicomLesion> | undefined;
// IBSI's DICOM: the whole series decoded, HU are integers already (rescale of int16).
const phantomLesion = () => (lesion ??= loadDicomLesion(CT, RTSTRUCT, 'GTV-1', true));

const CONFIGURATIONS: Array<[string, string[]]> = [
  ['A', ['ct_phantom_reference_ab.csv']],
  ['B', ['ct_phantom_reference_ab.csv']],
  ['C', ['ct_phantom_reference.csv', 'ct_phantom_reference_cde_3d_averaged.csv']],
  ['D', ['ct_phantom_reference.csv', 'ct_phantom_reference_cde_3d_averaged.csv']],
  ['E', ['ct_phantom_reference.csv', 'ct_phantom_reference_cde_3d_averaged.csv']],
];

for (const [configuration, files] of CONFIGURATIONS) {
  const rows = files.flatMap((f) => loadReference(f, configuration));
  describe(`IBSI CT phantom, configuration ${configuration} (DICOM CT + RTSTRUCT)`, () => {
    defineReferenceCases(`CT phantom configuration ${configuration} (DICOM)`, rows, async () => {
      const { image, mask, options } = await phantomLesion();
      const settings = loadRadiomicsSettings(join(ROOT, 'config', 'radiomics', `ibsi-config-${configuration.toLowerCase()}.json`));
      return extractFeatures(image, mask, settings, 'roi', options);
    });
  });
}
