/**
 * The feature registry: every feature the engine can report, with its IBSI code, tag, name,
 * family and a documentation line. Non-texture families are listed here explicitly; texture
 * descriptors come from the texture engine (./texture, via textureApi) and get a generated doc
 * line naming their family and IBSI section.
 */
import { FeatureFamily } from './feature';
import { RegisteredFeature, describe } from './features/family';
import { MORPHOLOGY } from './features/morphology';
import { LOCAL_INTENSITY } from './features/localIntensity';
import { STATISTICS } from './features/statistics';
import { HISTOGRAM } from './features/histogram';
import { IVH } from './features/ivh';
import { textureDescriptors } from './textureApi';

export const NON_TEXTURE_FEATURES: readonly RegisteredFeature[] = [
  ...describe(MORPHOLOGY),
  ...describe(LOCAL_INTENSITY),
  ...describe(STATISTICS),
  ...describe(HISTOGRAM),
  ...describe(IVH),
];

const TEXTURE_SECTION: Partial<Record<FeatureFamily, string>> = {
  glcm: 'grey level co-occurrence matrix (IBSI 3.6)',
  glrlm: 'grey level run length matrix (IBSI 3.7)',
  glszm: 'grey level size zone matrix (IBSI 3.8)',
  gldzm: 'grey level distance zone matrix (IBSI 3.9)',
  ngtdm: 'neighbourhood grey tone difference matrix (IBSI 3.10)',
  ngldm: 'neighbouring grey level dependence matrix (IBSI 3.11)',
};

/** Every registered feature; texture ones only once the texture engine is in the build. */
export function registeredFeatures(): RegisteredFeature[] {
  const texture = textureDescriptors().map((d) => ({
    ...d,
    // The texture engine may document its features itself; otherwise name family and section.
    doc: (d as { doc?: string }).doc ?? `${d.name} of the ${TEXTURE_SECTION[d.family] ?? d.family}, per IBSI aggregation.`,
  }));
  return [...NON_TEXTURE_FEATURES, ...texture];
}

export function featureByCode(code: string): RegisteredFeature | undefined {
  return registeredFeatures().find((f) => f.code === code);
}
