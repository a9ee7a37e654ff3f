/** `cd8-node features` end to end (built CLI): NIfTI input, JSON keys by IBSI tag, errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../../support/process';
import { DATA_DIR } from './reference';

const phantom = join(DATA_DIR, 'ibsi-digital-phantom', 'nifti');
const image = join(phantom, 'image', 'phantom.nii.gz');
const mask = join(phantom, 'mask', 'mask.nii.gz');
const settings = join(ROOT, 'config', 'radiomics', 'ibsi-digital-phantom.json');

describe('cd8-node features', () => {
  test('prints the IBSI features of the digital phantom as JSON keyed by tag', async () => {
    const r = await runCli(['features', '--image', image, '--mask', mask, '--settings', settings, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.region).toBe('roi');
    expect(out.features.morph_vol).toBeCloseTo(556.3, 1);
    expect(out.features.stat_mean).toBeCloseTo(2.149, 3);
    expect(out.features.loc_peak_loc).toBeCloseTo(2.6, 6);
    expect(out.diagnostics.voxels).toEqual({ morphological: 74, intensity: 74 });
    expect(out.diagnostics.settings).toEqual({ name: 'ibsi-digital-phantom', status: 'reference' });
    // Texture keys carry the aggregation.
    expect(out.diagnostics.texture).toBe('computed');
    expect(out.features['cm_contrast[3D merged]']).toBeCloseTo(5.12, 2);
    expect(out.features['szm_sze[2D]']).toBeCloseTo(0.363, 3);
  });

  test('the ring region of the CT phantom in readable text', async () => {
    const ct = join(DATA_DIR, 'ibsi-ct-phantom', 'nifti');
    const r = await runCli([
      'features',
      '--image', join(ct, 'image', 'phantom.nii.gz'),
      '--mask', join(ct, 'mask', 'mask.nii.gz'),
      '--settings', join(ROOT, 'config', 'radiomics', 'ibsi-config-b.json'),
      '--region', 'ring',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Settings: ibsi-config-b \(reference\); region: ring$/m);
    expect(r.stdout).toMatch(/^Ring: 0 mm in, 5 mm out, \d+ voxels, [\d.]+ % below -500 HU$/m);
    expect(r.stdout).toMatch(/^stat_mean\s+-?\d/m);
  });

  test('explains wrong input and invalid settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-features-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ resegmentation: { lower: -1000 }, interpolation: { spacingMM: [1, 1, 1] } }));
    const invalid = await runCli(['features', '--image', image, '--mask', mask, '--settings', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/interpolation\.spacingMM: unknown key "spacingMM"\. Did you mean "spacingMm"\?/);

    const missing = await runCli(['features', '--image', join(dir, 'none.nii'), '--mask', mask, '--settings', settings]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*none\.nii/);

    const mixed = await runCli(['features', '--image', image, '--ct', dir, '--settings', settings]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/either --ct\/--rtstruct\/--roi or --image\/--mask, not both/);

    const region = await runCli(['features', '--image', image, '--mask', mask, '--settings', settings, '--region', 'shell']);
    expect(region.code).toBe(2);
    expect(region.stderr).toMatch(/--region must be roi or ring/);
  });
});
