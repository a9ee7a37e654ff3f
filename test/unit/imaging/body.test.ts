/**
 * Where the body ends: air below -500 HU connected, within its slice, to the image border is
 * outside the patient; air enclosed by the body (lung) is not. The ring-outside-body quality gate
 * uses the fraction of a lesion's peritumoral ring that lies in that outside air.
 */
import { outsideAirMask, ringOutsideBodyFraction } from '../../../src/imaging/body';
import { peritumoralRing } from '../../../src/radiomics';
import type { Mask, Vec3, Volume } from '../../../src/radiomics';

const DIMS: Vec3 = [40, 40, 20];
const SPACING: Vec3 = [1, 1, 2];
const NX = DIMS[0];
const PLANE = DIMS[0] * DIMS[1];

/** A round body (radius 13–16 mm, changing from slice to slice, 40 HU) in room air, with a lung (radius 7 mm, -800 HU) at its centre. */
function chest(): Volume {
  const data = new Float32Array(PLANE * DIMS[2]);
  for (let z = 0, i = 0; z < DIMS[2]; z++)
    for (let y = 0; y < DIMS[1]; y++)
      for (let x = 0; x < DIMS[0]; x++, i++) {
        const r = Math.hypot(x - 20, y - 20);
        data[i] = r <= 7 ? -800 : r <= 13 + (z % 4) ? 40 : -1000;
      }
  return { dims: DIMS, spacing: SPACING, origin: [0, 0, 0], data };
}

/** A 3 × 3 voxel lesion on slices z0..z0+2 centred on (cx, cy). */
function lesion(cx: number, cy: number, z0 = 12): Mask {
  const data = new Uint8Array(PLANE * DIMS[2]);
  for (let z = z0; z <= z0 + 2; z++)
    for (let y = cy - 1; y <= cy + 1; y++) for (let x = cx - 1; x <= cx + 1; x++) data[x + NX * y + PLANE * z] = 1;
  return { dims: DIMS, spacing: SPACING, origin: [0, 0, 0], data };
}

/** The same fraction computed the slow way, on the whole volume: ring and outside air everywhere. */
function wholeVolumeFraction(ct: Volume, mask: Mask, ring: { innerMm: number; outerMm: number }): number {
  const band = peritumoralRing(mask.data, mask.dims, mask.spacing, ring).ring;
  const air = outsideAirMask(ct);
  let inRing = 0;
  let outside = 0;
  for (let i = 0; i < band.length; i++) {
    if (!band[i]) continue;
    inRing++;
    if (air[i]) outside++;
  }
  return inRing === 0 ? 0 : outside / inRing;
}

describe('outsideAirMask', () => {
  it('marks room air but not the lung enclosed by the body, for the slices asked only', () => {
    const air = outsideAirMask(chest(), 12, 13);
    expect(air.length).toBe(2 * PLANE);
    const at = (x: number, y: number, slice: number) => air[x + NX * y + PLANE * slice];
    expect(at(0, 0, 0)).toBe(1); // corner of the image: room air
    expect(at(20, 6, 0)).toBe(1); // 14 mm from the centre: outside the body of slice 12 (radius 13)
    expect(at(20, 6, 1)).toBe(0); // the body of slice 13 (radius 14) reaches it
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
    const f = ringOutsideBodyFraction(chest(), lesion(20, 6), ring);
    expect(f).toBeGreaterThan(0.2);
    expect(f).toBeLessThan(0.8);
  });

  it('equals the whole-volume computation wherever the lesion lies, at the image edges too', () => {
    const ct = chest();
    for (const [cx, cy, z0] of [[20, 6, 12], [20, 6, 0], [20, 6, 17], [6, 20, 5], [1, 1, 9], [34, 20, 14], [20, 33, 2]]) {
      for (const r of [ring, { innerMm: 1, outerMm: 5 }]) {
        expect(ringOutsideBodyFraction(ct, lesion(cx, cy, z0), r)).toBeCloseTo(wholeVolumeFraction(ct, lesion(cx, cy, z0), r), 12);
      }
    }
  });

  it('is 0 for an empty mask', () => {
    expect(ringOutsideBodyFraction(chest(), { ...lesion(20, 20), data: new Uint8Array(PLANE * DIMS[2]) }, ring)).toBe(0);
  });
});
