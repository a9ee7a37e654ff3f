/**
 * DICOM SR templates (PS3.16), one builder per TID. Callers pass meaning (names, values, units,
 * references); the builders add the fixed concept names and relationship types and check the
 * template's rules that a caller could break (a required row, a forbidden combination).
 */
import { CodedConcept, DCM, LANGUAGE_ENGLISH, SCT } from './codes';
import {
  CodeItem,
  CompositeItem,
  ContainerItem,
  ContentItem,
  ImageItem,
  NumItem,
  NumValue,
  RelationshipType,
  ScoordItem,
  SopReference,
  TextItem,
  UidRefItem,
} from './valueTypes';

/** TID 1204 Language of Content Item and Descendants. */
export function languageOfContent(language: CodedConcept = LANGUAGE_ENGLISH): CodeItem {
  return new CodeItem(DCM.languageOfContent, language, { relationship: 'HAS CONCEPT MOD' });
}

export interface DeviceObserver {
  uid: string;
  name: string;
  manufacturer?: string;
  modelName?: string;
}

/** TID 1001 Observation Context → TID 1002 Observer Context with a device observer (TID 1004). */
export function deviceObserverContext(device: DeviceObserver): ContentItem[] {
  if (!device || typeof device.name !== 'string' || device.name === '') throw new TypeError('Argument "device.name" must be a non-empty string.');
  const ctx = { relationship: 'HAS OBS CONTEXT' as const };
  const items: ContentItem[] = [
    new CodeItem(DCM.observerType, DCM.device, ctx),
    new UidRefItem(DCM.deviceObserverUid, device.uid, ctx),
    new TextItem(DCM.deviceObserverName, device.name, ctx),
  ];
  if (device.manufacturer) items.push(new TextItem(DCM.deviceObserverManufacturer, device.manufacturer, ctx));
  if (device.modelName) items.push(new TextItem(DCM.deviceObserverModelName, device.modelName, ctx));
  return items;
}

export interface Algorithm {
  name: string;
  version: string;
  parameters?: string[];
}

/** TID 4019 Algorithm Identification, as HAS CONCEPT MOD of the item that invokes it. */
export function algorithmIdentification(algorithm: Algorithm): ContentItem[] {
  if (!algorithm?.name) throw new TypeError('Argument "algorithm.name" must be a non-empty string.');
  if (!algorithm.version) throw new TypeError('Argument "algorithm.version" must be a non-empty string.');
  const mod = { relationship: 'HAS CONCEPT MOD' as const };
  return [
    new TextItem(DCM.algorithmName, algorithm.name, mod),
    new TextItem(DCM.algorithmVersion, algorithm.version, mod),
    ...(algorithm.parameters ?? []).map((p) => new TextItem(DCM.algorithmParameters, p, mod)),
  ];
}

export interface ImageLibraryGroup {
  modality?: CodedConcept;
  seriesInstanceUid: string;
  frameOfReferenceUid?: string;
  images: SopReference[];
}

/** TID 1600 Image Library: one Image Library Group (TID 1602 descriptors) per series, TID 1601 entries. */
export function imageLibrary(groups: ImageLibraryGroup[]): ContainerItem {
  const acq = { relationship: 'HAS ACQ CONTEXT' as const };
  return new ContainerItem(DCM.imageLibrary, {
    relationship: 'CONTAINS',
    children: groups.map((g) => {
      if (g.images.length === 0) throw new RangeError(`Image Library Group of series ${g.seriesInstanceUid} lists no image.`);
      const descriptors: ContentItem[] = [];
      if (g.modality) descriptors.push(new CodeItem(DCM.modality, g.modality, acq));
      descriptors.push(new UidRefItem(DCM.seriesInstanceUid, g.seriesInstanceUid, acq));
      if (g.frameOfReferenceUid) descriptors.push(new UidRefItem(DCM.frameOfReferenceUid, g.frameOfReferenceUid, acq));
      return new ContainerItem(DCM.imageLibraryGroup, {
        relationship: 'CONTAINS',
        children: [...descriptors, ...g.images.map((ref) => new ImageItem(undefined, ref, { relationship: 'CONTAINS' }))],
      });
    }),
  });
}

