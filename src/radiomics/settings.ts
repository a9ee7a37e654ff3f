/**
 * Radiomics settings: one typed section per IBSI processing stage (interpolation,
 * re-segmentation, discretisation, feature extraction, peritumoral ring), composed into one
 * root, read from a JSON file and validated by the project's schema kit, which rejects unknown
 * keys and out-of-range values with the path of the offending key.
 *
 * The files under config/radiomics/ are instances: ibsi-config-a … -e (IBSI chapter 1 CT
 * phantom), ibsi-digital-phantom, and cd8 (the CD8 signature's preprocessing).
 */
import { readFileSync } from 'node:fs';
import { ConfigIssue, DocRow, Infer, Schema, s } from '../config/schemaKit';
import { AGGREGATIONS, Aggregation, FEATURE_FAMILIES, FeatureFamily } from './feature';
import { registeredFeatures } from './registry';
import { isTextureFamily } from './texture';
import { errorText } from '../ops/errorText';

/** A number, or null meaning "not set" (e.g. an open end of a re-segmentation range). */
function nullableNumber(opts: { doc: string; default: number | null; min?: number; max?: number; unit?: string }): Schema<number | null> {
  const range =
    opts.min !== undefined && opts.max !== undefined ? ` ${opts.min}–${opts.max}` : opts.min !== undefined ? ` > ${opts.min}` : '';
  const typeName = `number${range}${opts.unit ? ` (${opts.unit})` : ''} or null`;
  return {
    doc: opts.doc,
    typeName,
    defaultValue: () => opts.default,
    docRows: (path: string): DocRow[] => [{ path, type: typeName, default: opts.default === null ? 'null' : String(opts.default), doc: opts.doc }],
    yamlLines: (key: string, indent: string) => [`${indent}# ${opts.doc} [${typeName}]`, `${indent}${key}: ${opts.default === null ? 'null' : opts.default}`],
    parse(value: unknown, path: string, issues: ConfigIssue[]): number | null {
      if (value === undefined) return opts.default;
      if (value === null) return null;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        issues.push({ path, message: `expected a number or null, found ${typeof value === 'string' ? `"${value}"` : JSON.stringify(value)}.`, severity: 'error' });
        return opts.default;
      }
      // `min` is exclusive here: widths and sigmas must be strictly positive.
      if ((opts.min !== undefined && value <= opts.min) || (opts.max !== undefined && value > opts.max)) {
        issues.push({ path, message: `${value} is out of range (${typeName.replace(/^number\s*/, '').replace(/ or null$/, '')}).`, severity: 'error' });
        return opts.default;
      }
      return value;
    },
  };
}

const interpolation = s.object(
  {
    method: s.enum(['none', 'nearest', 'linear', 'cubic-spline'] as const, {
      doc: 'Image interpolator (IBSI VTM2): none keeps the acquired grid; linear = trilinear (bilinear with dimensionality 2D); cubic-spline = interpolating cubic B-spline ("tricubic spline").',
      default: 'linear',
    }),
    spacingMm: s.list(s.number({ doc: '', default: 1, min: 0.05, max: 20, unit: 'mm' }), {
      doc: 'New voxel spacing x, y, z in mm (z is ignored when dimensionality is 2D: slices keep their spacing). The grid is aligned on the centre of the original grid (IBSI 3WE3), its size rounded up.',
      default: [1, 1, 1],
      check: (v) => (v.length !== 3 ? `needs 3 values (x, y, z), found ${v.length}.` : undefined),
    }),
    roundIntensities: s.bool({ doc: 'Round interpolated intensities to the nearest integer (IBSI 68QD; CT Hounsfield units are integers).', default: true }),
    maskMethod: s.enum(['nearest', 'linear'] as const, { doc: 'Interpolator of the ROI mask (IBSI E8H9).', default: 'linear' }),
    maskThreshold: s.number({ doc: 'Partial-volume threshold: an interpolated mask value ≥ this is inside the ROI.', default: 0.5, min: 0.01, max: 1 }),
  },
  'Interpolation of image and mask to a new voxel spacing.',
);

