/**
 * The public texture API: descriptors, which aggregations each family answers, how slices are
 * averaged and merged, and what happens with empty or invalid input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aggregation, FeatureValue } from '../../../../src/radiomics/feature';
import {
  computeTextureFeatures,
  TEXTURE_AGGREGATIONS,
  TEXTURE_DESCRIPTORS,
  TEXTURE_FAMILIES,
  TextureInputError,
  TextureOptions,
} from '../../../../src/radiomics/texture';
import { SHARED } from '../../../support/process';
import { MANUAL_EXAMPLE, roiFrom } from './pictures';

const ALL_AGGREGATIONS = [...new Set(Object.values(TEXTURE_AGGREGATIONS).flat())];
const everything: TextureOptions = { families: [...TEXTURE_FAMILIES], aggregations: ALL_AGGREGATIONS };

function value(values: FeatureValue[], tag: string, aggregation: Aggregation): number {
  const f = values.find((v) => v.tag === tag && v.aggregation === aggregation);
  if (!f) throw new Error(`${tag}[${aggregation}] not computed`);
  return f.value;
}

describe('descriptors', () => {
  test('95 texture features with unique tags and codes', () => {
    expect(TEXTURE_DESCRIPTORS).toHaveLength(25 + 16 + 16 + 16 + 5 + 17);
    expect(new Set(TEXTURE_DESCRIPTORS.map((d) => d.tag)).size).toBe(95);
    expect(new Set(TEXTURE_DESCRIPTORS.map((d) => d.code)).size).toBe(95);
  });

  test('every texture row of the IBSI reference files names a descriptor (family, code and name)', () => {
    const files = ['digital_phantom_reference.csv', 'ct_phantom_reference.csv', 'ct_phantom_reference_ab.csv', 'ct_phantom_reference_cde_3d_averaged.csv'];
    const missing: string[] = [];
    for (const file of files) {
      const [header, ...lines] = readFileSync(join(SHARED, 'reference', 'ibsi', file), 'utf8').trim().split(/\r?\n/);
      const cols = header.split(',');
      for (const line of lines) {
        const c = line.split(',');
        const family = c[cols.indexOf('family')].toLowerCase();
        if (!(TEXTURE_FAMILIES as readonly string[]).includes(family)) continue;
        const code = c[cols.indexOf('ibsi_code')];
        const name = c[cols.indexOf('feature')];
        if (!TEXTURE_DESCRIPTORS.some((d) => d.family === family && d.code === code && d.name === name)) missing.push(`${file}: ${family} ${code} ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('computeTextureFeatures', () => {
  const example = roiFrom([MANUAL_EXAMPLE, MANUAL_EXAMPLE.map((row) => [...row].reverse())]);

  test('each family answers only its own aggregations, every feature once per aggregation', () => {
    const values = computeTextureFeatures(example, everything);
    expect(values).toHaveLength(6 * (25 + 16) + 3 * (16 + 16 + 5 + 17));
    const ngtdm = computeTextureFeatures(example, { families: ['ngtdm'], aggregations: ['3D merged', '2D averaged'] });
    expect(ngtdm).toEqual([]);
    const glcm = computeTextureFeatures(example, { families: ['glcm'], aggregations: ['3D merged'] });
    expect(glcm.map((v) => v.tag)).toEqual(TEXTURE_DESCRIPTORS.filter((d) => d.family === 'glcm').map((d) => d.tag));
    expect(glcm.every((v) => v.aggregation === '3D merged' && Number.isFinite(v.value) && v.reason === undefined)).toBe(true);
  });

  test('2D aggregations skip slices without voxels', () => {
    const a = MANUAL_EXAMPLE;
    const b = [
      [1, 1, 2, 0],
      [1, 3, 2, 0],
      [4, 4, 2, 2],
      [0, 1, 1, 3],
    ];
    const empty = a.map((row) => row.map(() => 0));
    const withGap = computeTextureFeatures(roiFrom([a, empty, b], { nLevels: 4 }), everything);
    const onlyA = computeTextureFeatures(roiFrom([a], { nLevels: 4 }), everything);
    const onlyB = computeTextureFeatures(roiFrom([b], { nLevels: 4 }), everything);
    for (const [tag, aggregation] of [
      ['cm_contrast', '2D slice-merged'],
      ['rlm_sre', '2D slice-merged'],
      ['szm_sze', '2D'],
      ['dzm_zd_entr', '2D'],
      ['ngt_coarseness', '2D'],
      ['ngl_hde', '2D'],
    ] as const) {
      const mean = (value(onlyA, tag, aggregation) + value(onlyB, tag, aggregation)) / 2;
      expect(value(withGap, tag, aggregation)).toBeCloseTo(mean, 12);
    }
  });

  test('2.5D merges slice matrices: for two identical slices normalised features equal 2D, counts double', () => {
    const twin = computeTextureFeatures(roiFrom([MANUAL_EXAMPLE, MANUAL_EXAMPLE]), everything);
    expect(value(twin, 'szm_glnu_norm', '2.5D')).toBeCloseTo(value(twin, 'szm_glnu_norm', '2D'), 12);
    expect(value(twin, 'szm_glnu', '2.5D')).toBeCloseTo(2 * value(twin, 'szm_glnu', '2D'), 12);
    expect(value(twin, 'cm_contrast', '2.5D merged')).toBeCloseTo(value(twin, 'cm_contrast', '2D slice-merged'), 12);
    expect(value(twin, 'rlm_r_perc', '2.5D merged')).toBeCloseTo(value(twin, 'rlm_r_perc', '2D slice-merged'), 12);
  });

  test('an empty ROI gives NaN with a reason for every feature', () => {
    const empty = roiFrom([[[0, 0], [0, 0]]], { nLevels: 8 });
    const values = computeTextureFeatures(empty, everything);
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((v) => Number.isNaN(v.value) && v.reason === 'the ROI intensity mask is empty')).toBe(true);
  });

  test('a lone voxel: no GLCM or NGTDM matrix (reason given), but a GLSZM zone', () => {
    const lone = roiFrom([[[0, 0, 0], [0, 3, 0], [0, 0, 0]]]);
    const values = computeTextureFeatures(lone, { families: ['glcm', 'ngtdm', 'glszm'], aggregations: ['3D merged', '3D'] });
    const contrast = values.find((v) => v.tag === 'cm_contrast')!;
    expect(contrast.value).toBeNaN();
    expect(contrast.reason).toMatch(/no GLCM matrix for 3D merged/);
    expect(values.find((v) => v.tag === 'ngt_coarseness')!.reason).toMatch(/no NGTDM matrix/);
    expect(value(values, 'szm_sze', '3D')).toBe(1);
  });

  test('an undefined feature of one slice is left out of the 2D average, with a reason when undefined everywhere', () => {
    // Each slice has a single grey level: inverse variance has no off-diagonal element anywhere.
    const flat = roiFrom([[[2, 2, 2]], [[1, 1, 0]]]);
    const values = computeTextureFeatures(flat, { families: ['glcm'], aggregations: ['2D averaged'] });
    const invVar = values.find((v) => v.tag === 'cm_inv_var')!;
    expect(invVar.value).toBeNaN();
    expect(invVar.reason).toMatch(/undefined for every GLCM matrix/);
    expect(value(values, 'cm_contrast', '2D averaged')).toBe(0);
  });

  test('the intensity mask is used for texture, the morphological mask only for GLDZM distances', () => {
    const inner = [[
      [0, 0, 0, 0, 0],
      [0, 1, 1, 1, 0],
      [0, 1, 1, 1, 0],
      [0, 1, 1, 1, 0],
      [0, 0, 0, 0, 0],
    ]];
    const morph = [Array.from({ length: 5 }, () => [1, 1, 1, 1, 1])];
    const resegmented = computeTextureFeatures(roiFrom(inner, { morph }), { families: ['gldzm', 'glszm'], aggregations: ['2D'] });
    const plain = computeTextureFeatures(roiFrom(inner), { families: ['gldzm', 'glszm'], aggregations: ['2D'] });
    expect(value(resegmented, 'dzm_sde', '2D')).toBeCloseTo(1 / 4, 12); // one zone at distance 2
    expect(value(plain, 'dzm_sde', '2D')).toBe(1); // at distance 1 when the masks agree
    expect(value(resegmented, 'szm_lze', '2D')).toBe(value(plain, 'szm_lze', '2D'));
  });

  test('invalid input is refused with a message saying what to fix', () => {
    const bad = roiFrom([MANUAL_EXAMPLE], { nLevels: 3 });
    expect(() => computeTextureFeatures(bad, everything)).toThrow(TextureInputError);
    expect(() => computeTextureFeatures(bad, everything)).toThrow(/grey level 4; levels must be 1..nLevels \(3\)/);
    expect(() => computeTextureFeatures(example, { ...everything, glcmDistance: 0 })).toThrow(/glcmDistance must be a positive integer/);
    expect(() => computeTextureFeatures(example, { ...everything, ngldmCoarseness: -1 })).toThrow(/ngldmCoarseness must be a non-negative integer/);
    expect(() => computeTextureFeatures(example, { families: ['glcm', 'lbp' as 'glcm'], aggregations: ['3D'] })).toThrow(/unknown family "lbp"/);
    expect(() => computeTextureFeatures(example, { families: ['glcm'], aggregations: ['3D mean' as Aggregation] })).toThrow(/unknown aggregation "3D mean"/);
    expect(() => computeTextureFeatures({ ...example, levels: new Int32Array(3) }, everything)).toThrow(/levels has 3 voxels but dims 4×4×2 need 32/);
  });

  test('the intensity mask must lie within the morphological mask; without any morphological mask it stands for both', () => {
    const morph = [MANUAL_EXAMPLE.map((row, r) => row.map((_, x) => (r === 1 && x === 1 ? 0 : 1)))];
    expect(() => computeTextureFeatures(roiFrom([MANUAL_EXAMPLE], { morph }), everything)).toThrow(/voxel \(1, 2, 0\) is in the intensity mask \(level 2\) but not in the morphological mask/);
    const noMorph = { ...roiFrom([MANUAL_EXAMPLE]), morphMask: new Uint8Array(16) };
    expect(computeTextureFeatures(noMorph, everything)).toEqual(computeTextureFeatures(roiFrom([MANUAL_EXAMPLE]), everything));
  });

  test('larger GLCM, NGTDM and NGLDM distances are honoured', () => {
    const d1 = computeTextureFeatures(example, { families: ['glcm', 'ngtdm', 'ngldm'], aggregations: ['3D merged', '3D'] });
    const d2 = computeTextureFeatures(example, { families: ['glcm', 'ngtdm', 'ngldm'], aggregations: ['3D merged', '3D'], glcmDistance: 2, ngtdmDistance: 2, ngldmDistance: 2 });
    expect(value(d2, 'cm_contrast', '3D merged')).not.toBeCloseTo(value(d1, 'cm_contrast', '3D merged'), 6);
    expect(value(d2, 'ngt_coarseness', '3D')).not.toBeCloseTo(value(d1, 'ngt_coarseness', '3D'), 6);
    // With distance 2 every voxel of the 4 × 4 × 2 block neighbours many more: higher dependence.
    expect(value(d2, 'ngl_hde', '3D')).toBeGreaterThan(value(d1, 'ngl_hde', '3D'));
  });
});
