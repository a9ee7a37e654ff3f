/** hl7-standard ships no types: only what cd8-node uses, with `unknown` rather than `any`. */
declare module 'hl7-standard' {
  type FieldValue = string | Record<string, string | string[]> | Array<Record<string, string>>;
  class Segment {
    type: string;
    get(field: string): unknown;
    set(field: string, value: FieldValue): void;
  }
  class HL7 {
    constructor(raw?: string, options?: { lineEndings?: string; subComponents?: string; repeatingFields?: string });
    transform(callback?: (err: Error | null) => void): void;
    build(): string;
    createSegment(name: string): Segment;
    getSegment(name: string): Segment;
    getSegments(name?: string): Segment[];
    get(field: string, index?: number): unknown;
    set(field: string, value: FieldValue, index?: number): void;
  }
  export = HL7;
}
