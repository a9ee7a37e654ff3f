/**
 * The radiomics engine's public API, for the CD8 stage and the CLI: IBSI features of a region
 * (the ROI or its peritumoral ring) of an image, processed as a settings file says.
 *
 *   const settings = loadRadiomicsSettings('config/radiomics/cd8.json');
 *   const { roi, ring } = extractRegions(lesion.ct.image, lesion.mask, settings, ['roi', 'ring'], { alignTo });
 *   ring.diagnostics.ring.clipped   // the ring left the image
 *   featureKey(f)                   // "stat_mean", "cm_contrast[3D merged]"
 */
export { extractFeatures, extractRegions, prepareImage, extractFromPrepared, RadiomicsInputError, AIR_HU } from './extract';
export { ExtractionStopped } from './stop';
export type { StopCheck } from './stop';
export type { Region, ExtractOptions, ExtractionResult, ExtractionDiagnostics, RingDiagnostics, PreparedImage } from './extract';
export { loadRadiomicsSettings, parseRadiomicsSettings, defaultRadiomicsSettings, RadiomicsSettingsError, radiomicsSettingsSchema } from './settings';
export type { RadiomicsSettings, RingSettings } from './settings';
export { peritumoralRing, dilateMm, erodeMm } from './preprocess/ring';
export { cropMask, grownBox, nonZeroBox } from './indexBox';
export type { IndexBox } from './indexBox';
export type { RingWidth, RingResult } from './preprocess/ring';
export { featureKey, AGGREGATIONS, AGGREGATION_CODES, FEATURE_FAMILIES } from './feature';
export type { FeatureValue, FeatureDescriptor, DocumentedDescriptor, FeatureFamily, Aggregation } from './feature';
export { registeredFeatures, NON_TEXTURE_FEATURES } from './registry';
export { TEXTURE_FAMILIES, TEXTURE_AGGREGATIONS } from './texture';
export type { TextureFamily } from './texture';
export type { Mask, Vec3, Volume } from './volume';
