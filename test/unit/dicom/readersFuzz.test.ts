/**
 * Property-based fuzzing (fast-check) of the two readers that see attacker-controlled bytes first:
 * the PDU reader and the dataset header walker. Whatever the bytes and however they are split,
 * each either yields what the format says or refuses with its own error type, never another
 * exception, never a PDU over its bound. Each property is bounded in time (a few seconds).
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PduError, PduReader, readPdvParts } from '../../../src/dicom/pduReader';

/** The PDVs of a whole P-DATA-TF (header included) read as one piece, each value joined. */
const readPdvs = (pdu: Buffer) => readPdvParts([pdu.subarray(6)]).map(({ parts, length, ...pdv }) => ({ ...pdv, value: Buffer.concat(parts, length) }));
import { MalformedDatasetError, readInstanceHeader, TruncatedDatasetError } from '../../../src/dicom/header';
import { readFileMeta } from '../../../src/dicom/part10';
import { SHARED } from '../../support/process';

const LIMITS = { associate: 65536, pData: 16384 };
const TIME = { interruptAfterTimeLimit: 2500, numRuns: 100000 };

/** Feeds `bytes` in the given chunk sizes; returns the PDUs, or the PduError that ended it. */
function frame(bytes: Uint8Array, cuts: number[]): { pdus: Buffer[]; error?: PduError } {
  const reader = new PduReader(() => LIMITS);
  const pdus: Buffer[] = [];
  let pos = 0;
  try {
    for (const size of [...cuts, bytes.length]) {
      const end = Math.min(bytes.length, pos + size);
      for (const p of reader.push(Buffer.from(bytes.subarray(pos, end)))) pdus.push(p.bytes);
      pos = end;
      if (pos >= bytes.length) break;
    }
  } catch (e) {
    if (e instanceof PduError) return { pdus, error: e };
    throw e;
  }
  return { pdus };
}

const pdu = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 300 }))
  .map(([type, body]) => {
    const b = [5, 6, 7].includes(type) ? body.subarray(0, 4).length === 4 ? body.subarray(0, 4) : new Uint8Array(4) : body;
    const h = Buffer.alloc(6);
    h.writeUInt8(type, 0);
    h.writeUInt32BE(b.length, 2);
    return Buffer.concat([h, Buffer.from(b)]);
  });

describe('PduReader under fuzzing', () => {
  it('frames any sequence of well-formed PDUs the same way however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(pdu, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 40 }), (pdus, cuts) => {
        const { pdus: out, error } = frame(Buffer.concat(pdus), cuts);
        expect(error).toBeUndefined();
        expect(out).toEqual(pdus);
      }),
      TIME,
    );
  });

  it('on arbitrary bytes returns whole PDUs within their bounds or a PduError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.integer({ min: 1, max: 512 }), { maxLength: 20 }), (bytes, cuts) => {
        const { pdus } = frame(bytes, cuts);
        for (const p of pdus) {
          const type = p.readUInt8(0);
          expect(type).toBeGreaterThanOrEqual(1);
          expect(type).toBeLessThanOrEqual(7);
          expect(p.length - 6).toBeLessThanOrEqual(type === 4 ? LIMITS.pData : LIMITS.associate);
          expect(p.readUInt32BE(2)).toBe(p.length - 6);
        }
      }),
      TIME,
    );
  });

  it('refuses any declared length over the bound on the header alone', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3, 4), fc.integer({ min: LIMITS.pData + 1, max: 0xffffffff }), (type, length) => {
        const h = Buffer.alloc(6);
        h.writeUInt8(type, 0);
        h.writeUInt32BE(length, 2);
        const limit = type === 4 ? LIMITS.pData : LIMITS.associate;
        const { error } = frame(h, []);
        expect(error === undefined).toBe(length <= limit);
        if (error) expect(error.reason).toBe(6);
      }),
      TIME,
    );
  });

  it('splits a P-DATA-TF into PDVs that tile it exactly, or refuses it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (body) => {
        const h = Buffer.alloc(6);
        h.writeUInt8(4, 0);
        h.writeUInt32BE(body.length, 2);
        const bytes = Buffer.concat([h, Buffer.from(body)]);
        let pdvs;
        try {
          pdvs = readPdvs(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(PduError);
          return;
        }
        expect(pdvs.reduce((n, p) => n + 6 + p.value.length, 6)).toBe(bytes.length);
      }),
      TIME,
    );
  });
});

