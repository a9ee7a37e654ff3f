/**
 * Which ROIs of a structure set are lesions, and each lesion's site.
 *
 * Selection (config section `lesions`): an ROI is a lesion when
 *   (its RT ROI Interpreted Type is in includeTypes OR its name matches an includeNames pattern)
 *   AND its type is not in excludeTypes AND its name matches no excludeNames pattern.
 * Types compare case-insensitively; an empty type is in no list (the IBSI phantom's "GTV-1" has
 * none and is selected by the "^gtv" name pattern). Patterns are case-insensitive regular
 * expressions. Every ROI left out comes back with its reason.
 *
 * Site, first rule that decides:
 *   1. an organ ROI of the same structure set containing most (≥ 50 %) of the lesion's voxels,
 *      whose name says a site (site.ts keywords); organ ROIs are the non-lesion ROIs of type
 *      ORGAN, AVOIDANCE or no type; the one containing the largest share wins;
 *   2. keywords in the lesion's own name (site.ts);
 *   3. the configured default (lesions.defaultSite), when it is not "unknown";
 *   4. unknown.
 */
import type { LesionSite } from '../results/types';
import { RoiDefinition } from './rtstruct';
import { SITE_LABEL, siteFromName } from './site';
import { errorText } from '../ops/errorText';

export interface LesionRules {
  includeTypes: readonly string[];
  excludeTypes: readonly string[];
  includeNames: readonly string[];
  excludeNames: readonly string[];
  defaultSite: LesionSite;
}

export type RoiVerdict = { lesion: true; because: string } | { lesion: false; reason: string };

function compile(patterns: readonly string[], key: string): RegExp[] {
  return patterns.map((p) => {
    try {
      return new RegExp(p, 'i');
    } catch (e) {
      throw new Error(`lesions.${key}: "${p}" is not a valid regular expression (${errorText(e)}).`);
    }
  });
}

/** Applies the selection rules to one ROI (by type and name only; geometry is checked later). */
export function roiSelector(rules: LesionRules): (roi: Pick<RoiDefinition, 'name' | 'interpretedType'>) => RoiVerdict {
  const include = new Set(rules.includeTypes.map((t) => t.toUpperCase()));
  const exclude = new Set(rules.excludeTypes.map((t) => t.toUpperCase()));
  const includeNames = compile(rules.includeNames, 'includeNames');
  const excludeNames = compile(rules.excludeNames, 'excludeNames');
  return (roi) => {
    const type = roi.interpretedType.toUpperCase();
    const nameOut = excludeNames.find((r) => r.test(roi.name));
    if (nameOut) return { lesion: false, reason: `its name matches the lesions.excludeNames pattern /${nameOut.source}/i` };
    if (type !== '' && exclude.has(type)) return { lesion: false, reason: `its RT ROI Interpreted Type ${type} is in lesions.excludeTypes` };
    if (type !== '' && include.has(type)) return { lesion: true, because: `RT ROI Interpreted Type ${type} is in lesions.includeTypes` };
    const nameIn = includeNames.find((r) => r.test(roi.name));
    if (nameIn) return { lesion: true, because: `its name matches the lesions.includeNames pattern /${nameIn.source}/i` };
    return {
      lesion: false,
      reason: `its RT ROI Interpreted Type ${type === '' ? '(empty)' : type} is not in lesions.includeTypes (${[...include].join(', ') || 'none'}) and its name matches no lesions.includeNames pattern`,
    };
  };
}

const ORGAN_TYPES = new Set(['', 'ORGAN', 'AVOIDANCE']);

/** Whether a non-lesion ROI may serve as the organ that gives a lesion its site. */
export function organSite(roi: Pick<RoiDefinition, 'name' | 'interpretedType'>): LesionSite | null {
  if (!ORGAN_TYPES.has(roi.interpretedType.toUpperCase())) return null;
  const s = siteFromName(roi.name);
  return s.site;
}

export interface OrganOverlap {
  roiNumber: number;
  roiName: string;
  site: LesionSite;
  /** Share of the lesion's voxels inside the organ, 0–1. */
  fraction: number;
}

export interface SiteDecision {
  site: LesionSite;
  /** How the site was found, in words (LesionResult.siteSource). */
  source: string;
}

const pct = (f: number) => `${Math.round(f * 100)} %`;

/** The site of a lesion by the rules above, given the organ overlaps measured on its voxels. */
export function decideSite(lesionName: string, overlaps: readonly OrganOverlap[], defaultSite: LesionSite): SiteDecision {
  const best = [...overlaps].sort((a, b) => b.fraction - a.fraction)[0];
  if (best && best.fraction >= 0.5) return { site: best.site, source: `organ ROI ${best.roiNumber} "${best.roiName}" contains ${pct(best.fraction)} of it` };
  const byName = siteFromName(lesionName);
  if (byName.site) return { site: byName.site, source: `name keyword "${byName.keyword}"` };
  const noOrgan = best ? `the organ ROI overlapping it most ("${best.roiName}", ${SITE_LABEL[best.site]}) holds only ${pct(best.fraction)} of it` : 'no organ ROI contains it';
  if (defaultSite !== 'unknown') return { site: defaultSite, source: `config default (lesions.defaultSite): ${noOrgan} and ${byName.why}` };
  return { site: 'unknown', source: `unknown: ${noOrgan}, ${byName.why} and lesions.defaultSite is unknown` };
}
