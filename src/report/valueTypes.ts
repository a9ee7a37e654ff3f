/**
 * SR content items, one class per value type (PS3.3 C.17.3). Each item is immutable, checks its
 * arguments when constructed (the message names the argument), and turns itself into a
 * naturalised dcmjs dataset item. Templates (templates.ts) compose them; they never build
 * datasets by hand.
 */
import { CodedConcept, DCMR } from './codes';

export type RelationshipType =
  | 'CONTAINS'
  | 'HAS PROPERTIES'
  | 'HAS CONCEPT MOD'
  | 'HAS OBS CONTEXT'
  | 'HAS ACQ CONTEXT'
  | 'INFERRED FROM'
  | 'SELECTED FROM';

export type ValueType = 'CONTAINER' | 'NUM' | 'CODE' | 'TEXT' | 'UIDREF' | 'IMAGE' | 'COMPOSITE' | 'SCOORD' | 'SCOORD3D';

/** Naturalised dataset item as dcmjs reads and writes it. */
export type DatasetItem = Record<string, unknown>;

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

export function uidProblem(uid: unknown): string | undefined {
  if (typeof uid !== 'string') return 'must be a string';
  if (uid.length === 0 || uid.length > 64) return `must have 1 to 64 characters, not ${uid.length}`;
  if (!UID_PATTERN.test(uid)) return `"${uid}" is not a DICOM UID (digits and dots, no leading zeros)`;
  return undefined;
}

function requireUid(argument: string, uid: unknown): string {
  const problem = uidProblem(uid);
  if (problem) throw new TypeError(`Argument "${argument}" ${problem}.`);
  return uid as string;
}

function requireConcept(argument: string, value: unknown): CodedConcept {
  if (!(value instanceof CodedConcept)) throw new TypeError(`Argument "${argument}" must have type CodedConcept.`);
  return value;
}

/**
 * DS (decimal string) allows 16 characters. Keep as many significant digits as fit; the exact
 * binary value travels beside it in Floating Point Value (0040,A161).
 */
export function formatDecimalString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`a decimal string cannot hold ${value}.`);
  if (Object.is(value, -0)) return '0';
  for (let digits = 16; digits >= 1; digits--) {
    let text = value.toPrecision(digits);
    if (text.includes('e')) {
      const [mantissa, exponent] = text.split('e');
      text = `${mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa}e${exponent}`;
    } else if (text.includes('.')) {
      text = text.replace(/0+$/, '').replace(/\.$/, '');
    }
    if (text.length <= 16) return text;
  }
  throw new RangeError(`cannot format ${value} as a decimal string.`);
}

export interface ContentItemOptions {
  relationship?: RelationshipType;
  children?: readonly ContentItem[];
}

export abstract class ContentItem {
  abstract readonly valueType: ValueType;
  readonly name: CodedConcept | undefined;
  readonly relationship: RelationshipType | undefined;
  readonly children: readonly ContentItem[];

  protected constructor(name: CodedConcept | undefined, options: ContentItemOptions) {
    if (name !== undefined) requireConcept('name', name);
    this.name = name;
    this.relationship = options.relationship;
    const children = options.children ?? [];
    children.forEach((child, i) => {
      if (!(child instanceof ContentItem)) throw new TypeError(`Item ${i + 1} of argument "children" must be a ContentItem.`);
      if (!child.relationship) throw new TypeError(`Item ${i + 1} of argument "children" (${child.describe()}) needs a relationship type.`);
    });
    this.children = Object.freeze([...children]);
  }

  describe(): string {
    return `${this.valueType}${this.name ? ' ' + this.name.toString() : ''}`;
  }

  /** The value part of the dataset item (value-type specific attributes). */
  protected abstract valueAttributes(): DatasetItem;

  toDataset(): DatasetItem {
    const item: DatasetItem = {};
    if (this.relationship) item.RelationshipType = this.relationship;
    item.ValueType = this.valueType;
    if (this.name) item.ConceptNameCodeSequence = [this.name.toItem()];
    Object.assign(item, this.valueAttributes());
    if (this.children.length > 0) item.ContentSequence = this.children.map((c) => c.toDataset());
    return item;
  }
}

export class ContainerItem extends ContentItem {
  readonly valueType = 'CONTAINER' as const;
  readonly continuity: 'SEPARATE' | 'CONTINUOUS';
  readonly templateId: string | undefined;

  constructor(name: CodedConcept, options: ContentItemOptions & { templateId?: string; continuity?: 'SEPARATE' | 'CONTINUOUS' } = {}) {
    super(requireConcept('name', name), options);
    if (options.templateId !== undefined && !/^\d+$/.test(options.templateId)) {
      throw new TypeError(`Argument "templateId" must be a template number such as "1500", not "${options.templateId}".`);
    }
    this.continuity = options.continuity ?? 'SEPARATE';
    this.templateId = options.templateId;
  }

