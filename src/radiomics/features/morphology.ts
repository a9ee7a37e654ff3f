/**
 * Morphological features (IBSI 3.1, HCUG), always in 3D, in millimetres. The mesh-based ones
 * use the marching-cubes surface of the morphological mask; PCA axes and the centre of mass use
 * the voxel-centre point set; integrated intensity, Moran's I and Geary's C use the intensity
 * mask. Expensive parts (convex hull, bounding boxes, ellipsoids, autocorrelation) are computed
 * once, on first use, so features excluded by the settings cost nothing.
 */
import { Vec3 } from '../volume';
import { anyNonZero, IndexBox, nonZeroBox } from '../indexBox';
import { FamilyDefinition, defineFeature } from './family';
import { Mesh, meshArea, meshFromMask, meshVolume } from '../morphology/mesh';
import { Hull, convexHull, hullPointsMm, hullVolumeArea, maximumDiameter } from '../morphology/convexHull';
import { Box, axisAlignedBox, orientedMinimumBox } from '../morphology/boundingBox';
import { ellipsoidSurfaceArea, minimumVolumeEnclosingEllipsoid } from '../morphology/ellipsoid';
import { SpatialAutocorrelation, spatialAutocorrelation } from '../morphology/autocorrelation';
import { symmetricEigen3, Mat3 } from '../math/eigen';

export interface MorphologyInput {
  dims: Vec3;
  spacing: Vec3;
  image: ArrayLike<number>;
  morphologicalMask: Uint8Array;
  /** Within the morphological mask (re-segmentation only removes voxels from it). */
  intensityMask: Uint8Array;
  /** The morphological mask's bounding box when the caller knows it (else found here). */
  box?: IndexBox | null;
}

/**
 * One pass over the region's box (the intensity mask lies within the morphological one): the
 * morphological point set's moments (Σx, Σy, Σz, Σxx, Σyy, Σzz, Σxy, Σxz, Σyz in mm, the count)
 * and the intensity mask's count, intensity sum and intensity-weighted Σx, Σy, Σz. A function of
 * its own: inside the constructor V8 compiled this loop several times slower. `rowSums` false:
 * always the per-voxel loop (tests compare both).
 */
export function pointMoments(input: MorphologyInput, rowSums = true): Float64Array {
  const { dims, spacing, image, morphologicalMask, intensityMask } = input;
  const [nx, ny] = dims;
  const box = input.box ?? nonZeroBox(morphologicalMask, dims)!;
  const [sx, sy, sz] = spacing;
  // Whole-millimetre grids: the coordinate sums are exact integers, summed over x per row and
  // then scaled by the row's y and z (a third of the work per voxel, the same sums).
  const byRow = rowSums && exactCoordinateSums(spacing, box);
  let n = 0;
  let s1x = 0, s1y = 0, s1z = 0;
  let sxx = 0, syy = 0, szz = 0, sxy = 0, sxz = 0, syz = 0;
  let nInt = 0;
  let sumInt = 0;
  let wx = 0, wy = 0, wz = 0;
  for (let z = box.lo[2]; z <= box.hi[2]; z++) {
    const pz = z * sz;
    for (let y = box.lo[1]; y <= box.hi[1]; y++) {
      const py = y * sy;
      let count = 0;
      let rx = 0;
      let rxx = 0;
      for (let x = box.lo[0], i = x + nx * (y + ny * z); x <= box.hi[0]; x++, i++) {
        if (!morphologicalMask[i]) continue;
        const px = x * sx;
        if (byRow) {
          count++;
          rx += px;
          rxx += px * px;
        } else {
          n++;
          s1x += px;
          s1y += py;
          s1z += pz;
          sxx += px * px;
          syy += py * py;
          szz += pz * pz;
          sxy += px * py;
          sxz += px * pz;
          syz += py * pz;
        }
        // The intensity-weighted sums stay per voxel, in order (intensities need not be integers).
        if (intensityMask[i]) {
          const v = image[i];
          nInt++;
          sumInt += v;
          wx += v * px;
          wy += v * py;
          wz += v * pz;
        }
      }
      if (byRow) {
        n += count;
        s1x += rx;
        s1y += count * py;
        s1z += count * pz;
        sxx += rxx;
        syy += count * py * py;
        szz += count * pz * pz;
        sxy += rx * py;
        sxz += rx * pz;
        syz += count * py * pz;
      }
    }
  }
  return Float64Array.of(s1x, s1y, s1z, sxx, syy, szz, sxy, sxz, syz, n, nInt, sumInt, wx, wy, wz);
}

