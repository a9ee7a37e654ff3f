import fc from 'fast-check';
import { PixelLayout } from '../../../src/imaging/imageHeader';
import { rescaleSlice, samplesFromBytes } from '../../../src/imaging/pixels';

const layout = (o: Partial<PixelLayout>): PixelLayout => ({ rows: 1, columns: 4, bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 0, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2', numberOfFrames: 1, ...o });

function hu(samples: ArrayLike<number>, l: PixelLayout, slope = 1, intercept = 0): number[] {
  const out = new Float32Array(samples.length);
  const typed = l.pixelRepresentation ? Int16Array.from(samples) : Uint16Array.from(samples);
  rescaleSlice(typed, l, slope, intercept, out, 0);
  return [...out];
}

describe('stored pixel values → HU', () => {
  it('applies Rescale Slope and Intercept (unsigned 12-bit, intercept −1000: the IBSI phantom)', () => {
    expect(hu([0, 1000, 1040, 4095], layout({ bitsStored: 12, highBit: 11 }), 1, -1000)).toEqual([-1000, 0, 40, 3095]);
  });

  it('reads signed 16-bit data (the STS series) and a non-unit slope', () => {
    expect(hu([-1024, -1, 0, 3071], layout({ pixelRepresentation: 1 }), 1, 0)).toEqual([-1024, -1, 0, 3071]);
    expect(hu([-1024, 0, 10, 20], layout({ pixelRepresentation: 1 }), 0.5, -10)).toEqual([-522, -10, -5, 0]);
  });

  it('uses only the Bits Stored low bits: garbage above them is ignored, signed values sign-extended', () => {
    // 12-bit unsigned with junk in bits 12–15.
    expect(hu([0xf000 | 5, 0x1000 | 4095, 7, 0], layout({ bitsStored: 12, highBit: 11 }))).toEqual([5, 4095, 7, 0]);
    // 12-bit signed stored without sign extension: 0x0fff = −1, 0x0800 = −2048.
    expect(hu([0x0fff, 0x0800, 0x07ff, 3], layout({ bitsStored: 12, highBit: 11, pixelRepresentation: 1 }))).toEqual([-1, -2048, 2047, 3]);
  });

  it('views decoded little-endian bytes with the right type, also when misaligned', () => {
    const bytes = new Uint8Array([0, 0x18, 0xfc, 0x01, 0x00, 0xff, 0xff, 0x00, 0x00]);
    const s = samplesFromBytes(bytes.subarray(1), layout({ pixelRepresentation: 1 }));
    expect(s).toBeInstanceOf(Int16Array);
    expect([...s]).toEqual([-1000, 1, -1, 0]);
    expect(() => samplesFromBytes(new Uint8Array(6), layout({}))).toThrow(/pixel data holds 6 bytes, the image needs 8/);
  });

  it('gives, for any sample type, Bits Stored and signedness, the value of the definition (low bits, sign-extended, × slope + intercept)', () => {
    const types = [Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array] as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.boolean(), fc.integer({ min: 1, max: 32 }), fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 40 }), fc.double({ min: -4, max: 4, noNaN: true }), fc.integer({ min: -2048, max: 2048 }), (t, signed, bitsWanted, values, slope, intercept) => {
        const Type = types[t];
        const bitsAllocated = Type.BYTES_PER_ELEMENT * 8;
        const bits = Math.min(bitsWanted, bitsAllocated);
        const samples = Type.from(values);
        const l = layout({ columns: samples.length, bitsAllocated, bitsStored: bits, highBit: bits - 1, pixelRepresentation: signed ? 1 : 0 });
        const out = new Float32Array(samples.length);
        rescaleSlice(samples, l, slope, intercept, out, 0);
        const expected = Float32Array.from(samples, (s) => {
          const low = bits >= 32 ? (signed ? s | 0 : s >>> 0) : Number(BigInt.asUintN(bits, BigInt(s)));
          const value = bits < 32 && signed && low >= 2 ** (bits - 1) ? low - 2 ** bits : low;
          return value * slope + intercept;
        });
        expect(out).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