  protected valueAttributes(): DatasetItem {
    const attrs: DatasetItem = { ContinuityOfContent: this.continuity };
    if (this.templateId) attrs.ContentTemplateSequence = [{ MappingResource: DCMR, TemplateIdentifier: this.templateId }];
    return attrs;
  }
}

export type NumValue = { value: number; unit: CodedConcept } | { value: null; qualifier: CodedConcept };

export class NumItem extends ContentItem {
  readonly valueType = 'NUM' as const;
  readonly value: number | null;
  readonly unit: CodedConcept | undefined;
  readonly qualifier: CodedConcept | undefined;

  /** A NUM without a value says why with a Numeric Value Qualifier (e.g. "Measurement not attempted"). */
  constructor(name: CodedConcept, value: NumValue, options: ContentItemOptions = {}) {
    super(requireConcept('name', name), options);
    if (value.value === null) {
      this.value = null;
      this.qualifier = requireConcept('qualifier', value.qualifier);
      return;
    }
    if (typeof value.value !== 'number' || !Number.isFinite(value.value)) {
      throw new TypeError(`Argument "value" of NUM ${name.toString()} must be a finite number, not ${String(value.value)}; give a qualifier instead when there is no value.`);
    }
    const unit = requireConcept('unit', value.unit);
    if (unit.scheme !== 'UCUM') throw new TypeError(`Argument "unit" of NUM ${name.toString()} must be a UCUM code, not ${unit.toString()}.`);
    this.value = value.value;
    this.unit = unit;
  }

  protected valueAttributes(): DatasetItem {
    if (this.value === null) {
      return { MeasuredValueSequence: [], NumericValueQualifierCodeSequence: [(this.qualifier as CodedConcept).toItem()] };
    }
    return {
      MeasuredValueSequence: [
        {
          MeasurementUnitsCodeSequence: [(this.unit as CodedConcept).toItem()],
          NumericValue: formatDecimalString(this.value),
          FloatingPointValue: this.value,
        },
      ],
    };
  }
}

export class CodeItem extends ContentItem {
  readonly valueType = 'CODE' as const;
  readonly value: CodedConcept;

  constructor(name: CodedConcept, value: CodedConcept, options: ContentItemOptions = {}) {
    super(requireConcept('name', name), options);
    this.value = requireConcept('value', value);
  }

  protected valueAttributes(): DatasetItem {
    return { ConceptCodeSequence: [this.value.toItem()] };
  }
}

export class TextItem extends ContentItem {
  readonly valueType = 'TEXT' as const;
  readonly value: string;

  constructor(name: CodedConcept, value: string, options: ContentItemOptions = {}) {
    super(requireConcept('name', name), options);
    if (typeof value !== 'string' || value.trim().length === 0) throw new TypeError(`Argument "value" of TEXT ${name.toString()} must be a non-empty string.`);
    this.value = value;
  }

  protected valueAttributes(): DatasetItem {
    return { TextValue: this.value };
  }
}

export class UidRefItem extends ContentItem {
  readonly valueType = 'UIDREF' as const;
  readonly value: string;

  constructor(name: CodedConcept, value: string, options: ContentItemOptions = {}) {
    super(requireConcept('name', name), options);
    this.value = requireUid('value', value);
  }

  protected valueAttributes(): DatasetItem {
    return { UID: this.value };
  }
}

export interface SopReference {
  sopClassUid: string;
  sopInstanceUid: string;
  /** One frame (from 1) of a multi-frame image. */
  frameNumber?: number;
}

function referencedSop(ref: SopReference): DatasetItem {
  const item: DatasetItem = { ReferencedSOPClassUID: requireUid('sopClassUid', ref.sopClassUid), ReferencedSOPInstanceUID: requireUid('sopInstanceUid', ref.sopInstanceUid) };
  if (ref.frameNumber !== undefined) {
    if (!Number.isInteger(ref.frameNumber) || ref.frameNumber < 1) throw new RangeError(`Argument "frameNumber" must be a whole number ≥ 1, not ${ref.frameNumber}.`);
    item.ReferencedFrameNumber = ref.frameNumber;
  }
  return { ReferencedSOPSequence: [item] };
}

/** A reference to an image; unnamed when it is the target of SELECTED FROM or an Image Library entry. */
export class ImageItem extends ContentItem {
  readonly valueType = 'IMAGE' as const;
  readonly reference: SopReference;

