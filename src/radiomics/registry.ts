/**
 * The feature registry: every feature the engine can report, with its IBSI code, tag, name,
 * family and documentation line. Each family documents its own features where it defines them
 * (features/*.ts for the intensity and morphology families, texture/*\/features.ts for the
 * texture matrices); this module only lists them together.
 */
import { DocumentedDescriptor } from './feature';
import { describe } from './features/family';
import { MORPHOLOGY } from './features/morphology';
import { LOCAL_INTENSITY } from './features/localIntensity';
import { STATISTICS } from './features/statistics';
import { HISTOGRAM } from './features/histogram';
import { IVH } from './features/ivh';
import { TEXTURE_DESCRIPTORS } from './texture';

export const NON_TEXTURE_FEATURES: readonly DocumentedDescriptor[] = [
  ...describe(MORPHOLOGY),
  ...describe(LOCAL_INTENSITY),
  ...describe(STATISTICS),
  ...describe(HISTOGRAM),
  ...describe(IVH),
];

const ALL: readonly DocumentedDescriptor[] = [...NON_TEXTURE_FEATURES, ...TEXTURE_DESCRIPTORS];

/** Every registered feature, texture families included. */
export function registeredFeatures(): DocumentedDescriptor[] {
  return [...ALL];
}
