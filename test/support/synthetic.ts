/**
 * Synthetic CT headers and structure sets for the imaging unit tests: a series is described by
 * its orientation, pixel grid and slice positions, and contours are drawn in voxel coordinates
 * and mapped to patient coordinates through the same geometry the code under test inverts.
 */
import { ImageHeader } from '../../src/imaging/imageHeader';
import { PatientGeometry, Vec3, voxelToPatient } from '../../src/imaging/geometry';
import { Contour, RoiDefinition, StructureSet } from '../../src/imaging/rtstruct';

export interface SeriesSpec {
  rows?: number;
  columns?: number;
  pixelSpacing?: [number, number];
  /** Image Orientation (Patient). */
  orientation?: [number, number, number, number, number, number];
  positions: Vec3[];
  seriesUid?: string;
  frameOfReferenceUid?: string;
}

export function headers(spec: SeriesSpec): ImageHeader[] {
  const seriesUid = spec.seriesUid ?? '1.2.3.4';
  return spec.positions.map((p, n) => header({
    source: `slice-${n}.dcm`,
    sopInstanceUid: `${seriesUid}.${n + 1}`,
    seriesInstanceUid: seriesUid,
    frameOfReferenceUid: spec.frameOfReferenceUid ?? '1.2.3.99',
    imagePositionPatient: p,
    imageOrientationPatient: spec.orientation ?? [1, 0, 0, 0, 1, 0],
    pixelSpacing: spec.pixelSpacing ?? [1, 1],
    instanceNumber: n + 1,
    rows: spec.rows ?? 16,
    columns: spec.columns ?? 16,
  }));
}

export function header(o: Partial<ImageHeader> & { rows?: number; columns?: number }): ImageHeader {
  return {
    source: o.source ?? 'x.dcm',
    transferSyntaxUid: '1.2.840.10008.1.2',
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: o.sopInstanceUid ?? '1.2.3.4.1',
    studyInstanceUid: '1.2.3',
    seriesInstanceUid: o.seriesInstanceUid ?? '1.2.3.4',
    frameOfReferenceUid: o.frameOfReferenceUid ?? '1.2.3.99',
    modality: 'CT',
    imageType: o.imageType ?? ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    instanceNumber: o.instanceNumber,
    imagePositionPatient: o.imagePositionPatient,
    imageOrientationPatient: o.imageOrientationPatient,
    pixelSpacing: o.pixelSpacing,
    pixel: { rows: o.rows ?? 16, columns: o.columns ?? 16, bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 1, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2', numberOfFrames: 1 },
    rescaleSlope: 1,
    rescaleIntercept: 0,
    hasPixelData: true,
    kvp: 120,
    sliceThickness: o.sliceThickness,
    gantryDetectorTilt: o.gantryDetectorTilt,
    patient: { patientId: 'P1', patientName: 'TEST^PATIENT' },
    study: { studyInstanceUid: '1.2.3' },
  };
}

/** Slice positions origin + n·step·normal for n = 0..count-1. */
export function stack(origin: Vec3, direction: Vec3, step: number, count: number): Vec3[] {
  return Array.from({ length: count }, (_, n) => [origin[0] + n * step * direction[0], origin[1] + n * step * direction[1], origin[2] + n * step * direction[2]] as Vec3);
}

/** A CLOSED_PLANAR contour through the given (i, j) voxel coordinates on slice k. */
export function contourAt(g: PatientGeometry, k: number, ij: Array<[number, number]>, type = 'CLOSED_PLANAR'): Contour {
  const pts = ij.flatMap(([i, j]) => voxelToPatient(g, [i, j, k]));
  return { geometricType: type, points: Float64Array.from(pts), referencedSopInstanceUids: [] };
}

/** An axis-aligned rectangle (in voxel coordinates) as a contour on slice k. */
export function rectangle(g: PatientGeometry, k: number, i0: number, j0: number, i1: number, j1: number): Contour {
  return contourAt(g, k, [[i0, j0], [i1, j0], [i1, j1], [i0, j1]]);
}

export function roi(number: number, name: string, interpretedType: string, contours: Contour[]): RoiDefinition {
  return { number, name, interpretedType, contours, frameOfReferenceUid: '1.2.3.99' };
}

export function structureSet(rois: RoiDefinition[], referencedSeries = '1.2.3.4'): StructureSet {
  return {
    sopInstanceUid: '1.2.3.500',
    sopClassUid: '1.2.840.10008.5.1.4.1.1.481.3',
    seriesInstanceUid: '1.2.3.5',
    studyInstanceUid: '1.2.3',
    frameOfReferenceUids: ['1.2.3.99'],
    referencedSeries: [{ seriesInstanceUid: referencedSeries, frameOfReferenceUid: '1.2.3.99', sopInstanceUids: [] }],
    rois,
    patient: { patientId: 'P1', patientName: 'TEST^PATIENT' },
    study: { studyInstanceUid: '1.2.3' },
    notes: [],
  };
}