/**
 * Whether every coordinate sum of pointMoments is an exact integer: whole-millimetre spacings (the
 * usual resampled grids) and sums below 2^53 (at most the box's voxels times the largest squared
 * coordinate). The sums then do not depend on the order of the additions.
 */
function exactCoordinateSums(spacing: Vec3, box: IndexBox): boolean {
  if (!spacing.every((s) => Number.isInteger(s))) return false;
  const largest = Math.max(...[0, 1, 2].map((d) => box.hi[d] * spacing[d]));
  const voxels = (box.hi[0] - box.lo[0] + 1) * (box.hi[1] - box.lo[1] + 1) * (box.hi[2] - box.lo[2] + 1);
  return voxels * largest * largest < 2 ** 53;
}

export class MorphologyData {
  readonly mesh: Mesh;
  readonly volume: number;
  readonly area: number;
  readonly voxelVolume: number;
  readonly voxelCount: number;
  readonly intensityVoxels: number;
  readonly meanIntensity: number;
  /** PCA eigenvalues of the voxel-centre coordinates (mm²), descending: major, minor, least. */
  readonly eigenvalues: [number, number, number];
  readonly centreOfMassShift: number;
  private cache = new Map<string, unknown>();

  constructor(private readonly input: MorphologyInput) {
    const { dims, spacing, morphologicalMask } = input;
    this.mesh = meshFromMask(morphologicalMask, dims, spacing, input.box ?? undefined);
    this.volume = meshVolume(this.mesh);
    this.area = meshArea(this.mesh);
    this.voxelVolume = spacing[0] * spacing[1] * spacing[2];
    const [s1x, s1y, s1z, sxx, syy, szz, sxy, sxz, syz, n, nInt, sumInt, wx, wy, wz] = pointMoments(input);
    const s1 = [s1x, s1y, s1z];
    const s2 = [sxx, syy, szz, sxy, sxz, syz]; // xx yy zz xy xz yz
    const wInt = [wx, wy, wz];
    this.voxelCount = n;
    this.intensityVoxels = nInt;
    this.meanIntensity = sumInt / nInt;
    const c = s1.map((v) => v / n);
    // Sample covariance (N − 1), as the reference implementations' PCA.
    const cov = (sxy: number, a: number, b: number) => (sxy - n * c[a] * c[b]) / (n - 1);
    const m: Mat3 = [
      [cov(s2[0], 0, 0), cov(s2[3], 0, 1), cov(s2[4], 0, 2)],
      [cov(s2[3], 0, 1), cov(s2[1], 1, 1), cov(s2[5], 1, 2)],
      [cov(s2[4], 0, 2), cov(s2[5], 1, 2), cov(s2[2], 2, 2)],
    ];
    const ev = symmetricEigen3(m).values.map((v) => Math.max(0, v));
    this.eigenvalues = [ev[2], ev[1], ev[0]];
    const cg = wInt.map((v) => v / sumInt);
    this.centreOfMassShift = Math.hypot(c[0] - cg[0], c[1] - cg[1], c[2] - cg[2]);
  }

