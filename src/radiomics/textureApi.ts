/**
 * The bridge to the texture-matrix families (GLCM, GLRLM, GLSZM, GLDZM, NGTDM, NGLDM), which
 * live in ./texture (written in parallel on another branch). The contract is the one below;
 * until ./texture/index.ts is merged into this branch the engine runs without texture and says
 * so. Once it is merged, this file can become a plain
 * `export { computeTextureFeatures, TEXTURE_DESCRIPTORS } from './texture'`.
 */
import { Vec3 } from './volume';
import { Aggregation, FeatureDescriptor, FeatureValue } from './feature';
import type { TextureFamily } from './settings';

export interface DiscretisedRoi {
  dims: Vec3;
  spacing: Vec3;
  /** Grey level 1..nLevels inside the intensity mask (after re-segmentation), 0 outside. */
  levels: Int32Array;
  nLevels: number;
  /** The morphological mask (before re-segmentation), same grid; some families (GLDZM distance map) may need it. */
  morphMask: Uint8Array;
}

export interface TextureOptions {
  families: TextureFamily[];
  /** Which IBSI aggregations to compute (per family, those that apply). */
  aggregations: Aggregation[];
  glcmDistance?: number;
  ngtdmDistance?: number;
  ngldmDistance?: number;
  ngldmCoarseness?: number;
}

interface TextureModule {
  computeTextureFeatures(roi: DiscretisedRoi, options: TextureOptions): FeatureValue[];
  TEXTURE_DESCRIPTORS: FeatureDescriptor[];
}

export const TEXTURE_NOT_PRESENT = 'texture engine not present in this branch';

let loaded: TextureModule | null | undefined;

function load(): TextureModule | null {
  if (loaded !== undefined) return loaded;
  // A computed path keeps the compiler from requiring the module before it is merged.
  const path = ['.', 'texture'].join('/');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(path) as TextureModule;
  } catch (e) {
    const { code, message } = e as { code?: string; message?: string };
    // Only the absence of ./texture itself means "not merged yet"; anything else is a real error.
    if (code !== 'MODULE_NOT_FOUND' || !String(message).startsWith(`Cannot find module '${path}'`)) throw e;
    loaded = null;
  }
  return loaded;
}

/** True once ./texture is part of the build. */
export function textureEnginePresent(): boolean {
  return load() !== null;
}

/** Texture descriptors (empty while the texture engine is absent). */
export function textureDescriptors(): FeatureDescriptor[] {
  return load()?.TEXTURE_DESCRIPTORS ?? [];
}

export function computeTexture(roi: DiscretisedRoi, options: TextureOptions): FeatureValue[] {
  const texture = load();
  if (!texture) throw new Error(`${TEXTURE_NOT_PRESENT}: texture families (${options.families.join(', ')}) cannot be computed.`);
  return texture.computeTextureFeatures(roi, options);
}

/** Which aggregations apply to which texture family (IBSI chapter 3). */
export const TEXTURE_FAMILY_AGGREGATIONS: Readonly<Record<TextureFamily, readonly Aggregation[]>> = {
  glcm: ['2D averaged', '2D slice-merged', '2.5D direction-merged', '2.5D merged', '3D averaged', '3D merged'],
  glrlm: ['2D averaged', '2D slice-merged', '2.5D direction-merged', '2.5D merged', '3D averaged', '3D merged'],
  glszm: ['2D', '2.5D', '3D'],
  gldzm: ['2D', '2.5D', '3D'],
  ngtdm: ['2D', '2.5D', '3D'],
  ngldm: ['2D', '2.5D', '3D'],
};
