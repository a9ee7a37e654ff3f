import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/process';
import { RadiomicsSettingsError, defaultRadiomicsSettings, loadRadiomicsSettings, parseRadiomicsSettings } from '../../../src/radiomics/settings';

const CONFIG_DIR = join(ROOT, 'config', 'radiomics');

function problems(value: unknown): string[] {
  try {
    parseRadiomicsSettings(value, 'test.json');
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(RadiomicsSettingsError);
    return (e as RadiomicsSettingsError).issues.map((i) => `${i.path}: ${i.message}`);
  }
}

describe('radiomics settings files', () => {
  test.each(readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.json')))('%s is valid', (file) => {
    const s = loadRadiomicsSettings(join(CONFIG_DIR, file));
    expect(s.name).toBe(file.replace(/\.json$/, ''));
    expect(s.description.length).toBeGreaterThan(40);
  });

  test('the IBSI configurations say what the manual says', () => {
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((x) => loadRadiomicsSettings(join(CONFIG_DIR, `ibsi-config-${x}.json`)));
    expect([a.dimensionality, b.dimensionality, c.dimensionality]).toEqual(['2D', '2D', '3D']);
    expect([a.interpolation.method, b.interpolation.method, c.interpolation.method, e.interpolation.method]).toEqual(['none', 'linear', 'linear', 'cubic-spline']);
    expect(e.interpolation.maskMethod).toBe('linear'); // the manual's ROI interpolation for E
    expect([a.resegmentation.lower, a.resegmentation.upper, c.resegmentation.lower, d.resegmentation.lower]).toEqual([-500, 400, -1000, null]);
    expect([d.resegmentation.outlierSigma, e.resegmentation.outlierSigma, c.resegmentation.outlierSigma]).toEqual([3, 3, null]);
    expect([a.discretisation.method, b.discretisation.method, c.discretisation.method]).toEqual(['fixed_bin_size', 'fixed_bin_number', 'fixed_bin_size']);
    expect([c.ivh.method, c.ivh.binWidth, e.ivh.method, e.ivh.binCount, d.ivh.method]).toEqual(['fixed_bin_size', 2.5, 'fixed_bin_number', 1000, 'none']);
  });

  test('the CD8 settings are labelled pending', () => {
    const s = loadRadiomicsSettings(join(CONFIG_DIR, 'cd8.json'));
    expect(s.status).toBe('pending');
    expect(s.description).toMatch(/PENDING/);
    expect(s.interpolation.spacingMm).toEqual([1, 1, 1]);
  });

  test('an empty file gives the documented defaults', () => {
    expect(parseRadiomicsSettings({})).toEqual(defaultRadiomicsSettings());
  });
});

describe('radiomics settings validation', () => {
  const base = { resegmentation: { lower: -1000 } };

  test('rejects an unknown key and suggests the right one', () => {
    expect(problems({ ...base, interpolation: { spacingMM: [1, 1, 1] } })).toEqual([expect.stringMatching(/^interpolation\.spacingMM: unknown key "spacingMM"\. Did you mean "spacingMm"\?/)]);
  });

  test('rejects out-of-range and wrongly typed values with their path', () => {
    expect(problems({ ...base, interpolation: { maskThreshold: 0 } })).toEqual([expect.stringMatching(/^interpolation\.maskThreshold: 0 is out of range/)]);
    expect(problems({ ...base, discretisation: { binCount: 0 } })).toEqual([expect.stringMatching(/^discretisation\.binCount: 0 is out of range/)]);
    expect(problems({ ...base, resegmentation: { lower: '-1000' } })).toEqual([expect.stringMatching(/^resegmentation\.lower: expected a number or null/)]);
    expect(problems({ ...base, resegmentation: { lower: -1000, outlierSigma: -3 } })).toEqual([expect.stringMatching(/^resegmentation\.outlierSigma: -3 is out of range/)]);
    expect(problems({ ...base, interpolation: { spacingMm: [1, 1] } })).toEqual([expect.stringMatching(/^interpolation\.spacingMm: needs 3 values/)]);
    expect(problems({ ...base, features: { texture: { aggregations: ['3D mergd'] } } })).toEqual([expect.stringMatching(/^features\.texture\.aggregations\[0\]: "3D mergd" is not allowed/)]);
  });

  test('rejects inconsistent combinations', () => {
    expect(problems({ resegmentation: { lower: 400, upper: -1000 } })).toEqual([expect.stringMatching(/lower \(400\) is above resegmentation\.upper/)]);
    expect(problems({ discretisation: { method: 'fixed_bin_size' } })).toEqual([expect.stringMatching(/fixed_bin_size discretisation needs a lower bound/)]);
    expect(problems({ ...base, dimensionality: '2D', features: { texture: { aggregations: ['3D merged'] } } })).toEqual([expect.stringMatching(/dimensionality 2D cannot give 3D texture aggregations \(3D merged\)/)]);
    expect(problems({ ...base, features: { exclude: ['morph_volume'] } })).toEqual([expect.stringMatching(/features\.exclude names unknown features: morph_volume/)]);
  });

  test('accepts exclusions by tag, code, or texture tag', () => {
    expect(problems({ ...base, features: { exclude: ['morph_moran_i', 'NPT7', 'cm_contrast'] } })).toEqual([]);
  });
});