  private memo<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  get hull(): Hull {
    return this.memo('hull', () => convexHull(this.mesh.lattice));
  }
  get hullPointsMm(): Float64Array {
    return this.memo('hullMm', () => hullPointsMm(this.hull, this.input.spacing));
  }
  get hullVolumeArea(): { volume: number; area: number } {
    return this.memo('hullVA', () => hullVolumeArea(this.hull, this.input.spacing));
  }
  get aabb(): Box {
    return this.memo('aabb', () => axisAlignedBox(this.hullPointsMm));
  }
  get ombb(): Box {
    return this.memo('ombb', () => orientedMinimumBox(this.hull, this.input.spacing));
  }
  /** Semi-axes a ≥ b ≥ c of the PCA ellipsoid: 2√λ. */
  get pcaSemiAxes(): [number, number, number] {
    const [l1, l2, l3] = this.eigenvalues;
    return [2 * Math.sqrt(l1), 2 * Math.sqrt(l2), 2 * Math.sqrt(l3)];
  }
  get mvee(): [number, number, number] {
    return this.memo('mvee', () => {
      const axes = minimumVolumeEnclosingEllipsoid(this.hullPointsMm);
      if (!axes) throw new Error('the minimum volume enclosing ellipsoid is undefined for this region');
      return axes;
    });
  }
  get autocorrelation(): SpatialAutocorrelation {
    return this.memo('autocorr', () => spatialAutocorrelation(this.input.image, this.input.intensityMask, this.input.dims, this.input.spacing));
  }
}

export function prepareMorphology(input: MorphologyInput): MorphologyData | { unavailable: string } {
  if (!anyNonZero(input.morphologicalMask)) return { unavailable: 'the ROI morphological mask is empty' };
  return new MorphologyData(input);
}

const comp2 = (d: MorphologyData) => (36 * Math.PI * d.volume * d.volume) / (d.area * d.area * d.area);

const f = (tag: string, code: string, name: string, doc: string, compute: (d: MorphologyData) => number, noRef = false) =>
  defineFeature<MorphologyData>('morphology', tag, code, name, doc, compute, noRef ? { noIbsiReference: true } : {});

