/**
 * Reads an SR written by srDocument back into a typed content tree, and the views the tests and
 * the end-to-end checks need (lesion groups, their score, the patient summary). Validators check
 * the IOD; this checks what the template rows say.
 */
import { NaturalDataset, readPart10 } from '../dicom/part10';
import { CD8, CodedConcept, DCM } from './codes';
import type { RelationshipType, ValueType } from './valueTypes';

export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

export interface SrNode {
  valueType: ValueType;
  relationship?: RelationshipType;
  name?: Code;
  templateId?: string;
  code?: Code;
  text?: string;
  uid?: string;
  num?: { value: number; unit: Code } | { value: null; qualifier?: Code };
  reference?: { sopClassUid: string; sopInstanceUid: string };
  graphicType?: string;
  points?: number[][];
  frameOfReferenceUid?: string;
  children: SrNode[];
}

type Item = Record<string, unknown>;

const first = (v: unknown): Item | undefined => (Array.isArray(v) ? (v[0] as Item | undefined) : (v as Item | undefined));
function code(v: unknown): Code | undefined {
  const item = first(v);
  if (!item) return undefined;
  return { value: String(item.CodeValue), scheme: String(item.CodingSchemeDesignator), meaning: String(item.CodeMeaning) };
}
const asArray = (v: unknown): Item[] => (v === undefined || v === null ? [] : Array.isArray(v) ? (v as Item[]) : [v as Item]);

function node(item: Item): SrNode {
  const n: SrNode = { valueType: String(item.ValueType) as ValueType, children: asArray(item.ContentSequence).map(node) };
  if (item.RelationshipType) n.relationship = String(item.RelationshipType) as RelationshipType;
  n.name = code(item.ConceptNameCodeSequence);
  const tpl = first(item.ContentTemplateSequence);
  if (tpl) n.templateId = String(tpl.TemplateIdentifier);
  switch (n.valueType) {
    case 'CODE':
      n.code = code(item.ConceptCodeSequence);
      break;
    case 'TEXT':
      n.text = String(item.TextValue);
      break;
    case 'UIDREF':
      n.uid = String(item.UID);
      break;
    case 'NUM': {
      const mv = first(item.MeasuredValueSequence);
      if (mv && mv.NumericValue !== undefined) {
        const fp = mv.FloatingPointValue;
        n.num = { value: fp !== undefined ? Number(Array.isArray(fp) ? fp[0] : fp) : Number(mv.NumericValue), unit: code(mv.MeasurementUnitsCodeSequence) as Code };
      } else {
        n.num = { value: null, qualifier: code(item.NumericValueQualifierCodeSequence) };
      }
      break;
    }
    case 'IMAGE':
    case 'COMPOSITE': {
      const ref = first(item.ReferencedSOPSequence);
      if (ref) n.reference = { sopClassUid: String(ref.ReferencedSOPClassUID), sopInstanceUid: String(ref.ReferencedSOPInstanceUID) };
      break;
    }
    case 'SCOORD':
    case 'SCOORD3D': {
      n.graphicType = String(item.GraphicType);
      const data = asArray(item.GraphicData).map(Number);
      const dims = n.valueType === 'SCOORD' ? 2 : 3;
      n.points = [];
      for (let i = 0; i < data.length; i += dims) n.points.push(data.slice(i, i + dims));
      if (item.ReferencedFrameOfReferenceUID) n.frameOfReferenceUid = String(item.ReferencedFrameOfReferenceUID);
      break;
    }
    default:
      break;
  }
  return n;
}

export interface ReadSr {
  dataset: NaturalDataset;
  root: SrNode;
}

export function readSr(bytes: Buffer | Uint8Array): ReadSr {
  const { dataset } = readPart10(bytes);
  if (dataset.ValueType !== 'CONTAINER') throw new Error('not an SR document: the dataset has no root CONTAINER.');
  return { dataset, root: node(dataset as Item) };
}

export interface Match {
  name?: CodedConcept | Code;
  valueType?: ValueType;
  relationship?: RelationshipType;
}

const sameCode = (a: Code | undefined, b: Code | CodedConcept): boolean => !!a && a.value === b.value && a.scheme === b.scheme;

export function children(n: SrNode, match: Match): SrNode[] {
  return n.children.filter(
    (c) => (!match.name || sameCode(c.name, match.name)) && (!match.valueType || c.valueType === match.valueType) && (!match.relationship || c.relationship === match.relationship),
  );
}

export function child(n: SrNode, match: Match): SrNode | undefined {
  return children(n, match)[0];
}

export function measurementGroups(sr: ReadSr): SrNode[] {
  const measurements = child(sr.root, { name: DCM.imagingMeasurements, valueType: 'CONTAINER' });
  return measurements ? children(measurements, { name: DCM.measurementGroup, valueType: 'CONTAINER' }) : [];
}

export interface LesionScore {
  trackingIdentifier: string;
  trackingUid: string;
  /** null when the SR says the score is not available. */
  score: number | null;
  status: Code | undefined;
  phenotype: Code | undefined;
  reason: string | undefined;
}

/** Each lesion group (TID 1411) with its CD8 score as the SR states it. */
export function lesionScores(sr: ReadSr): LesionScore[] {
  return measurementGroups(sr)
    .filter((g) => g.templateId === '1411')
    .map((g) => {
      const scoreNode = child(g, { name: CD8.score, valueType: 'NUM' });
      return {
        trackingIdentifier: child(g, { name: DCM.trackingIdentifier })?.text ?? '',
        trackingUid: child(g, { name: DCM.trackingUniqueIdentifier })?.uid ?? '',
        score: scoreNode?.num && scoreNode.num.value !== null ? scoreNode.num.value : null,
        status: child(g, { name: CD8.scoreStatus })?.code,
        phenotype: child(g, { name: CD8.phenotype })?.code,
        reason: child(g, { name: CD8.reasonNotAvailable })?.text,
      };
    });
}

/** The patient-level summary group (TID 1501 "Patient summary"). */
export function patientSummaryGroup(sr: ReadSr): SrNode | undefined {
  return measurementGroups(sr).find((g) => g.templateId === '1501' && child(g, { name: DCM.trackingIdentifier })?.text === 'Patient summary');
}
