/**
 * How each texture family builds its matrices on the padded grid and aggregates them. Zones
 * (GLSZM/GLDZM) are labelled once per dimensionality and shared by both families; so are the
 * neighbourhood counts of NGTDM and NGLDM (per dimensionality and distance).
 */
import { Aggregation } from '../feature';
import { AggregationResults } from './aggregate';
import { aggregateDirectional, DirectionalFamily } from './directional';
import { chebyshevNeighbourhood } from './directions';
import { DistanceOne, distanceOnePass } from './distanceOne';
import { borderDistanceMap } from './distanceMap';
import { gldzmFeatures, GLDZM_DESCRIPTORS } from './gldzm/features';
import { gldzmOf } from './gldzm/matrix';
import { glcmFeatures, GLCM_DESCRIPTORS } from './glcm/features';
import { accumulateGlcm, accumulateGlcmSteps, addGlcm, clearGlcm, emptyGlcm, Glcm, glcmTotal } from './glcm/matrix';
import { glrlmFeatures, GLRLM_DESCRIPTORS } from './glrlm/features';
import { accumulateGlrlm, accumulateGlrlmSteps, addTable, clearTable, emptyGlrlm } from './glrlm/matrix';
import { glszmFeatures, GLSZM_DESCRIPTORS } from './glszm/features';
import { glszmOf } from './glszm/matrix';
import { occupiedSlices, PaddedGrid } from './grid';
import { LevelTable, mergeTables, tableTotal } from './levelTable';
import { ngldmFeatures, NGLDM_DESCRIPTORS } from './ngldm/features';
import { accumulateNgldm, emptyNgldm } from './ngldm/matrix';
import { ngtdmFeatures, NGTDM_DESCRIPTORS } from './ngtdm/features';
import { accumulateNgtdm, addNgtdm, emptyNgtdm, Ngtdm, ngtdmVoxelCount } from './ngtdm/matrix';
import { neighbourhoodStats, NeighbourhoodStats } from './neighbourhood';
import { aggregateSlicewise } from './slicewise';
import { findZones, Zones } from './zones';

export interface FamilySettings {
  glcmDistance: number;
  ngtdmDistance: number;
  ngldmDistance: number;
  ngldmCoarseness: number;
}

/** Per-region state shared by the families: the grid and the zones, each built at most once. */
export class TextureRegion {
  private readonly zoneCache = new Map<2 | 3, Zones>();
  private readonly neighbourhoodCache = new Map<string, NeighbourhoodStats>();

  private distanceOneCache: DistanceOne | undefined;
  /** Whether the GLCM and the NGTDM or NGLDM read the 26 neighbours at distance 1 in 3D: then one pass serves them. */
  private readonly shareDistanceOne: boolean;

  /** Whether zones need their distance to the edge (only the GLDZM does). */
  private readonly distances: boolean;

  /** `families`: the texture families that will be computed for this region. */
  constructor(readonly grid: PaddedGrid, readonly settings: FamilySettings, families: readonly string[]) {
    this.distances = families.includes('gldzm');
    const glcm = families.includes('glcm') && settings.glcmDistance === 1;
    const ngtdm = families.includes('ngtdm') && settings.ngtdmDistance === 1;
    const ngldm = families.includes('ngldm') && settings.ngldmDistance === 1;
    this.shareDistanceOne = glcm && (ngtdm || ngldm) && settings.ngldmCoarseness === 0 && grid.pad >= 1;
  }

  /**
   * The one pass of distanceOne.ts when it is shared and asked for the whole ROI (3D
   * aggregations; null otherwise: the family then builds its own).
   */
  distanceOne(from = 0, to = this.grid.roi.length): DistanceOne | null {
    if (!this.shareDistanceOne || from !== 0 || to !== this.grid.roi.length) return null;
    return (this.distanceOneCache ??= distanceOnePass(this.grid));
  }

  zones(dimensions: 2 | 3): Zones {
    let zones = this.zoneCache.get(dimensions);
    if (!zones) {
      const distanceMap = this.distances ? borderDistanceMap(this.grid, dimensions) : null;
      zones = findZones(this.grid, chebyshevNeighbourhood(1, dimensions), distanceMap);
      this.zoneCache.set(dimensions, zones);
    }
    return zones;
  }

  /** Neighbourhood counts of every ROI voxel within Chebyshev `distance` (in-slice for 2), with the NGLDM coarseness. */
  neighbourhood(dimensions: 2 | 3, distance: number): NeighbourhoodStats {
    const key = `${dimensions}:${distance}`;
    let stats = this.neighbourhoodCache.get(key);
    if (!stats) {
      const shared = dimensions === 3 && distance === 1 && this.settings.ngldmCoarseness === 0 ? this.distanceOne() : null;
      stats = shared ? shared.stats : neighbourhoodStats(this.grid, distance, dimensions, this.settings.ngldmCoarseness);
      this.neighbourhoodCache.set(key, stats);
    }
    return stats;
  }

  /** Zone indices per padded slice (in-slice zones). */
  zonesBySlice(): Map<number, Int32Array> {
    const zones = this.zones(2);
    const bySlice = new Map<number, number[]>();
    for (let k = 0; k < zones.count; k++) {
      const list = bySlice.get(zones.slice[k]);
      if (list) list.push(k);
      else bySlice.set(zones.slice[k], [k]);
    }
    return new Map([...bySlice].map(([z, list]) => [z, Int32Array.from(list)]));
  }

  sliceVoxels(z: number): number {
    return this.grid.sliceStart[z + 1] - this.grid.sliceStart[z];
  }
}

