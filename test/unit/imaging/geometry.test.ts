import { cross, gridOrigin, PatientGeometry, patientToVoxel, sliceRangeGeometry, Vec3, voxelToPatient, voxelVolumeMm3 } from '../../../src/imaging/geometry';

const deg = Math.PI / 180;

/** An oblique grid: rows along x rotated 30° about z, columns tilted 20° out of the axial plane. */
function oblique(): PatientGeometry {
  const a = 30 * deg;
  const b = 20 * deg;
  const row: Vec3 = [Math.cos(a), Math.sin(a), 0];
  const colRaw: Vec3 = [-Math.sin(a) * Math.cos(b), Math.cos(a) * Math.cos(b), Math.sin(b)];
  return { dims: [64, 48, 20], spacing: [0.8, 0.7, 2.5], origin: [-100, 50, 300], rowDirection: row, columnDirection: colRaw, sliceDirection: cross(row, colRaw) };
}

describe('patient geometry', () => {
  it('maps voxel (i, j, k) to origin + i·Δi·row + j·Δj·column + k·Δk·slice', () => {
    const g: PatientGeometry = { dims: [10, 10, 5], spacing: [0.5, 0.25, 3], origin: [-10, 20, -50], rowDirection: [1, 0, 0], columnDirection: [0, 1, 0], sliceDirection: [0, 0, 1] };
    expect(voxelToPatient(g, [0, 0, 0])).toEqual([-10, 20, -50]);
    expect(voxelToPatient(g, [2, 4, 1])).toEqual([-9, 21, -47]);
    expect(gridOrigin(g)).toEqual([-10, 20, -50]);
    expect(voxelVolumeMm3(g)).toBeCloseTo(0.375, 12);
  });

  it('inverts an oblique orientation exactly (round trip, and known points)', () => {
    const g = oblique();
    for (const ijk of [[0, 0, 0], [63, 47, 19], [12.25, 30.5, 7.75], [-3, 100, -2]] as Vec3[]) {
      const back = patientToVoxel(g, voxelToPatient(g, ijk));
      back.forEach((v, d) => expect(v).toBeCloseTo(ijk[d], 9));
    }
    // One step along i moves 0.8 mm along the row direction.
    const step = voxelToPatient(g, [1, 0, 0]).map((v, d) => v - g.origin[d]);
    step.forEach((v, d) => expect(v).toBeCloseTo(0.8 * g.rowDirection[d], 12));
  });

  it('gives a slice range its own origin: the position of its first slice', () => {
    const g = oblique();
    const sub = sliceRangeGeometry(g, 5, 3);
    expect(sub.dims).toEqual([64, 48, 3]);
    voxelToPatient(sub, [0, 0, 0]).forEach((v, d) => expect(v).toBeCloseTo(voxelToPatient(g, [0, 0, 5])[d], 9));
    expect(gridOrigin(sub)[2] - gridOrigin(g)[2]).toBeCloseTo(5 * 2.5, 9);
  });

  it('refuses a degenerate orientation', () => {
    const g = { ...oblique(), columnDirection: oblique().rowDirection };
    expect(() => patientToVoxel(g, [0, 0, 0])).toThrow(/degenerate/);
  });
});