/** P-DATA-TF bodies: well-formed PDVs, sometimes cut short or with bytes added, or arbitrary bytes. */
const wellFormedOrNot = fc.oneof(
  fc
    .tuple(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 120 })), { maxLength: 5 }),
      fc.integer({ min: -8, max: 8 }),
    )
    .map(([pdvs, trim]) => {
      const body = Buffer.concat(
        pdvs.map(([pc, control, value]) => {
          const h = Buffer.alloc(6);
          h.writeUInt32BE(value.length + 2, 0);
          h.writeUInt8(pc, 4);
          h.writeUInt8(control, 5);
          return Buffer.concat([h, Buffer.from(value)]);
        }),
      );
      return trim >= 0 ? Buffer.concat([body, Buffer.alloc(trim, 7)]) : body.subarray(0, Math.max(0, body.length + trim));
    }),
  fc.uint8Array({ maxLength: 600 }),
);

describe('P-DATA-TF read from the chunks it arrived in', () => {
  it('gives the PDVs of the joined PDU, or the same refusal, however the body is split', () => {
    fc.assert(
      fc.property(wellFormedOrNot, fc.array(fc.integer({ min: 0, max: 64 }), { maxLength: 30 }), (body, cuts) => {
        const h = Buffer.alloc(6);
        h.writeUInt8(4, 0);
        h.writeUInt32BE(body.length, 2);
        const pieces: Buffer[] = [];
        let pos = 0;
        for (const size of cuts) {
          pieces.push(Buffer.from(body.subarray(pos, pos + size)));
          pos = Math.min(body.length, pos + size);
        }
        pieces.push(Buffer.from(body.subarray(pos)));
        const outcome = (read: () => Array<{ presentationContextId: number; command: boolean; last: boolean; value: Buffer }>) => {
          try {
            return read();
          } catch (e) {
            expect(e).toBeInstanceOf(PduError);
            return (e as PduError).message;
          }
        };
        const joined = outcome(() => readPdvs(Buffer.concat([h, Buffer.from(body)])));
        const split = outcome(() =>
          readPdvParts(pieces).map(({ parts, length, ...pdv }) => {
            expect(parts.reduce((n, p) => n + p.length, 0)).toBe(length);
            return { ...pdv, value: Buffer.concat(parts) };
          }),
        );
        expect(split).toEqual(joined);
      }),
      TIME,
    );
  });
});

describe('dataset header reader under fuzzing', () => {
  const all = readFileSync(join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom', 'image', 'DCM_IMG_00000.dcm'));
  const ct = all.subarray(readFileMeta(all).datasetOffset);
  /** The reader may only answer with a header or with its own two errors. */
  const walk = (bytes: Buffer, explicitVr: boolean) => {
    try {
      return readInstanceHeader(bytes, { explicitVr, complete: true, walkToEnd: true });
    } catch (e) {
      if (e instanceof MalformedDatasetError || e instanceof TruncatedDatasetError) return undefined;
      throw e;
    }
  };

  it('walks arbitrary bytes (both VR encodings) to a header or a dataset error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (bytes, explicitVr) => {
        walk(Buffer.from(bytes), explicitVr);
      }),
      TIME,
    );
  });

  it('walks a real CT with bytes flipped in its header, or cut anywhere, to a header or a dataset error', () => {
    const headerEnd = ct.length - 82008;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(headerEnd - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(ct.length), (flips, cut) => {
        const b = Buffer.from(ct);
        for (const [at, value] of flips) b[at] = value;
        walk(b, false);
        walk(b.subarray(0, cut), false);
      }),
      { ...TIME, numRuns: 2000 },
    );
  });

  it('never accepts a CT cut anywhere inside its Pixel Data', () => {
    fc.assert(
      fc.property(fc.integer({ min: ct.length - 82008, max: ct.length - 1 }), (cut) => {
        expect(walk(ct.subarray(0, cut), false)).toBeUndefined();
      }),
      { ...TIME, numRuns: 300 },
    );
  });
});
