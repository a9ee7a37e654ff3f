/**
 * The STS patients: our lesion masks against plastimatch's rasterisation of the same RTSTRUCT on
 * the same CT (plastimatch convert --output-prefix: one NIfTI per structure).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImagingStudy } from '../../../src/imaging/load';
import { readNifti } from '../../../src/io/nifti';
import { DEFAULT_LESION_RULES } from '../../support/imaging';
import { count, dice, niftiMaskOnGrid } from '../../support/masks';
import { run, SHARED } from '../../support/process';

describe.each(['STS_001', 'STS_002'])('%s against plastimatch', (patient) => {
  const ct = join(SHARED, 'data', 'sts', patient, 'CT', 'image');
  const rs = join(SHARED, 'data', 'sts', patient, 'CT', 'mask', 'RS.dcm');

  it('rasterises GTV_Mass_CT like plastimatch (Dice ≥ 0.99)', async () => {
    const out = mkdtempSync(join(tmpdir(), `plastimatch-${patient}-`));
    const [pm, study] = await Promise.all([
      run('plastimatch', ['convert', '--input', rs, '--referenced-ct', ct, '--output-prefix', out, '--prefix-format', 'nii.gz'], { timeoutMs: 120000 }),
      loadImagingStudy(ct, rs, { rules: DEFAULT_LESION_RULES, wholeSeries: true }),
    ]);
    expect({ code: pm.code, stderr: pm.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(readdirSync(out)).toEqual(['GTV_Mass_CT.nii.gz']);
    const reference = niftiMaskOnGrid(readNifti(join(out, 'GTV_Mass_CT.nii.gz')), study.series.geometry);
    expect(reference.outside).toBe(0);

    expect(study.lesions.map((l) => [l.trackingId, l.interpretedType])).toEqual([['1 GTV_Mass_CT', 'GTV']]);
    const [lesion] = study.lesions;
    const d = dice(lesion.mask.data, reference.mask);
    console.log(`${patient} GTV_Mass_CT: Dice ${d.toFixed(5)} vs plastimatch; ours ${lesion.summary.voxelCount} voxels (${lesion.summary.volumeMl.toFixed(2)} ml), plastimatch ${count(reference.mask)}`);
    expect(d).toBeGreaterThanOrEqual(0.99);
    // The re-identified image references are a warning, not an error.
    expect(study.warnings.join('\n')).toMatch(/contour image references? of the lesion contours names? SOP instances that are not in CT series/);
    expect(study.series.facts).toMatchObject({ kvp: 140, manufacturer: 'GE MEDICAL SYSTEMS', modality: 'CT' });
  });
});