  constructor(name: CodedConcept | undefined, reference: SopReference, options: ContentItemOptions = {}) {
    super(name, options);
    requireUid('sopClassUid', reference?.sopClassUid);
    requireUid('sopInstanceUid', reference?.sopInstanceUid);
    this.reference = { ...reference };
  }

  protected valueAttributes(): DatasetItem {
    return referencedSop(this.reference);
  }
}

export class CompositeItem extends ContentItem {
  readonly valueType = 'COMPOSITE' as const;
  readonly reference: SopReference;

  constructor(name: CodedConcept, reference: SopReference, options: ContentItemOptions = {}) {
    super(requireConcept('name', name), options);
    requireUid('sopClassUid', reference?.sopClassUid);
    requireUid('sopInstanceUid', reference?.sopInstanceUid);
    this.reference = { ...reference };
  }

  protected valueAttributes(): DatasetItem {
    return referencedSop(this.reference);
  }
}

export type GraphicType2D = 'POINT' | 'MULTIPOINT' | 'POLYLINE' | 'CIRCLE' | 'ELLIPSE';
export type GraphicType3D = 'POINT' | 'MULTIPOINT' | 'POLYLINE' | 'POLYGON' | 'ELLIPSE' | 'ELLIPSOID';

function samePoint(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function checkPoints(argument: string, points: ReadonlyArray<readonly number[]>, dims: number): void {
  if (!Array.isArray(points) || points.length === 0) throw new TypeError(`Argument "${argument}" must be a non-empty array of points.`);
  points.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== dims || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError(`Point ${i + 1} of argument "${argument}" must be ${dims} finite numbers.`);
    }
  });
}

/**
 * Image coordinates (column, row) in pixels, (0,0) being the top left corner of the top left
 * pixel. It must be SELECTED FROM exactly one IMAGE, which is its only child (PS3.3 C.18.6.1).
 */
export class ScoordItem extends ContentItem {
  readonly valueType = 'SCOORD' as const;
  readonly graphicType: GraphicType2D;
  readonly points: ReadonlyArray<readonly [number, number]>;

  constructor(name: CodedConcept, graphicType: GraphicType2D, points: ReadonlyArray<readonly [number, number]>, image: SopReference, options: { relationship?: RelationshipType } = {}) {
    super(requireConcept('name', name), { relationship: options.relationship, children: [new ImageItem(undefined, image, { relationship: 'SELECTED FROM' })] });
    checkPoints('points', points, 2);
    if (graphicType === 'POLYLINE' && points.length < 2) throw new RangeError('Argument "points" of a POLYLINE needs at least 2 points.');
    if (graphicType === 'POINT' && points.length !== 1) throw new RangeError('Argument "points" of a POINT must hold exactly 1 point.');
    points.forEach((p, i) => {
      if (p[0] < 0 || p[1] < 0) throw new RangeError(`Point ${i + 1} of argument "points" (${p.join(', ')}) lies outside the image (negative column or row).`);
    });
    this.graphicType = graphicType;
    this.points = points.map((p) => [p[0], p[1]] as const);
  }

  /** A POLYLINE whose last point repeats the first is a closed outline. */
  get closed(): boolean {
    return this.graphicType === 'POLYLINE' && this.points.length > 2 && samePoint(this.points[0], this.points[this.points.length - 1]);
  }

  protected valueAttributes(): DatasetItem {
    return { GraphicType: this.graphicType, GraphicData: this.points.flat() };
  }
}

/** Patient coordinates (mm) in a frame of reference. */
export class Scoord3dItem extends ContentItem {
  readonly valueType = 'SCOORD3D' as const;
  readonly graphicType: GraphicType3D;
  readonly points: ReadonlyArray<readonly [number, number, number]>;
  readonly frameOfReferenceUid: string;

  constructor(name: CodedConcept, graphicType: GraphicType3D, points: ReadonlyArray<readonly [number, number, number]>, frameOfReferenceUid: string, options: ContentItemOptions = {}) {
    super(requireConcept('name', name), options);
    checkPoints('points', points, 3);
    if (graphicType === 'POLYGON' && (points.length < 4 || !samePoint(points[0], points[points.length - 1]))) {
      throw new RangeError('Argument "points" of a POLYGON must be closed: at least 4 points, the last equal to the first.');
    }
    this.graphicType = graphicType;
    this.points = points.map((p) => [p[0], p[1], p[2]] as const);
    this.frameOfReferenceUid = requireUid('frameOfReferenceUid', frameOfReferenceUid);
  }

  protected valueAttributes(): DatasetItem {
    return { GraphicType: this.graphicType, GraphicData: this.points.flat(), ReferencedFrameOfReferenceUID: this.frameOfReferenceUid };
  }
}
