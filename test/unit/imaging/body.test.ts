/**
 * Where the body ends: air below -500 HU connected, within its slice, to the image border is
 * outside the patient; air enclosed by the body (lung) is not. The ring-outside-body quality gate
 * uses the fraction of a lesion's peritumoral ring that lies in that outside air.
 */
import { outsideAirMask, ringOutsideBodyFraction } from '../../../src/imaging/body';
import type { Mask, Vec3, Volume } from '../../../src/radiomics';

const DIMS: Vec3 = [40, 40, 5];
const SPACING: Vec3 = [1, 1, 2];

/** A round body (radius 15 mm, 40 HU) in room air, with a lung (radius 7 mm, -800 HU) at its centre. */
function chest(): Volume {
  const data = new Float32Array(DIMS[0] * DIMS[1] * DIMS[2]);
  for (let z = 0, i = 0; z < DIMS[2]; z++)
    for (let y = 0; y < DIMS[1]; y++)
      for (let x = 0; x < DIMS[0]; x++, i++) {
        const r = Math.hypot(x - 20, y - 20);
        data[i] = r <= 7 ? -800 : r <= 15 ? 40 : -1000;
      }
  return { dims: DIMS, spacing: SPACING, origin: [0, 0, 0], data };
}

/** A 3 × 3 voxel lesion on slices 1–3 centred on (cx, cy). */
function lesion(cx: number, cy: number): Mask {
  const data = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);
  for (let z = 1; z <= 3; z++)
    for (let y = cy - 1; y <= cy + 1; y++) for (let x = cx - 1; x <= cx + 1; x++) data[x + DIMS[0] * (y + DIMS[1] * z)] = 1;
  return { dims: DIMS, spacing: SPACING, origin: [0, 0, 0], data };
}

describe('outsideAirMask', () => {
  it('marks room air but not the lung enclosed by the body, for the slices asked only', () => {
    const air = outsideAirMask(chest(), 2, 3);
    expect(air.length).toBe(2 * 40 * 40);
    const at = (x: number, y: number, slice: number) => air[x + 40 * (y + 40 * slice)];
    expect(at(0, 0, 0)).toBe(1); // corner of the image: room air
    expect(at(20, 2, 1)).toBe(1); // above the body
    expect(at(20, 20, 0)).toBe(0); // lung
    expect(at(20, 10, 1)).toBe(0); // body wall
  });
});

describe('ringOutsideBodyFraction', () => {
  const ring = { innerMm: 0, outerMm: 3 };

  it('is 0 for a lesion in the lung: its ring stays inside the body', () => {
    expect(ringOutsideBodyFraction(chest(), lesion(20, 20), ring)).toBe(0);
  });

  it('is a large part of the ring for a lesion on the skin', () => {
    const f = ringOutsideBodyFraction(chest(), lesion(20, 5), ring);
    expect(f).toBeGreaterThan(0.25);
    expect(f).toBeLessThan(0.75);
  });

  it('is 0 for an empty mask', () => {
    expect(ringOutsideBodyFraction(chest(), { ...lesion(20, 20), data: new Uint8Array(40 * 40 * 5) }, ring)).toBe(0);
  });
});
