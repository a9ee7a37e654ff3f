/**
 * Neighbour directions and neighbourhoods of IBSI texture analysis (chapter 3, GLCM section):
 * 13 unique directions in 3D and 4 in the slice plane for Chebyshev distance 1; larger distances
 * scale the direction vectors. Neighbourhoods (NGTDM, NGLDM, zone linkage) are every voxel
 * within a Chebyshev distance, centre excluded.
 */
export type Step = readonly [number, number, number];

/** The 13 unique 3D direction vectors (each stands for itself and its opposite). */
export const DIRECTIONS_3D: readonly Step[] = [
  [0, 0, 1], [0, 1, 0], [1, 0, 0],
  [0, 1, 1], [0, 1, -1], [1, 0, 1], [1, 0, -1], [1, 1, 0], [1, -1, 0],
  [1, 1, 1], [1, 1, -1], [1, -1, 1], [1, -1, -1],
];

/** The 4 unique in-slice direction vectors: 0°, 45°, 90°, 135°. */
export const DIRECTIONS_2D: readonly Step[] = [
  [1, 0, 0], [1, 1, 0], [0, 1, 0], [-1, 1, 0],
];

export function scaled(steps: readonly Step[], distance: number): Step[] {
  return steps.map(([x, y, z]) => [x * distance, y * distance, z * distance] as const);
}

/** Every step within Chebyshev `distance` of the centre, centre excluded; in-slice only for 2D. */
export function chebyshevNeighbourhood(distance: number, dimensions: 2 | 3): Step[] {
  const out: Step[] = [];
  const dz = dimensions === 3 ? distance : 0;
  for (let z = -dz; z <= dz; z++) {
    for (let y = -distance; y <= distance; y++) {
      for (let x = -distance; x <= distance; x++) {
        if (x !== 0 || y !== 0 || z !== 0) out.push([x, y, z]);
      }
    }
  }
  return out;
}