/** One numeric measurement of TID 1419 (row 5) / TID 300, with its modifiers. */
export interface Measurement {
  name: CodedConcept;
  value: NumValue;
  /** Concept modifiers of the measurement name (e.g. region, aggregation). */
  modifiers?: Array<{ name: CodedConcept; value: CodedConcept }>;
  derivation?: CodedConcept;
  algorithm?: Algorithm;
}

export function measurementItem(m: Measurement): NumItem {
  const mod = { relationship: 'HAS CONCEPT MOD' as const };
  const children: ContentItem[] = (m.modifiers ?? []).map((x) => new CodeItem(x.name, x.value, mod));
  if (m.derivation) children.push(new CodeItem(DCM.derivation, m.derivation, mod));
  if (m.algorithm) children.push(...algorithmIdentification(m.algorithm));
  return new NumItem(m.name, m.value, { relationship: 'CONTAINS', children });
}

export interface QualitativeEvaluation {
  name: CodedConcept;
  value: CodedConcept;
}

export interface TextEvaluation {
  name: CodedConcept;
  text: string;
}

interface GroupCommon {
  trackingIdentifier: string;
  trackingUid: string;
  findingCategory?: CodedConcept;
  finding?: CodedConcept;
  findingSites?: CodedConcept[];
  algorithm?: Algorithm;
  measurements: Measurement[];
  evaluations?: QualitativeEvaluation[];
  texts?: TextEvaluation[];
}

function trackingAndFinding(g: GroupCommon): ContentItem[] {
  if (!g.trackingIdentifier) throw new TypeError('Argument "trackingIdentifier" must be a non-empty string.');
  const items: ContentItem[] = [
    new TextItem(DCM.trackingIdentifier, g.trackingIdentifier, { relationship: 'HAS OBS CONTEXT' }),
    new UidRefItem(DCM.trackingUniqueIdentifier, g.trackingUid, { relationship: 'HAS OBS CONTEXT' }),
  ];
  if (g.findingCategory) items.push(new CodeItem(SCT.findingCategory, g.findingCategory, { relationship: 'CONTAINS' }));
  if (g.finding) items.push(new CodeItem(DCM.finding, g.finding, { relationship: 'CONTAINS' }));
  return items;
}

function sitesAndAlgorithm(g: GroupCommon): ContentItem[] {
  const items: ContentItem[] = (g.findingSites ?? []).map((site) => new CodeItem(SCT.findingSite, site, { relationship: 'HAS CONCEPT MOD' }));
  if (g.algorithm) items.push(...algorithmIdentification(g.algorithm));
  return items;
}

function evaluationsAndTexts(g: GroupCommon): ContentItem[] {
  return [
    ...(g.evaluations ?? []).map((e) => new CodeItem(e.name, e.value, { relationship: 'CONTAINS' })),
    ...(g.texts ?? []).map((t) => new TextItem(t.name, t.text, { relationship: 'CONTAINS' })),
  ];
}

/** The volumetric ROI of TID 1411: exactly one of its ROI rows (5 Image Region, 12b Region in Space). */
export type VolumetricRoi =
  | { kind: 'image-region'; points: Array<[number, number]>; image: SopReference }
  | { kind: 'region-in-space'; structureSet: SopReference; roiNumber: number };

export interface VolumetricRoiGroup extends GroupCommon {
  roi: VolumetricRoi;
  /**
   * UID of the series the ROI was drawn on, as extension content ("Series Instance UID"): row 12
   * "Source series for segmentation" is only defined beside a segment or volume surface.
   */
  sourceSeriesUid?: string;
  /** Extension content: where the ROI came from (e.g. the RTSTRUCT) when the ROI rows point at an image region. */
  roiSource?: { structureSet: SopReference; roiNumber: number };
}

/**
 * TID 1411 Volumetric ROI Measurements and Qualitative Evaluations, with TID 1419 ROI
 * Measurements. Chosen over TID 1410 (planar) because every measurement of a lesion (volume,
 * 3D texture, score) is of the whole volume; the image region shows where the lesion is.
 */
