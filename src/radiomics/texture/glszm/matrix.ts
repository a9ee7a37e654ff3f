/** Grey level size zone matrix (IBSI 3.8): zones counted by grey level and size (voxels). */
import { LevelTable, tableFromEntries } from '../levelTable';
import { Zones } from '../zones';

/** The GLSZM of the zones `select` (indices into zones), standing for `nVoxels` voxels. */
export function glszmOf(zones: Zones, nLevels: number, select: Int32Array, nVoxels: number): LevelTable {
  return tableFromEntries(nLevels, zones.level, zones.size, select, nVoxels);
}
