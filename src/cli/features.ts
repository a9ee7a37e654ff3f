import { Command, CommandIo, UsageError } from './command';
import { parseOfflineCommand } from './studyFiles';
import { NiftiError, readNifti } from '../io/nifti';
import { Mask, Vec3, Volume, sameGrid } from '../radiomics/volume';
import { featureKey } from '../radiomics/feature';
import { RadiomicsSettings, RadiomicsSettingsError, loadRadiomicsSettings } from '../radiomics/settings';
import { ExtractOptions, ExtractionResult, RadiomicsInputError, Region, extractFeatures } from '../radiomics/extract';
import { DiscretisationError } from '../radiomics/preprocess/discretise';
import { ImagingError } from '../imaging/load';
import { loadDicomLesion } from './dicomLesion';
import { featuresBatch } from './featuresBatch';
import { errorText } from '../ops/errorText';

export const featuresCommand: Command = {
  words: ['features'],
  summary: 'IBSI radiomic features of one ROI (or its peritumoral ring)',
  help: `Usage: cd8-node features --ct DIR --rtstruct FILE --roi NAME --settings FILE [--region roi|ring] [--json]
       cd8-node features --image NIFTI --mask NIFTI --settings FILE [--region roi|ring] [--json]
       cd8-node features --batch DIR [--config FILE] [--signature FILE] > lesions.csv

Computes the IBSI features named by the settings file for one region of interest:
the ROI itself, or its peritumoral ring (--region ring). The settings file says how
(interpolation, re-segmentation, discretisation, families, ring width); shipped ones
are in config/radiomics/ (ibsi-config-a … -e, ibsi-digital-phantom, cd8).

Input, either:
  --ct DIR          CT series (directory, searched recursively)
  --rtstruct FILE   RT Structure Set with the contour
  --roi NAME        ROI name in the RTSTRUCT (exact, case-insensitive)
or:
  --image NIFTI     image (.nii or .nii.gz), used as stored (scl_slope/inter applied)
  --mask NIFTI      mask on the same grid; non-zero voxels are the ROI

Options:
  --settings FILE   radiomics settings (JSON), e.g. config/radiomics/cd8.json
  --region R        roi (default) or ring
  --json            print JSON: {"features": {"stat_mean": …, "cm_contrast[3D merged]": …},
                    "undefined": {key: reason}, "diagnostics": {…}}

Batch (a folder of studies, offline):
  --batch DIR       every sub-folder of DIR holding an RTSTRUCT is one study (its CT
                    slices anywhere below it); each is analysed as the node does
                    (lesion rules, tumour and ring, the signature's radiomics settings)
                    and one CSV row per lesion is written to standard output, as
                    "cd8-node export features" writes it. A progress bar goes to the
                    terminal (standard error) when there is one; studies that cannot be
                    used are listed at the end and do not stop the others.
  --config FILE     configuration (lesion rules; default: $CD8_CONFIG, else the defaults)
  --signature FILE  signature whose radiomics settings to use (default: score.signature)

Exit 0 when features were computed, 1 when the input cannot be used, 2 on wrong
arguments or an invalid settings file.

Example:
  cd8-node features --ct study/CT --rtstruct study/RS.dcm --roi GTV-1 \\
      --settings config/radiomics/cd8.json --region ring --json`,
  async run(args, io) {
    const values = parseOfflineCommand(featuresCommand, args, io, {
      ct: { type: 'string' },
      rtstruct: { type: 'string' },
      roi: { type: 'string' },
      image: { type: 'string' },
      mask: { type: 'string' },
      settings: { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      batch: { type: 'string' },
      config: { type: 'string', short: 'c' },
      signature: { type: 'string' },
    });
    if (typeof values === 'number') return values;
    if (values.batch !== undefined) {
      const others = (['ct', 'rtstruct', 'roi', 'image', 'mask', 'settings', 'region', 'json'] as const).filter((k) => values[k] !== undefined);
      if (others.length > 0) throw new UsageError(`--batch takes no ${others.map((k) => `--${k}`).join(', ')}: the signature's settings and the lesion rules apply.`);
      return featuresBatch(values.batch, values, io);
    }
    const dicom = values.ct !== undefined || values.rtstruct !== undefined || values.roi !== undefined;
    const nifti = values.image !== undefined || values.mask !== undefined;
    if (dicom && nifti) throw new UsageError('give either --ct/--rtstruct/--roi or --image/--mask, not both.');
    if (!dicom && !nifti) throw new UsageError('no input: give --ct DIR --rtstruct FILE --roi NAME, or --image NIFTI --mask NIFTI.');
    if (dicom && (!values.ct || !values.rtstruct || !values.roi)) throw new UsageError('--ct, --rtstruct and --roi go together; one of them is missing.');
    if (nifti && (!values.image || !values.mask)) throw new UsageError('--image and --mask go together; one of them is missing.');
    if (!values.settings) throw new UsageError('--settings FILE is required (e.g. config/radiomics/cd8.json).');
    const region = (values.region ?? 'roi') as Region;
    if (region !== 'roi' && region !== 'ring') throw new UsageError(`--region must be roi or ring, not "${values.region}".`);

    let settings: RadiomicsSettings;
    try {
      settings = loadRadiomicsSettings(values.settings);
    } catch (e) {
      if (!(e instanceof RadiomicsSettingsError)) throw e;
      io.err(`cd8-node features: settings ${e.source} are invalid:\n${e.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
      return 2;
    }

    let input: { image: Volume<Float32Array>; mask: Mask; describe: Record<string, string>; options: ExtractOptions; warnings: string[] };
    try {
      input = dicom ? await loadDicomLesion(values.ct!, values.rtstruct!, values.roi!) : loadNiftiPair(values.image!, values.mask!);
    } catch (e) {
      if (e instanceof NiftiError || e instanceof RadiomicsInputError || e instanceof ImagingError) {
        io.err(`cd8-node features: ${errorText(e)}`);
        return 1;
      }
      throw e;
    }

    let result: ExtractionResult;
    try {
      result = extractFeatures(input.image, input.mask, settings, region, input.options);
    } catch (e) {
      if (e instanceof RadiomicsInputError || e instanceof DiscretisationError) {
        io.err(`cd8-node features: ${e.message}`);
        return 1;
      }
      throw e;
    }
    result.diagnostics.warnings.unshift(...input.warnings);
    if (values.json) io.out(JSON.stringify(asJson(result, input.describe, values.settings), null, 2));
    else printText(io, result, input.describe);
    return 0;
  },
};

function loadNiftiPair(imagePath: string, maskPath: string) {
  const image = readNifti(imagePath);
  const m = readNifti(maskPath);
  if (!sameGrid(image, m)) {
    throw new RadiomicsInputError(`${maskPath} (${m.dims.join('×')} voxels of ${m.spacing.map((s) => +s.toFixed(4)).join('×')} mm) is not on the grid of ${imagePath} (${image.dims.join('×')} of ${image.spacing.map((s) => +s.toFixed(4)).join('×')} mm); resample the mask onto the image.`);
  }
  const mask: Mask = { dims: m.dims, spacing: m.spacing, origin: m.origin, data: Uint8Array.from(m.data, (v) => (v !== 0 ? 1 : 0)) };
  const dims: Vec3 = image.dims;
  return {
    image: { dims, spacing: image.spacing, origin: image.origin, data: image.data },
    mask,
    describe: { image: imagePath, mask: maskPath },
    options: {},
    warnings: [] as string[],
  };
}

function asJson(result: ExtractionResult, input: Record<string, string>, settingsFile: string) {
  const features: Record<string, number | null> = {};
  const undefinedFeatures: Record<string, string> = {};
  for (const f of result.features) {
    const key = featureKey(f);
    features[key] = Number.isFinite(f.value) ? f.value : null;
    if (!Number.isFinite(f.value)) undefinedFeatures[key] = f.reason ?? 'undefined';
  }
  return { input, settingsFile, region: result.diagnostics.region, features, undefined: undefinedFeatures, diagnostics: result.diagnostics };
}

function printText(io: CommandIo, result: ExtractionResult, input: Record<string, string>): void {
  const d = result.diagnostics;
  io.out(`Input: ${Object.entries(input).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  io.out(`Settings: ${d.settings.name} (${d.settings.status})${d.settings.status === 'pending' ? ' — values not yet verified' : ''}; region: ${d.region}`);
  io.out(`Grid: ${d.grid.dims.join('×')} voxels of ${d.grid.spacing.map((s) => +s.toFixed(4)).join('×')} mm; interpolation: ${d.grid.interpolation}`);
  io.out(`Voxels: ${d.voxels.morphological} in the region, ${d.voxels.intensity} after re-segmentation`);
  if (d.ring) io.out(`Ring: ${d.ring.innerMm} mm in, ${d.ring.outerMm} mm out, ${d.ring.voxels} voxels${d.ring.clipped ? `, CLIPPED by the image border (${d.ring.clippedAt.join(', ')})` : ''}, ${(100 * d.ring.airFraction).toFixed(1)} % below -500 HU`);
  for (const w of d.warnings) io.out(`Warning: ${w}`);
  const width = Math.max(...result.features.map((f) => featureKey(f).length));
  io.out('');
  for (const f of result.features) {
    const key = featureKey(f).padEnd(width);
    io.out(Number.isFinite(f.value) ? `${key}  ${+f.value.toPrecision(6)}` : `${key}  NaN  (${f.reason ?? 'undefined'})`);
  }
}
