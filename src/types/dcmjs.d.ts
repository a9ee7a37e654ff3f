/**
 * dcmjs ships no types. This declares only what cd8-node uses; extend it as more is needed,
 * keeping `unknown` rather than `any` so nothing untyped leaks into our modules.
 */
declare module 'dcmjs' {
  export interface DicomDictElement {
    vr: string;
    Value?: unknown[];
    InlineBinary?: string;
  }
  /** Denaturalised dataset: tag (8 hex digits) → element. */
  export type DicomDict = Record<string, DicomDictElement>;

  export interface DicomMessageReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
  }

  export class DicomDictionary {
    constructor(meta: DicomDict);
    meta: DicomDict;
    dict: DicomDict;
    upsertTag(tag: string, vr: string, values: unknown): void;
    write(options?: { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean }): ArrayBuffer;
  }

  export const data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: DicomMessageReadOptions): DicomDictionary;
    };
    DicomMetaDictionary: {
      naturalizeDataset(dict: DicomDict): Record<string, unknown>;
      denaturalizeDataset(dataset: Record<string, unknown>): DicomDict;
      uid(): string;
      date(): string;
      time(): string;
      dictionary: Record<string, { tag: string; vr: string; name: string; vm: string }>;
      nameMap: Record<string, { tag: string; vr: string; name: string; vm: string }>;
    };
    DicomDict: typeof DicomDictionary;
    /** The stream dcmjs reads a file from; only its view's class is used (src/dicom/dcmjsBounds.ts). */
    ReadBufferStream: new (buffer: ArrayBuffer) => object;
  };

  export const log: {
    setLevel(level: string): void;
    getLogger(name: string): { setLevel(level: string): void };
  };
}