const resegmentation = s.object(
  {
    lower: nullableNumber({ doc: 'Lower bound of the re-segmentation range (IBSI USB3), e.g. -1000 HU; null = none. Also the lower bound of fixed-bin-size discretisation.', default: null }),
    upper: nullableNumber({ doc: 'Upper bound of the re-segmentation range; null = open range.', default: null }),
    outlierSigma: nullableNumber({ doc: 'Outlier filtering (IBSI 7ACA): keep mean ± this many SD of the ROI; null = off.', default: null, min: 0, max: 100 }),
  },
  'Re-segmentation of the intensity mask (the morphological mask is never re-segmented).',
);

const discretisation = s.object(
  {
    method: s.enum(['fixed_bin_size', 'fixed_bin_number', 'none'] as const, {
      doc: 'Discretisation for texture and intensity-histogram features: fixed_bin_size (Q3RU, from a lower bound; IBSI recommends it for calibrated units such as HU), fixed_bin_number (K15C, over the actual min/max of the ROI; works for any units), none (intensities already are grey levels 1, 2, …).',
      default: 'fixed_bin_number',
    }),
    binWidth: s.number({ doc: 'Bin width for fixed_bin_size, in intensity units (HU).', default: 25, min: 1e-6 }),
    binCount: s.int({ doc: 'Number of bins for fixed_bin_number.', default: 32, min: 1, max: 65536 }),
    lowerBound: nullableNumber({ doc: 'Lower bound for fixed_bin_size; null = the re-segmentation lower bound (IBSI recommendation).', default: null }),
  },
  'Intensity discretisation for texture and intensity-histogram features.',
);

const ivh = s.object(
  {
    method: s.enum(['none', 'fixed_bin_size', 'fixed_bin_number'] as const, {
      doc: 'Intensity-volume histogram discretisation (IBSI P88C): none = calibrated discrete intensities (CT HU) used as they are; fixed_bin_size = calibrated continuous (bin centres, range from re-segmentation); fixed_bin_number = arbitrary units (typically 1000 bins).',
      default: 'none',
    }),
    binWidth: s.number({ doc: 'Bin width for fixed_bin_size.', default: 2.5, min: 1e-6 }),
    binCount: s.int({ doc: 'Number of bins for fixed_bin_number.', default: 1000, min: 1, max: 1000000 }),
  },
  'Intensity-volume histogram discretisation.',
);

const texture = s.object(
  {
    aggregations: s.list<Aggregation>(s.enum(AGGREGATIONS, { doc: '', default: '3D merged' }), {
      doc: 'IBSI aggregation methods to compute; each texture family computes those that apply to it (GLCM/GLRLM: 2D averaged … 3D merged; GLSZM/GLDZM/NGTDM/NGLDM: 2D, 2.5D, 3D).',
      default: ['3D merged', '3D'],
      check: (v) => (v.length === 0 ? 'is empty; name at least one aggregation.' : undefined),
    }),
    glcmDistance: s.int({ doc: 'GLCM neighbour distance (Chebyshev).', default: 1, min: 1, max: 10 }),
    ngtdmDistance: s.int({ doc: 'NGTDM neighbourhood distance (Chebyshev).', default: 1, min: 1, max: 10 }),
    ngldmDistance: s.int({ doc: 'NGLDM neighbourhood distance (Chebyshev).', default: 1, min: 1, max: 10 }),
    ngldmCoarseness: s.int({ doc: 'NGLDM coarseness parameter α.', default: 0, min: 0, max: 1000 }),
  },
  'Texture matrices.',
);

const features = s.object(
  {
    families: s.list<FeatureFamily>(s.enum(FEATURE_FAMILIES, { doc: '', default: 'intensity_statistics' }), {
      doc: 'Feature families to compute.',
      default: [...FEATURE_FAMILIES],
      check: (v) => (v.length === 0 ? 'is empty; name at least one feature family.' : new Set(v).size !== v.length ? 'names a family twice.' : undefined),
    }),
    exclude: s.list(s.string({ doc: '', default: 'morph_moran_i', nonEmpty: true }), {
      doc: "Features of the chosen families not to compute, by IBSI tag or code (e.g. morph_moran_i, N365). Excluded features are left out of the output and cost nothing: Moran's I and Geary's C need FFTs over twice the ROI bounding box (for a 10 cm lesion at 1 mm: about 10 s and 0.5 GB); OMBB and MVEE densities have no IBSI reference value.",
      default: [],
    }),
    texture,
  },
  'Feature extraction.',
);

