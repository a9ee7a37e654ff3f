/**
 * The feature registry: every feature the engine can report, with its IBSI code, tag, name,
 * family and documentation line. Each family documents its own features where it defines them
 * (features/*.ts for the intensity and morphology families, texture/*\/features.ts for the
 * texture matrices); this module lists them together from the table of families (families.ts).
 */
import { DocumentedDescriptor } from './feature';
import { FAMILY_TABLE, isVoxelFamily } from './families';

export const NON_TEXTURE_FEATURES: readonly DocumentedDescriptor[] = FAMILY_TABLE.filter(isVoxelFamily).flatMap((f) => f.descriptors);

const ALL: readonly DocumentedDescriptor[] = FAMILY_TABLE.flatMap((f) => f.descriptors);

/** Every registered feature, texture families included. */
export function registeredFeatures(): DocumentedDescriptor[] {
  return [...ALL];
}
