import { mergeTables, standardOrder, tableFromEntries, tableStatistics } from '../../../../src/radiomics/texture/levelTable';

describe('run/zone/dependence table statistics', () => {
  // Level 1: two entries of value 1; level 2: one entry of value 2. N_s = 3, N_v = 4.
  const t = tableFromEntries(2, Int32Array.from([1, 1, 2]), Int32Array.from([1, 1, 2]), Int32Array.from([0, 1, 2]), 4);

  test('columns are the values present', () => {
    expect(Array.from(t.colValues)).toEqual([1, 2]);
    expect(Array.from(t.counts)).toEqual([2, 0, 0, 1]);
  });

  test('hand-computed statistics', () => {
    const s = tableStatistics(t)!;
    expect(s.lowValueEmphasis).toBeCloseTo((2 + 1 / 4) / 3, 12);
    expect(s.highValueEmphasis).toBeCloseTo((2 + 4) / 3, 12);
    expect(s.lowGreyLevelEmphasis).toBeCloseTo((2 + 1 / 4) / 3, 12);
    expect(s.highGreyLevelEmphasis).toBeCloseTo((2 + 4) / 3, 12);
    expect(s.lowValueLowGreyLevelEmphasis).toBeCloseTo((2 + 1 / 16) / 3, 12);
    expect(s.lowValueHighGreyLevelEmphasis).toBeCloseTo((2 + 1) / 3, 12);
    expect(s.highValueLowGreyLevelEmphasis).toBeCloseTo((2 + 1) / 3, 12);
    expect(s.highValueHighGreyLevelEmphasis).toBeCloseTo((2 + 16) / 3, 12);
    expect(s.greyLevelNonUniformity).toBeCloseTo(5 / 3, 12);
    expect(s.greyLevelNonUniformityNormalised).toBeCloseTo(5 / 9, 12);
    expect(s.valueNonUniformity).toBeCloseTo(5 / 3, 12);
    expect(s.valueNonUniformityNormalised).toBeCloseTo(5 / 9, 12);
    expect(s.percentage).toBeCloseTo(3 / 4, 12);
    expect(s.greyLevelVariance).toBeCloseTo(2 / 9, 12); // µ = 4/3
    expect(s.valueVariance).toBeCloseTo(2 / 9, 12);
    expect(s.entropy).toBeCloseTo(-(2 / 3) * Math.log2(2 / 3) - (1 / 3) * Math.log2(1 / 3), 12);
    expect(standardOrder(s)).toHaveLength(16);
  });

  test('merging adds counts per (level, value) and N_v', () => {
    const other = tableFromEntries(2, Int32Array.from([2, 2]), Int32Array.from([2, 7]), Int32Array.from([0, 1]), 9);
    const merged = mergeTables([t, other]);
    expect(Array.from(merged.colValues)).toEqual([1, 2, 7]);
    expect(Array.from(merged.counts)).toEqual([2, 0, 0, 0, 2, 1]);
    expect(merged.nVoxels).toBe(13);
  });

  test('an empty table has no statistics', () => {
    expect(tableStatistics(tableFromEntries(3, new Int32Array(0), new Int32Array(0), new Int32Array(0), 0))).toBeNull();
  });
});
