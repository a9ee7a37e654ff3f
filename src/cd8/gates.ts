/**
 * Quality gates (pure): conditions under which a lesion's score is withheld ("block") or reported
 * with a warning ("flag"). Each gate's action is configured (config `score.gates`); "off" ignores it.
 * The signature's own validity limits always flag, never block: they describe the training data.
 */
import type { LesionSite, QualityFlag } from '../results/types';
import type { Signature } from './signatureSchema';

export type GateAction = 'block' | 'flag' | 'off';

export interface GateSettings {
  minVolumeMl: number;
  smallLesion: GateAction;
  maxSliceThicknessMm: number;
  thickSlices: GateAction;
  ringOutsideImage: GateAction;
  notCt: GateAction;
  missingKvp: GateAction;
  unknownSite: GateAction;
}

export interface LesionFacts {
  volumeMl: number;
  modality: string;
  /** Slice Thickness (0018,0050), else the slice spacing; null when neither is known. */
  sliceThicknessMm: number | null;
  kvp: number | null;
  defaultKvp: number;
  site: LesionSite;
  /** The peritumoral ring was cut by the image border (part of it lies outside the image). */
  ringClipped: boolean;
  /** Fraction of the ring's voxels in outside air (below -500 HU, connected to the image border), when known. */
  ringOutsideBodyFraction?: number;
}

/** Above this fraction of air in the ring, the ring is said to leave the body. */
export const RING_AIR_FRACTION_LIMIT = 0.1;

export function applyGates(f: LesionFacts, g: GateSettings, validity?: Signature['validity']): QualityFlag[] {
  const flags: QualityFlag[] = [];
  const gate = (action: GateAction, code: string, message: string) => {
    if (action !== 'off') flags.push({ code, action, message });
  };
  if (f.modality !== 'CT') gate(g.notCt, 'not-ct', `modality is ${f.modality || 'missing'}, not CT: the signature was built on CT.`);
  if (f.volumeMl < g.minVolumeMl) {
    gate(g.smallLesion, 'small-lesion', `lesion volume ${f.volumeMl.toFixed(2)} ml is below ${g.minVolumeMl} ml: radiomic features of small lesions are unstable.`);
  }
  if (f.sliceThicknessMm !== null && f.sliceThicknessMm > g.maxSliceThicknessMm) {
    gate(g.thickSlices, 'thick-slices', `slice thickness ${f.sliceThicknessMm} mm exceeds ${g.maxSliceThicknessMm} mm.`);
  }
  if (f.ringClipped) gate(g.ringOutsideImage, 'ring-outside-image', 'the peritumoral ring reaches beyond the image: ring features cover only its part inside.');
  else if (f.ringOutsideBodyFraction !== undefined && f.ringOutsideBodyFraction > RING_AIR_FRACTION_LIMIT) {
    gate(
      g.ringOutsideImage,
      'ring-outside-body',
      `${(f.ringOutsideBodyFraction * 100).toFixed(0)} % of the peritumoral ring lies in air connected to the image edge: the ring leaves the body (or the field of view is cropped through the lung).`,
    );
  }
  if (f.kvp === null) gate(g.missingKvp, 'missing-kvp', `KVP (0018,0060) is missing: ${f.defaultKvp} kV assumed.`);
  if (f.site === 'unknown') gate(g.unknownSite, 'unknown-site', 'lesion site unknown (no organ ROI, no keyword in the name, no configured default).');

  if (validity) {
    const kvp = f.kvp ?? f.defaultKvp;
    if ((validity.minKvp !== null && kvp < validity.minKvp) || (validity.maxKvp !== null && kvp > validity.maxKvp)) {
      flags.push({ code: 'kvp-outside-validity', action: 'flag', message: `${kvp} kV is outside the signature's training range (${validity.minKvp ?? '?'}–${validity.maxKvp ?? '?'} kV).` });
    }
    if (validity.maxSliceThicknessMm !== null && f.sliceThicknessMm !== null && f.sliceThicknessMm > validity.maxSliceThicknessMm) {
      flags.push({ code: 'thickness-outside-validity', action: 'flag', message: `slice thickness ${f.sliceThicknessMm} mm exceeds the signature's ${validity.maxSliceThicknessMm} mm.` });
    }
    if (validity.minVolumeMl !== null && f.volumeMl < validity.minVolumeMl && !flags.some((x) => x.code === 'small-lesion')) {
      flags.push({ code: 'volume-outside-validity', action: 'flag', message: `lesion volume ${f.volumeMl.toFixed(2)} ml is below the signature's ${validity.minVolumeMl} ml.` });
    }
  }
  return flags;
}

/** The sentence that says why a score is withheld, when a gate blocks it. */
export function blockingReason(flags: QualityFlag[]): string | undefined {
  const blocking = flags.filter((f) => f.action === 'block');
  return blocking.length > 0 ? `blocked by quality gate: ${blocking.map((f) => f.message).join(' ')}` : undefined;
}