export function volumetricRoiGroup(g: VolumetricRoiGroup): ContainerItem {
  if (g.measurements.length === 0) throw new RangeError('Argument "measurements" of a TID 1411 group must hold at least one measurement (TID 1419 row 5 is mandatory).');
  const roiItems: ContentItem[] = [];
  if (g.roi.kind === 'image-region') {
    const pts = g.roi.points;
    if (pts.length < 3) throw new RangeError('Argument "roi.points" of an image region needs at least 3 points.');
    // A closed outline: POLYLINE whose last point repeats the first (PS3.3 C.18.6.1.2).
    const closed = pts[0][0] === pts[pts.length - 1][0] && pts[0][1] === pts[pts.length - 1][1] ? pts : [...pts, pts[0]];
    roiItems.push(new ScoordItem(DCM.imageRegion, 'POLYLINE', closed, g.roi.image, { relationship: 'CONTAINS' }));
  } else {
    roiItems.push(...regionOfInterestReference(DCM.regionInSpace, g.roi.structureSet, g.roi.roiNumber));
  }
  if (g.sourceSeriesUid) roiItems.push(new UidRefItem(DCM.seriesInstanceUid, g.sourceSeriesUid, { relationship: 'CONTAINS' }));
  if (g.roiSource) {
    if (g.roi.kind === 'region-in-space') throw new TypeError('Argument "roiSource" is only for image-region ROIs: a Region in Space already names its source.');
    roiItems.push(...regionOfInterestReference(SCT.source, g.roiSource.structureSet, g.roiSource.roiNumber));
  }
  return new ContainerItem(DCM.measurementGroup, {
    relationship: 'CONTAINS',
    templateId: '1411',
    children: [...trackingAndFinding(g), ...roiItems, ...sitesAndAlgorithm(g), ...g.measurements.map(measurementItem), ...evaluationsAndTexts(g)],
  });
}

/**
 * A structure set and the number of one of its ROIs. TID 1411 row 12c hangs the identifier under
 * the COMPOSITE by HAS PROPERTIES, but the Comprehensive 3D SR relationship table that DCMTK
 * 3.6.7 enforces has no COMPOSITE → HAS PROPERTIES, so dsrdump refuses such a file; the
 * identifier is written as the next sibling instead (same concept, CONTAINS).
 */
function regionOfInterestReference(name: CodedConcept, structureSet: SopReference, roiNumber: number): ContentItem[] {
  if (!Number.isInteger(roiNumber)) throw new TypeError(`Argument "roiNumber" must be an integer, not ${roiNumber}.`);
  return [
    new CompositeItem(name, structureSet, { relationship: 'CONTAINS' }),
    new TextItem(DCM.referencedRoiIdentifier, String(roiNumber), { relationship: 'CONTAINS' }),
  ];
}

/** TID 1501 Measurement and Qualitative Evaluation Group (no image region: study/patient level). */
export function measurementGroup(g: GroupCommon): ContainerItem {
  return new ContainerItem(DCM.measurementGroup, {
    relationship: 'CONTAINS',
    templateId: '1501',
    children: [...trackingAndFinding(g), ...sitesAndAlgorithm(g), ...g.measurements.map(measurementItem), ...evaluationsAndTexts(g)],
  });
}

export interface MeasurementReportContent {
  language?: CodedConcept;
  observer: DeviceObserver;
  proceduresReported: CodedConcept[];
  imageLibrary?: ContainerItem;
  /** Imaging Measurements (row 6): algorithm of the container and its groups (TID 1411/1501). */
  algorithm?: Algorithm;
  groups: ContainerItem[];
}

/** TID 1500 Measurement Report: the root of the document. */
export function measurementReport(c: MeasurementReportContent): ContainerItem {
  if (c.groups.length === 0) throw new RangeError('Argument "groups" must hold at least one measurement group.');
  const children: ContentItem[] = [
    languageOfContent(c.language),
    ...deviceObserverContext(c.observer),
    ...c.proceduresReported.map((p) => new CodeItem(DCM.procedureReported, p, { relationship: 'HAS CONCEPT MOD' })),
  ];
  if (c.imageLibrary) children.push(c.imageLibrary);
  children.push(
    new ContainerItem(DCM.imagingMeasurements, {
      relationship: 'CONTAINS',
      children: [...(c.algorithm ? algorithmIdentification(c.algorithm) : []), ...c.groups],
    }),
  );
  return new ContainerItem(DCM.imagingMeasurementReport, { templateId: '1500', children });
}

export type { RelationshipType };
