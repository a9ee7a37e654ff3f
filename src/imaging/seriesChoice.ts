/**
 * Which CT series an RTSTRUCT was drawn on, when a study holds several. Never a silent guess:
 *   1. the series asked for explicitly (e.g. `--series`), else
 *   2. the one series the RTSTRUCT names in RT Referenced Series, else
 *   3. the one series sharing the RTSTRUCT's frame of reference (with a warning that the
 *      referenced series is not here), else
 *   4. a single series when the RTSTRUCT names no frame of reference at all (with a warning);
 * anything else is an error that lists the candidates and says how to choose.
 */
import { ImageHeader } from './imageHeader';
import { StructureSet } from './rtstruct';

export type SeriesChoice = { ok: true; seriesInstanceUid: string; how: string; warnings: string[] } | { ok: false; code: string; message: string };

function describe(uid: string, headers: ImageHeader[]): string {
  const h = headers[0];
  const what = [h?.modality, h?.seriesDescription ? `"${h.seriesDescription}"` : undefined, `${headers.length} image${headers.length === 1 ? '' : 's'}`].filter(Boolean).join(' ');
  return `${uid} (${what})`;
}

export function chooseSeries(candidates: ReadonlyMap<string, ImageHeader[]>, ss: StructureSet, requested?: string): SeriesChoice {
  const list = [...candidates.entries()];
  const all = list.map(([uid, h]) => describe(uid, h)).join('; ');
  if (list.length === 0) return { ok: false, code: 'no-ct', message: 'no CT image was found where the CT was expected (the files there are not images); give the directory that holds the CT slices.' };
  if (requested) {
    if (candidates.has(requested)) return { ok: true, seriesInstanceUid: requested, how: 'as requested', warnings: [] };
    return { ok: false, code: 'requested-series-missing', message: `series ${requested} was asked for but is not among the images (${all}).` };
  }
  const referenced = [...new Set(ss.referencedSeries.map((r) => r.seriesInstanceUid))];
  const present = referenced.filter((u) => candidates.has(u));
  if (present.length === 1) return { ok: true, seriesInstanceUid: present[0], how: 'referenced by the RTSTRUCT (RT Referenced Series)', warnings: [] };
  if (present.length > 1) {
    return { ok: false, code: 'several-referenced-series', message: `RTSTRUCT ${ss.sopInstanceUid} references ${present.length} of the series here (${present.map((u) => describe(u, candidates.get(u)!)).join('; ')}); choose one (cd8-node lesions --series UID).` };
  }
  const frames = new Set([...ss.frameOfReferenceUids, ...ss.rois.map((r) => r.frameOfReferenceUid).filter((f): f is string => !!f)]);
  const missingRef = referenced.length > 0 ? `RTSTRUCT ${ss.sopInstanceUid} references series ${referenced.join(', ')}, which is not among the images` : `RTSTRUCT ${ss.sopInstanceUid} names no referenced series`;
  if (frames.size > 0) {
    const sameFrame = list.filter(([, h]) => h.some((x) => x.frameOfReferenceUid && frames.has(x.frameOfReferenceUid)));
    if (sameFrame.length === 1) {
      return { ok: true, seriesInstanceUid: sameFrame[0][0], how: 'the only series in the RTSTRUCT\'s frame of reference', warnings: [`${missingRef}; using series ${describe(sameFrame[0][0], sameFrame[0][1])}, the only one in its frame of reference ${[...frames].join(', ')}.`] };
    }
    if (sameFrame.length > 1) {
      return { ok: false, code: 'ambiguous-series', message: `${missingRef}, and ${sameFrame.length} series share its frame of reference ${[...frames].join(', ')} (${sameFrame.map(([u, h]) => describe(u, h)).join('; ')}); choose one (cd8-node lesions --series UID).` };
    }
    return { ok: false, code: 'frame-of-reference-mismatch', message: `RTSTRUCT ${ss.sopInstanceUid} references frame of reference ${[...frames].join(', ')} but no CT series with that frame was received (series here: ${list.map(([u, h]) => `${describe(u, h)} in ${h[0]?.frameOfReferenceUid ?? 'no frame of reference'}`).join('; ')}). Send the CT the contours were drawn on.` };
  }
  if (list.length === 1) return { ok: true, seriesInstanceUid: list[0][0], how: 'the only series', warnings: [`${missingRef} and no frame of reference; using the only series here, ${describe(list[0][0], list[0][1])}. Check that the contours belong to it.`] };
  return { ok: false, code: 'ambiguous-series', message: `${missingRef} and no frame of reference, and there are ${list.length} series (${all}); choose one (cd8-node lesions --series UID).` };
}
