import { analyseCtSeries } from '../../../src/imaging/ctSeries';
import { cross, PatientGeometry, Vec3, voxelToPatient } from '../../../src/imaging/geometry';
import { placeRoi } from '../../../src/imaging/roiPlacement';
import { rasteriseRoi } from '../../../src/imaging/roiMask';
import { contourAt, headers, rectangle, roi, stack } from '../../support/synthetic';

function series(orientation: [number, number, number, number, number, number], spacing: [number, number], step: number, count = 8) {
  const row = orientation.slice(0, 3) as Vec3;
  const col = orientation.slice(3) as Vec3;
  const s = analyseCtSeries(headers({ orientation, pixelSpacing: spacing, positions: stack([-40, 25, 110], cross(row, col), step, count) }), { sliceSpacingToleranceMm: 0.05 });
  if (!s.geometry) throw new Error(JSON.stringify(s.issues));
  return s.geometry;
}

function voxels(mask: { dims: Vec3; data: Uint8Array }, first = 0): string[] {
  const [nx, ny] = mask.dims;
  const out: string[] = [];
  mask.data.forEach((v, p) => v && out.push(`${p % nx},${Math.floor(p / nx) % ny},${Math.floor(p / (nx * ny)) + first}`));
  return out;
}

const box = (i0: number, i1: number, j0: number, j1: number, k: number) => {
  const out: string[] = [];
  for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) out.push(`${i},${j},${k}`);
  return out;
};

describe('ROI contours → mask on the CT grid', () => {
  it('places contours of an oblique series through the full orientation matrix', () => {
    const a = Math.PI / 6;
    const b = Math.PI / 9;
    const orientation: [number, number, number, number, number, number] = [Math.cos(a), Math.sin(a), 0, -Math.sin(a) * Math.cos(b), Math.cos(a) * Math.cos(b), Math.sin(b)];
    const g = series(orientation, [0.7, 0.9], 2);
    // A rectangle around centres i 3..6, j 2..4 on slice 5, drawn in patient coordinates.
    const r = roi(1, 'GTV', 'GTV', [rectangle(g, 5, 2.5, 1.5, 6.5, 4.5)]);
    const placement = placeRoi(r, g);
    expect([...placement.slices.keys()]).toEqual([5]);
    const mask = rasteriseRoi(placement, g, { first: 0, count: 8 });
    expect(voxels(mask)).toEqual(box(3, 6, 2, 4, 5));
    expect(mask.spacing).toEqual([0.9, 0.7, 2]);
  });

  it('maps a contour to the slice within half a slice spacing, and notes contours outside the series', () => {
    const g = series([1, 0, 0, 0, 1, 0], [1, 1], 3);
    const shifted = (k: number) => rectangle(g, k, 1.5, 1.5, 3.5, 3.5);
    const r = roi(1, 'GTV', 'GTV', [shifted(2.4), shifted(3.6), shifted(-0.6), shifted(7.49)]);
    const p = placeRoi(r, g);
    expect([...p.slices.keys()].sort()).toEqual([2, 4, 7]);
    expect(p.notes).toEqual(['1 contour lies outside the CT series by more than half a slice (at 108.2 mm along the slice axis; the series spans 110.0 to 131.0 mm); ignored.']);
  });

  it('keeps, per slice, the contour plane nearest the slice centre (ROI drawn on a finer series)', () => {
    const g = series([1, 0, 0, 0, 1, 0], [1, 1], 3);
    const p = placeRoi(roi(1, 'GTV', 'GTV', [rectangle(g, 3, 1.5, 1.5, 3.5, 3.5), rectangle(g, 3.4, 0.5, 0.5, 5.5, 5.5)]), g);
    expect(p.slices.get(3)).toHaveLength(1);
    expect(voxels(rasteriseRoi(p, g, { first: 3, count: 1 }), 3)).toEqual(box(2, 3, 2, 3, 3));
    expect(p.notes.join(' ')).toMatch(/1 contour on planes between CT slices/);
  });

  it('combines a ring and an island of one slice by the even-odd rule', () => {
    const g = series([1, 0, 0, 0, 1, 0], [0.5, 0.5], 1);
    const outer = rectangle(g, 1, 0.5, 0.5, 9.5, 9.5);
    const hole = rectangle(g, 1, 2.5, 2.5, 7.5, 7.5);
    const island = rectangle(g, 1, 4.5, 4.5, 5.5, 5.5);
    const mask = rasteriseRoi(placeRoi(roi(1, 'GTV', 'GTV', [outer, hole, island]), g), g, { first: 1, count: 1 });
    const got = new Set(voxels(mask, 1));
    expect(got.size).toBe(81 - 25 + 1);
    expect(got.has('5,5,1')).toBe(true);
    expect(got.has('3,3,1')).toBe(false);
  });

  it('ignores POINT and OPEN_PLANAR contours with a note', () => {
    const g = series([1, 0, 0, 0, 1, 0], [1, 1], 2);
    const contours = [rectangle(g, 1, 0.5, 0.5, 2.5, 2.5), contourAt(g, 2, [[3, 3]], 'POINT'), contourAt(g, 2, [[1, 1], [4, 4], [1, 6]], 'OPEN_PLANAR')];
    const p = placeRoi(roi(1, 'GTV', 'GTV', contours), g);
    expect([...p.slices.keys()]).toEqual([1]);
    expect(p.notes).toEqual(['1 POINT contour ignored: only CLOSED_PLANAR contours enclose a region.', '1 OPEN_PLANAR contour ignored: only CLOSED_PLANAR contours enclose a region.']);
  });

  it('leaves out a contour that is not parallel to the slices', () => {
    const g = series([1, 0, 0, 0, 1, 0], [1, 1], 2);
    const slanted = { geometricType: 'CLOSED_PLANAR', points: Float64Array.from([...voxelToPatient(g, [1, 1, 1]), ...voxelToPatient(g, [4, 1, 2]), ...voxelToPatient(g, [4, 4, 2]), ...voxelToPatient(g, [1, 4, 1])]), referencedSopInstanceUids: [] };
    const p = placeRoi(roi(1, 'GTV', 'GTV', [slanted]), g);
    expect(p.sliceRange).toBeNull();
    expect(p.notes[0]).toMatch(/not parallel to the CT slices/);
  });

  it('counts contour image references that do not match the CT (a warning, geometry decides)', () => {
    const g: PatientGeometry = series([1, 0, 0, 0, 1, 0], [1, 1], 2);
    const c = { ...rectangle(g, 1, 0.5, 0.5, 2.5, 2.5), referencedSopInstanceUids: ['9.9.9'] };
    const d = { ...rectangle(g, 2, 0.5, 0.5, 2.5, 2.5), referencedSopInstanceUids: ['uid-3'] };
    const p = placeRoi(roi(1, 'GTV', 'GTV', [c, d]), g, ['uid-0', 'uid-1', 'uid-2', 'uid-3']);
    expect(p.unmatchedImageReferences).toBe(1);
    expect(p.mismatchedImageReferences).toBe(1);
    expect([...p.slices.keys()]).toEqual([1, 2]);
  });
});