export const MORPHOLOGY: FamilyDefinition<MorphologyData> = {
  family: 'morphology',
  features: [
    f('morph_vol', 'RNU0', 'Volume', 'Volume enclosed by the marching-cubes mesh, mm³.', (d) => d.volume),
    f('morph_approx_vol', 'YEKZ', 'Volume voxel counting', 'Number of voxels times the voxel volume, mm³.', (d) => d.voxelCount * d.voxelVolume),
    f('morph_area', 'C0JK', 'Surface area', 'Area of the mesh, mm².', (d) => d.area),
    f('morph_av', '2PR5', 'Surface to volume ratio', 'Mesh area over mesh volume, 1/mm.', (d) => d.area / d.volume),
    f('morph_comp_1', 'SKGS', 'Compactness 1', 'V / (π^½ A^{3/2}).', (d) => d.volume / (Math.sqrt(Math.PI) * Math.pow(d.area, 1.5))),
    f('morph_comp_2', 'BQWJ', 'Compactness 2', '36π V² / A³.', comp2),
    f('morph_sph_dispr', 'KRCK', 'Spherical disproportion', 'A / (36π V²)^{1/3}.', (d) => d.area / Math.cbrt(36 * Math.PI * d.volume * d.volume)),
    f('morph_sphericity', 'QCFX', 'Sphericity', '(36π V²)^{1/3} / A.', (d) => Math.cbrt(36 * Math.PI * d.volume * d.volume) / d.area),
    f('morph_asphericity', '25C7', 'Asphericity', '(A³ / (36π V²))^{1/3} − 1.', (d) => Math.cbrt(1 / comp2(d)) - 1),
    f('morph_com', 'KLMA', 'Centre of mass shift', 'Distance between the geometric centre of the ROI and its intensity-weighted centre, mm.', (d) => d.centreOfMassShift),
    f('morph_diam', 'L0JK', 'Maximum 3D diameter', 'Largest distance between two mesh vertices (on the convex hull), mm.', (d) => maximumDiameter(d.hullPointsMm)),
    f('morph_pca_major', 'TDIC', 'Major axis length', '4√λ_major of the voxel-centre PCA, mm.', (d) => 4 * Math.sqrt(d.eigenvalues[0])),
    f('morph_pca_minor', 'P9VJ', 'Minor axis length', '4√λ_minor of the voxel-centre PCA, mm.', (d) => 4 * Math.sqrt(d.eigenvalues[1])),
    f('morph_pca_least', '7J51', 'Least axis length', '4√λ_least of the voxel-centre PCA, mm.', (d) => 4 * Math.sqrt(d.eigenvalues[2])),
    f('morph_pca_elongation', 'Q3CK', 'Elongation', '√(λ_minor / λ_major).', (d) => Math.sqrt(d.eigenvalues[1] / d.eigenvalues[0])),
    f('morph_pca_flatness', 'N17B', 'Flatness', '√(λ_least / λ_major).', (d) => Math.sqrt(d.eigenvalues[2] / d.eigenvalues[0])),
    f('morph_v_dens_aabb', 'PBX1', 'Volume density (AABB)', 'Mesh volume over the volume of the axis-aligned bounding box.', (d) => d.volume / d.aabb.volume),
    f('morph_a_dens_aabb', 'R59B', 'Area density (AABB)', 'Mesh area over the area of the axis-aligned bounding box.', (d) => d.area / d.aabb.area),
    f('morph_v_dens_ombb', 'ZH1A', 'Volume density (OMBB)', 'Mesh volume over the volume of an (approximate) oriented minimum bounding box. IBSI: no reference value.', (d) => d.volume / d.ombb.volume, true),
    f('morph_a_dens_ombb', 'IQYR', 'Area density (OMBB)', 'Mesh area over the area of the same oriented bounding box. IBSI: no reference value.', (d) => d.area / d.ombb.area, true),
    f('morph_v_dens_aee', '6BDE', 'Volume density (AEE)', 'Mesh volume over the volume 4πabc/3 of the PCA ellipsoid (semi-axes 2√λ).', (d) => {
      const [a, b, c] = d.pcaSemiAxes;
      return (3 * d.volume) / (4 * Math.PI * a * b * c);
    }),
    f('morph_a_dens_aee', 'RDD2', 'Area density (AEE)', 'Mesh area over the surface of the PCA ellipsoid (Legendre series, 20 terms).', (d) => d.area / ellipsoidSurfaceArea(d.pcaSemiAxes)),
    f('morph_v_dens_mvee', 'SWZ1', 'Volume density (MVEE)', 'Mesh volume over the minimum volume enclosing ellipsoid (Khachiyan, tolerance 0.001). IBSI: no reference value.', (d) => {
      const [a, b, c] = d.mvee;
      return (3 * d.volume) / (4 * Math.PI * a * b * c);
    }, true),
    f('morph_a_dens_mvee', 'BRI8', 'Area density (MVEE)', 'Mesh area over the surface of the minimum volume enclosing ellipsoid. IBSI: no reference value.', (d) => d.area / ellipsoidSurfaceArea(d.mvee), true),
    f('morph_v_dens_conv_hull', 'R3ER', 'Volume density (convex hull)', 'Mesh volume over convex hull volume (solidity).', (d) => d.volume / d.hullVolumeArea.volume),
    f('morph_a_dens_conv_hull', '7T7F', 'Area density (convex hull)', 'Mesh area over convex hull area.', (d) => d.area / d.hullVolumeArea.area),
    f('morph_integ_int', '99N0', 'Integrated intensity', 'Mesh volume times the mean intensity of the intensity mask (units·mm³).', (d) => d.volume * d.meanIntensity),
    f('morph_moran_i', 'N365', "Moran's I index", 'Spatial autocorrelation of the intensities, inverse-distance weights (exact).', (d) => d.autocorrelation.moranI),
    f('morph_geary_c', 'NPT7', "Geary's C measure", 'Local spatial autocorrelation of the intensities, inverse-distance weights (exact).', (d) => d.autocorrelation.gearyC),
  ],
};