function glcm(region: TextureRegion, wanted: ReadonlySet<Aggregation>): AggregationResults {
  const { grid } = region;
  const family: DirectionalFamily<Glcm> = {
    featureCount: GLCM_DESCRIPTORS.length,
    create: () => emptyGlcm(grid.nLevels),
    clear: clearGlcm,
    add: addGlcm,
    accumulate: (m, step, from, to) => accumulateGlcm(m, grid, step, from, to),
    accumulateSteps: (ms, steps, from, to) => {
      const shared = region.settings.glcmDistance === 1 ? region.distanceOne(from, to) : null;
      if (shared) ms.forEach((m, d) => addGlcm(m, shared.glcm[d]));
      else accumulateGlcmSteps(ms, grid, steps, from, to);
    },
    isEmpty: (m) => glcmTotal(m) === 0,
    features: glcmFeatures,
  };
  return aggregateDirectional(family, grid, region.settings.glcmDistance, wanted);
}

function glrlm(region: TextureRegion, wanted: ReadonlySet<Aggregation>): AggregationResults {
  const { grid } = region;
  const family: DirectionalFamily<LevelTable> = {
    featureCount: GLRLM_DESCRIPTORS.length,
    create: () => emptyGlrlm(grid),
    clear: clearTable,
    add: addTable,
    accumulate: (m, step, from, to) => accumulateGlrlm(m, grid, step, from, to),
    accumulateSteps: (ms, steps, from, to) => accumulateGlrlmSteps(ms, grid, steps, from, to),
    isEmpty: (m) => tableTotal(m) === 0,
    features: glrlmFeatures,
  };
  // IBSI defines GLRLM runs between adjacent voxels: no distance parameter.
  return aggregateDirectional(family, grid, 1, wanted);
}

/**
 * 0, 1, …, n − 1. A function of its own: as a loop inside the closure above, V8 compiled that
 * closure (made anew by each call) again for every region, on every extraction.
 */
function firstIndices(n: number): Int32Array {
  const all = new Int32Array(n);
  for (let k = 0; k < n; k++) all[k] = k;
  return all;
}

function zoneFamily(
  region: TextureRegion,
  wanted: ReadonlySet<Aggregation>,
  featureCount: number,
  matrixOf: (zones: Zones, nLevels: number, select: Int32Array, nVoxels: number) => LevelTable,
  features: (m: LevelTable) => Float64Array,
): AggregationResults {
  const { grid } = region;
  return aggregateSlicewise<LevelTable>(
    {
      featureCount,
      slices: () => [...region.zonesBySlice()].map(([z, select]) => matrixOf(region.zones(2), grid.nLevels, select, region.sliceVoxels(z))),
      volume: () => {
        const zones = region.zones(3);
        return zones.count === 0 ? null : matrixOf(zones, grid.nLevels, firstIndices(zones.count), grid.roi.length);
      },
      merge: mergeTables,
      features,
    },
    wanted,
  );
}

function ngtdm(region: TextureRegion, wanted: ReadonlySet<Aggregation>): AggregationResults {
  const { grid, settings } = region;
  const build = (dimensions: 2 | 3, from: number, to: number): Ngtdm | null => {
    const m = emptyNgtdm(grid.nLevels);
    accumulateNgtdm(m, grid, region.neighbourhood(dimensions, settings.ngtdmDistance), from, to);
    return ngtdmVoxelCount(m) > 0 ? m : null;
  };
  return aggregateSlicewise<Ngtdm>(
    {
      featureCount: NGTDM_DESCRIPTORS.length,
      slices: () => occupiedSlices(grid).map((z) => build(2, grid.sliceStart[z], grid.sliceStart[z + 1])),
      volume: () => build(3, 0, grid.roi.length),
      merge: (list) => {
        const all = emptyNgtdm(grid.nLevels);
        for (const m of list) addNgtdm(all, m);
        return all;
      },
      features: ngtdmFeatures,
    },
    wanted,
  );
}

function ngldm(region: TextureRegion, wanted: ReadonlySet<Aggregation>): AggregationResults {
  const { grid, settings } = region;
  const build = (dimensions: 2 | 3, from: number, to: number): LevelTable | null => {
    const m = emptyNgldm(grid.nLevels, chebyshevNeighbourhood(settings.ngldmDistance, dimensions).length);
    accumulateNgldm(m, grid, region.neighbourhood(dimensions, settings.ngldmDistance), from, to);
    return m.nVoxels > 0 ? m : null;
  };
  return aggregateSlicewise<LevelTable>(
    {
      featureCount: NGLDM_DESCRIPTORS.length,
      slices: () => occupiedSlices(grid).map((z) => build(2, grid.sliceStart[z], grid.sliceStart[z + 1])),
      volume: () => build(3, 0, grid.roi.length),
      merge: mergeTables,
      features: ngldmFeatures,
    },
    wanted,
  );
}

export const FAMILIES = {
  glcm: { descriptors: GLCM_DESCRIPTORS, compute: glcm },
  glrlm: { descriptors: GLRLM_DESCRIPTORS, compute: glrlm },
  glszm: {
    descriptors: GLSZM_DESCRIPTORS,
    compute: (r: TextureRegion, w: ReadonlySet<Aggregation>) => zoneFamily(r, w, GLSZM_DESCRIPTORS.length, glszmOf, glszmFeatures),
  },
  gldzm: {
    descriptors: GLDZM_DESCRIPTORS,
    compute: (r: TextureRegion, w: ReadonlySet<Aggregation>) => zoneFamily(r, w, GLDZM_DESCRIPTORS.length, gldzmOf, gldzmFeatures),
  },
  ngtdm: { descriptors: NGTDM_DESCRIPTORS, compute: ngtdm },
  ngldm: { descriptors: NGLDM_DESCRIPTORS, compute: ngldm },
} as const;
