/**
 * IBSI CT phantom from its DICOM form (CT series + RTSTRUCT, as a hospital sends it), through
 * the imaging stage's loader, for configurations A–E, against the same reference values as the
 * NIfTI form. Runs once the imaging loader (src/dicom/loadSeries) is part of the build; until
 * then every case is skipped with that reason.
 */
import { join } from 'node:path';
import { extractFeatures } from '../../../src/radiomics/extract';
import { loadRadiomicsSettings } from '../../../src/radiomics/settings';
import { dicomLoaderPresent, loadDicomLesion } from '../../../src/cli/dicomLesion';
import { ROOT } from '../../support/process';
import { DATA_DIR, loadReference } from './reference';
import { defineReferenceCases } from './suite';

const CT = join(DATA_DIR, 'ibsi-ct-phantom', 'dicom', 'image');
const RTSTRUCT = join(DATA_DIR, 'ibsi-ct-phantom', 'dicom', 'mask', 'DCM_RS_00060.dcm');
const present = dicomLoaderPresent();

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
    if (!present) {
      test.skip('imaging loader (src/dicom/loadSeries) not present in this branch', () => undefined);
      return;
    }
    let lesion: Awaited<ReturnType<typeof loadDicomLesion>> | undefined;
    defineReferenceCases(`CT phantom configuration ${configuration} (DICOM)`, rows, async () => {
      // IBSI's DICOM: the whole series decoded, HU are integers already (rescale of int16).
      lesion ??= await loadDicomLesion(CT, RTSTRUCT, 'GTV-1', true);
      const settings = loadRadiomicsSettings(join(ROOT, 'config', 'radiomics', `ibsi-config-${configuration.toLowerCase()}.json`));
      return extractFeatures(lesion.image, lesion.mask, settings, 'roi', lesion.options);
    });
  });
}
