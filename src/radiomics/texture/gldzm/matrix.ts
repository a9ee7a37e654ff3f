/**
 * Grey level distance zone matrix (IBSI 3.9): zones (as for the GLSZM, from the intensity mask)
 * counted by grey level and distance to the edge of the morphological mask (zones.distance).
 */
import { LevelTable, tableFromEntries } from '../levelTable';
import { Zones } from '../zones';

/** The GLDZM of the zones `select` (indices into zones), standing for `nVoxels` voxels. */
export function gldzmOf(zones: Zones, nLevels: number, select: Int32Array, nVoxels: number): LevelTable {
  return tableFromEntries(nLevels, zones.level, zones.distance, select, nVoxels);
}
