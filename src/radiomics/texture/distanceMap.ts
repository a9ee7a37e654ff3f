/**
 * Distance to the ROI edge for the GLDZM (IBSI 3.9): computed on the morphological mask, in
 * 6-connected (3D) or 4-connected (in-slice, 2D) steps, 1 for a voxel with a face neighbour
 * outside the mask; outside the image counts as outside the mask (the padding guarantees it).
 * IBSI's iterated erosion by the 6-/4-connected element gives exactly the Manhattan distance to
 * the nearest voxel outside the mask, which two raster passes compute exactly (city-block
 * distance transform). 0 outside the mask.
 */
import { PaddedGrid } from './grid';

export function borderDistanceMap(grid: PaddedGrid, dimensions: 2 | 3): Int32Array {
  const { morph, nx, ny } = grid;
  const n = morph.length;
  const sz = dimensions === 3 ? nx * ny : 0;
  const dist = new Int32Array(n);
  // Mask voxels never touch the box faces (padding), so v ± 1, v ± nx, v ± nx·ny stay inside.
  // Forward pass: a mask voxel takes 1 + the least of its earlier neighbours (0 outside the mask,
  // already passed inside it), whatever it held before, so the mask needs no initialising pass.
  for (let v = 0; v < n; v++) {
    if (!morph[v]) continue;
    let d = dist[v - 1] + 1;
    const y = dist[v - nx] + 1;
    if (y < d) d = y;
    if (sz) {
      const z = dist[v - sz] + 1;
      if (z < d) d = z;
    }
    dist[v] = d;
  }
  for (let v = n - 1; v >= 0; v--) {
    if (dist[v] === 0) continue;
    let d = dist[v];
    const x = dist[v + 1] + 1;
    if (x < d) d = x;
    const y = dist[v + nx] + 1;
    if (y < d) d = y;
    if (sz) {
      const z = dist[v + sz] + 1;
      if (z < d) d = z;
    }
    dist[v] = d;
  }
  return dist;
}