const ring = s.object(
  {
    innerMm: s.number({ doc: 'Depth of the peritumoral ring inside the contour (the contour eroded by this distance), mm.', default: 0, min: 0, max: 100, unit: 'mm' }),
    outerMm: s.number({ doc: 'Width of the peritumoral ring outside the contour (the contour dilated by this distance), mm.', default: 5, min: 0.1, max: 100, unit: 'mm' }),
  },
  'Peritumoral ring region: band between the contour eroded by innerMm and dilated by outerMm (spherical structuring element in mm), clipped to the image.',
);

export const radiomicsSettingsSchema = s.object(
  {
    name: s.string({ doc: 'Short name of this settings file.', default: 'radiomics', nonEmpty: true }),
    description: s.string({ doc: 'What these settings reproduce or are for, with sources.', default: '' }),
    status: s.enum(['reference', 'default', 'pending'] as const, {
      doc: 'reference = reproduces a published configuration; default = a documented choice; pending = placeholder until the values are verified (see description).',
      default: 'default',
    }),
    dimensionality: s.enum(['2D', '3D'] as const, {
      doc: 'IBSI slice-wise (2D: interpolation in-plane only, texture per slice) or volumetric (3D) processing. Morphology, intensity and histogram features are always 3D.',
      default: '3D',
    }),
    interpolation,
    resegmentation,
    discretisation,
    ivh,
    features,
    ring,
  },
  'Radiomics settings',
  (v) => {
    if (v.resegmentation.lower !== null && v.resegmentation.upper !== null && v.resegmentation.lower > v.resegmentation.upper) {
      return `resegmentation.lower (${v.resegmentation.lower}) is above resegmentation.upper (${v.resegmentation.upper}).`;
    }
    if (v.discretisation.method === 'fixed_bin_size' && v.discretisation.lowerBound === null && v.resegmentation.lower === null) {
      const uses = v.features.families.some((f) => f === 'intensity_histogram' || isTextureFamily(f));
      if (uses) return 'fixed_bin_size discretisation needs a lower bound: set resegmentation.lower or discretisation.lowerBound (IBSI recommends the re-segmentation lower bound).';
    }
    const known = new Set(registeredFeatures().flatMap((f) => [f.tag, f.code]));
    const unknown = v.features.exclude.filter((x) => !known.has(x));
    if (unknown.length > 0) return `features.exclude names unknown features: ${unknown.join(', ')}; use IBSI tags (e.g. morph_moran_i) or codes (e.g. N365).`;
    if (v.dimensionality === '2D' && v.features.texture.aggregations.some((a) => a.startsWith('3D'))) {
      return `dimensionality 2D cannot give 3D texture aggregations (${v.features.texture.aggregations.filter((a) => a.startsWith('3D')).join(', ')}); use 2D/2.5D ones or dimensionality 3D.`;
    }
    return undefined;
  },
);

export type RadiomicsSettings = Infer<typeof radiomicsSettingsSchema>;
export type InterpolationSettings = RadiomicsSettings['interpolation'];
export type ResegmentationSettings = RadiomicsSettings['resegmentation'];
export type DiscretisationSettingsSection = RadiomicsSettings['discretisation'];
export type IvhSettings = RadiomicsSettings['ivh'];
export type FeatureExtractionSettings = RadiomicsSettings['features'];
export type RingSettings = RadiomicsSettings['ring'];

export class RadiomicsSettingsError extends Error {

  override readonly name = 'RadiomicsSettingsError';
  constructor(
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${source}: ${issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** Validates parsed JSON; throws RadiomicsSettingsError listing every problem with its key path. */
export function parseRadiomicsSettings(value: unknown, source = 'radiomics settings'): RadiomicsSettings {
  const issues: ConfigIssue[] = [];
  const settings = radiomicsSettingsSchema.parse(value, '', issues);
  if (issues.some((i) => i.severity === 'error')) throw new RadiomicsSettingsError(source, issues);
  return settings;
}

export function loadRadiomicsSettings(path: string): RadiomicsSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RadiomicsSettingsError(path, [{ path: '(file)', message: `cannot read it: ${errorText(e)}`, severity: 'error' }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RadiomicsSettingsError(path, [{ path: '(file)', message: `is not valid JSON: ${errorText(e)}`, severity: 'error' }]);
  }
  return parseRadiomicsSettings(json, path);
}

export function defaultRadiomicsSettings(): RadiomicsSettings {
  return radiomicsSettingsSchema.defaultValue();
}
