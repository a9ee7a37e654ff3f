/**
 * Test signatures: complete, with known values, to prove the engine's arithmetic. They are not the
 * CD8 signature (whose values are pending); never ship them.
 */
export function testSignature(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'test-linear',
    name: 'Test linear signature',
    version: 'test-1',
    citation: 'Test fixture of the cd8-node test suite (not a published signature).',
    doi: null,
    preprocessing: { radiomicsSettings: '../radiomics/cd8.json', status: 'verified', note: 'test' },
    terms: [
      { feature: 'stat_mean', aggregation: null, region: 'tumour', coefficient: 0.01, status: 'verified', note: '' },
      { feature: 'stat_var', aggregation: null, region: 'ring', coefficient: -0.001, status: 'verified', note: '' },
      { feature: 'cm_contrast', aggregation: '3D merged', region: 'tumour', coefficient: 0.5, status: 'verified', note: '' },
    ],
    covariates: [
      { name: 'site_liver', kind: 'site-indicator', site: 'liver', kvp: null, coefficient: -0.3, status: 'verified', note: '' },
      { name: 'kvp_120', kind: 'kvp-indicator', site: null, kvp: 120, coefficient: 0.2, status: 'verified', note: '' },
    ],
    intercept: { value: 1.5, status: 'verified', note: '' },
    threshold: { mode: 'absolute', value: 2, percentile: 50, minCohort: 20, provenance: 'test cut-off', status: 'verified' },
    validity: { modalities: ['CT'], minKvp: 80, maxKvp: 140, maxSliceThicknessMm: 5, minVolumeMl: 1, note: '' },
    ...overrides,
  };
}
