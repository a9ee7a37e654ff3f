/**
 * Writes a modified copy of a real RTSTRUCT (dcmjs round trip), to test lesion selection and
 * sites on real CT data with ROIs the shared data sets lack (organs, body, markers ...).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as dcmjs from 'dcmjs';
import { NaturalDataset } from '../../src/dicom/part10';

export interface ExtraRoi {
  number: number;
  name: string;
  type: string;
  contours: Array<{ type: string; points: number[] }>;
}

/** The CLOSED_PLANAR contours (x, y, z triplets) of an ROI in the source file. */
export function contoursOf(ds: NaturalDataset, roiNumber: number): number[][] {
  const rcs = ds.ROIContourSequence as NaturalDataset[];
  const rc = rcs.find((r) => r.ReferencedROINumber === roiNumber)!;
  return (rc.ContourSequence as NaturalDataset[]).map((c) => (c.ContourData as number[]).map(Number));
}

export function readNatural(path: string): { meta: dcmjs.DicomDict; ds: NaturalDataset } {
  const buf = readFileSync(path);
  const dict = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  return { meta: dict.meta, ds: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) };
}

export function writeRtstructWith(source: string, target: string, extra: ExtraRoi[]): void {
  const { meta, ds } = readNatural(source);
  const frame = ((ds.StructureSetROISequence as NaturalDataset[])[0].ReferencedFrameOfReferenceUID as string) ?? '';
  // Plain arrays and items (dcmjs' naturalised sequences carry accessors that do not survive push).
  const items = (key: string) => [...(ds[key] as NaturalDataset[])];
  const rois = items('StructureSetROISequence');
  const contours = items('ROIContourSequence');
  const observations = items('RTROIObservationsSequence');
  for (const r of extra) {
    rois.push({ _vrMap: {}, ROINumber: r.number, ROIName: r.name, ReferencedFrameOfReferenceUID: frame, ROIGenerationAlgorithm: 'MANUAL' });
    contours.push({
      _vrMap: {},
      ReferencedROINumber: r.number,
      ROIDisplayColor: [0, 0, 255],
      ContourSequence: r.contours.map((c) => ({ _vrMap: {}, ContourGeometricType: c.type, NumberOfContourPoints: c.points.length / 3, ContourData: c.points.map((v) => Number(v.toFixed(3))) })),
    });
    observations.push({ _vrMap: {}, ObservationNumber: r.number, ReferencedROINumber: r.number, RTROIInterpretedType: r.type });
  }
  ds.StructureSetROISequence = rois;
  ds.ROIContourSequence = contours;
  ds.RTROIObservationsSequence = observations;
  const out = new dcmjs.data.DicomDict(meta);
  out.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  writeFileSync(target, Buffer.from(out.write()));
}

/** A square contour of half-width `half` mm around (cx, cy) at height z. */
export function square(cx: number, cy: number, z: number, half: number): number[] {
  return [cx - half, cy - half, z, cx + half, cy - half, z, cx + half, cy + half, z, cx - half, cy + half, z];
}
