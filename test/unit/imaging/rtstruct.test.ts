import { parseStructureSet } from '../../../src/imaging/rtstruct';

const dataset = {
  SOPClassUID: '1.2.840.10008.5.1.4.1.1.481.3',
  SOPInstanceUID: '1.2.3.500',
  SeriesInstanceUID: '1.2.3.5',
  StudyInstanceUID: '1.2.3',
  Modality: 'RTSTRUCT',
  PatientID: 'P1',
  PatientName: [{ Alphabetic: 'DOE^JANE' }],
  StructureSetLabel: 'Plan',
  ReferencedFrameOfReferenceSequence: [
    {
      FrameOfReferenceUID: '1.2.3.99',
      RTReferencedStudySequence: [{ RTReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2.3.4', ContourImageSequence: [{ ReferencedSOPInstanceUID: '1.2.3.4.1' }, { ReferencedSOPInstanceUID: '1.2.3.4.2' }] }] }],
    },
  ],
  StructureSetROISequence: [
    { ROINumber: 1, ROIName: 'GTV-1', ReferencedFrameOfReferenceUID: '1.2.3.99', ROIGenerationAlgorithm: '' },
    { ROINumber: 2, ROIName: 'Liver', ReferencedFrameOfReferenceUID: '1.2.3.99' },
  ],
  ROIContourSequence: [
    { ReferencedROINumber: 1, ContourSequence: [{ ContourGeometricType: 'CLOSED_PLANAR', NumberOfContourPoints: 3, ContourData: [0, 0, 1, 1, 0, 1, 1, 1, 1], ContourImageSequence: [{ ReferencedSOPInstanceUID: '1.2.3.4.1' }] }] },
    { ReferencedROINumber: 2, ContourSequence: [{ ContourGeometricType: 'closed_planar', ContourData: [0, 0, 1, 1, 0] }] },
    { ReferencedROINumber: 9, ContourSequence: [] },
  ],
  RTROIObservationsSequence: [
    { ReferencedROINumber: 1, RTROIInterpretedType: '' },
    { ReferencedROINumber: 2, RTROIInterpretedType: 'organ' },
  ],
};

describe('RT Structure Set parsing', () => {
  it('joins ROI definitions, contours and interpreted types by ROI number', () => {
    const ss = parseStructureSet(dataset);
    expect(ss).toMatchObject({ sopInstanceUid: '1.2.3.500', label: 'Plan', frameOfReferenceUids: ['1.2.3.99'], referencedSeries: [{ seriesInstanceUid: '1.2.3.4', frameOfReferenceUid: '1.2.3.99', sopInstanceUids: ['1.2.3.4.1', '1.2.3.4.2'] }], patient: { patientId: 'P1', patientName: 'DOE^JANE' } });
    expect(ss.rois.map((r) => [r.number, r.name, r.interpretedType, r.contours.length])).toEqual([
      [1, 'GTV-1', '', 1],
      [2, 'Liver', 'ORGAN', 0],
    ]);
    expect(ss.rois[0].contours[0]).toEqual({ geometricType: 'CLOSED_PLANAR', points: Float64Array.from([0, 0, 1, 1, 0, 1, 1, 1, 1]), referencedSopInstanceUids: ['1.2.3.4.1'] });
  });

  it('notes what it cannot use instead of failing', () => {
    const ss = parseStructureSet(dataset);
    expect(ss.notes).toEqual(['ROI 2 "Liver": contour 1 has no valid Contour Data (5 values, not a multiple of 3); ignored.', 'contours for ROI number 9 which the Structure Set ROI Sequence does not declare; ignored.']);
  });

  it('refuses a dataset that is not an RTSTRUCT, saying what it is', () => {
    expect(() => parseStructureSet({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', Modality: 'CT' }, 'ct.dcm')).toThrow(/ct\.dcm is not an RT Structure Set \(SOP Class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2, Modality CT\)/);
  });
});
