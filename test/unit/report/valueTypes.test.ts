import { CodedConcept, DCM, SCT, ucum } from '../../../src/report/codes';
import { CodeItem, ContainerItem, formatDecimalString, NumItem, ScoordItem, Scoord3dItem, TextItem, UidRefItem } from '../../../src/report/valueTypes';
import { volumetricRoiGroup } from '../../../src/report/templates';

const CT = { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4' };

describe('coded concepts', () => {
  test('reject what the Code Sequence Macro cannot hold', () => {
    expect(() => new CodedConcept('', 'DCM', 'x')).toThrow(/"value".*non-empty/);
    expect(() => new CodedConcept('12345678901234567', 'DCM', 'x')).toThrow(/at most 16 characters/);
    expect(() => new CodedConcept('1', 'bad scheme!', 'x')).toThrow(/coding scheme designator/);
    expect(() => new CodedConcept('1', 'DCM', 'm'.repeat(65))).toThrow(/at most 64 characters/);
  });
  test('units are UCUM: HU, ml and unitless map to their UCUM codes', () => {
    expect(ucum('HU').value).toBe("[hnsf'U]");
    expect(ucum('ml').toItem()).toEqual({ CodeValue: 'ml', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'milliliter' });
    expect(ucum(undefined).value).toBe('1');
  });
});

describe('content items validate on construction', () => {
  test('NUM needs a finite value with a UCUM unit, or a qualifier', () => {
    expect(() => new NumItem(SCT.volume, { value: NaN, unit: ucum('ml') })).toThrow(/finite number.*qualifier/);
    expect(() => new NumItem(SCT.volume, { value: 1, unit: SCT.liver })).toThrow(/must be a UCUM code/);
    const empty = new NumItem(SCT.volume, { value: null, qualifier: DCM.measurementNotAttempted }).toDataset();
    expect(empty.MeasuredValueSequence).toEqual([]);
    expect(empty.NumericValueQualifierCodeSequence).toEqual([DCM.measurementNotAttempted.toItem()]);
  });
  test('NUM keeps the exact value beside a 16-character decimal string', () => {
    const ds = new NumItem(SCT.volume, { value: 1 / 3, unit: ucum('ml') }).toDataset() as { MeasuredValueSequence: Array<{ NumericValue: string; FloatingPointValue: number }> };
    expect(ds.MeasuredValueSequence[0].NumericValue.length).toBeLessThanOrEqual(16);
    expect(ds.MeasuredValueSequence[0].FloatingPointValue).toBe(1 / 3);
    for (const v of [0, -0, 1e-300, -123456789.123456789, 6.02214076e23, 358.6614]) {
      const s = formatDecimalString(v);
      expect(s.length).toBeLessThanOrEqual(16);
      expect(Math.abs(Number(s) - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-12 + 1e-300);
    }
  });
  test('UIDREF, TEXT and children are checked and named in the message', () => {
    expect(() => new UidRefItem(DCM.trackingUniqueIdentifier, '1.02.3')).toThrow(/"value".*not a DICOM UID/);
    expect(() => new TextItem(DCM.trackingIdentifier, '  ')).toThrow(/"value".*non-empty/);
    expect(() => new ContainerItem(DCM.measurementGroup, { children: [new CodeItem(DCM.finding, SCT.lesion)] })).toThrow(/needs a relationship type/);
  });
  test('SCOORD is selected from exactly one image and stays inside it', () => {
    const s = new ScoordItem(DCM.imageRegion, 'POLYLINE', [[1, 1], [5, 1], [5, 5], [1, 1]], CT, { relationship: 'CONTAINS' });
    expect(s.closed).toBe(true);
    expect(s.children).toHaveLength(1);
    expect(s.children[0].relationship).toBe('SELECTED FROM');
    expect(() => new ScoordItem(DCM.imageRegion, 'POLYLINE', [[-1, 1], [5, 1]], CT)).toThrow(/outside the image/);
    expect(() => new Scoord3dItem(DCM.imageRegion, 'POLYGON', [[0, 0, 0], [1, 0, 0], [1, 1, 0]], '1.2.3')).toThrow(/POLYGON must be closed/);
  });
  test('a TID 1411 group needs a measurement and one kind of ROI reference', () => {
    const base = { trackingIdentifier: '1 GTV', trackingUid: '1.2.3.5', roi: { kind: 'image-region' as const, points: [[1, 1], [4, 1], [4, 4]] as Array<[number, number]>, image: CT } };
    expect(() => volumetricRoiGroup({ ...base, measurements: [] })).toThrow(/at least one measurement/);
    const group = volumetricRoiGroup({ ...base, measurements: [{ name: SCT.volume, value: { value: 2, unit: ucum('ml') } }] });
    expect(group.templateId).toBe('1411');
    const region = group.children.find((c) => c.valueType === 'SCOORD') as ScoordItem;
    // The outline is closed by repeating the first point.
    expect(region.points[region.points.length - 1]).toEqual([1, 1]);
    expect(() =>
      volumetricRoiGroup({
        ...base,
        roi: { kind: 'region-in-space', structureSet: CT, roiNumber: 1 },
        roiSource: { structureSet: CT, roiNumber: 1 },
        measurements: [{ name: SCT.volume, value: { value: 2, unit: ucum('ml') } }],
      }),
    ).toThrow(/only for image-region ROIs/);
  });
});
