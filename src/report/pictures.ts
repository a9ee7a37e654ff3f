/**
 * The pictures of a study's result (pure): each lesion's key image with its contour in its class
 * colour and a caption, and the summary page; and, when asked, the same as a PDF. The texts are
 * made here from the analysis; the drawing is drawing/'s. Runs in the analysis worker, where the
 * key slices were cut while the CT was in memory.
 */
import { drawLesionPicture, CtWindow, LesionPictureText } from '../drawing/lesionPicture';
import { CLASS_WORDS, PictureClass } from '../drawing/palette';
import type { Picture } from '../drawing/painter';
import { drawSummaryPage, SummaryPageModel } from '../drawing/summaryPage';
import { writeResultPdf } from '../drawing/pdf';
import type { KeySlice } from '../imaging/keySlice';
import type { InstanceRef, LesionResult, StudyAnalysis } from '../results/types';
import { notAvailableReason, RESEARCH_CAVEAT } from './srContent';
import { significant } from '../ops/format';

export interface PictureSettings {
  /** Width of a lesion picture (and side of its image square), pixels. */
  sizePx: number;
  /** Key images at most (the first lesions); the summary page lists every lesion. */
  maxLesions: number;
  softTissueWindow: CtWindow;
  lungWindow: CtWindow;
  /** Width of the peritumoral ring outside the contour, mm (the signature's radiomics settings). */
  ringOuterMm: number;
}

export interface LesionPicture extends Picture {
  /** The caption drawn under the image (badge, title, lines), for the PDF's text. */
  caption: LesionPictureText;
  /** Index of the lesion in analysis.lesions. */
  lesionIndex: number;
  trackingUid: string;
  /** The CT image shown, for the Secondary Capture's Source Image Sequence. */
  source: InstanceRef;
}

export interface StudyPictures {
  lesions: LesionPicture[];
  summary: Picture;
  /** The PDF (summary page and one page per lesion), when report.summary asks for one. */
  pdf?: Buffer;
}

const num = (v: number | null | undefined, digits = 4) => significant(v, digits, { trim: true });
const site = (s: string) => s.replace(/_/g, ' ');

export function pictureClass(l: LesionResult): PictureClass {
  return l.classification ?? 'not-scored';
}

function badge(l: LesionResult): string {
  if (l.classification) return CLASS_WORDS[l.classification];
  return l.scoreStatus === 'scored' ? 'SCORED, NO CLASS (no cut-off)' : CLASS_WORDS['not-scored'];
}

/** "FAMILY^GIVEN=山田^太郎" → "FAMILY, GIVEN = 山田 太郎": the name as the DICOM gives it, all its groups. */
export function displayName(pn: string): string {
  const groups = pn.split('=').map((g, i) => {
    const [family = '', given = '', middle = '', prefix = '', suffix = ''] = g.split('^').map((c) => c.trim());
    const rest = [given, middle].filter(Boolean).join(' ');
    // The alphabetic group reads "Family, Given"; ideographic and phonetic groups keep their order without a comma.
    const core = i === 0 && family && rest ? `${family}, ${rest}` : [family, rest].filter(Boolean).join(' ');
    return [prefix, core, suffix].filter(Boolean).join(' ');
  });
  return groups.filter(Boolean).join(' = ') || '(no name)';
}

function scoreLine(l: LesionResult, a: StudyAnalysis): string {
  const t = a.signature.threshold;
  if (l.scoreStatus !== 'scored' || l.score === null) return `No CD8 score: ${notAvailableReason(l)}`;
  if (t.value === null) return `CD8 score ${num(l.score)}; no hot/cold cut-off yet (${t.provenance})`;
  return `CD8 score ${num(l.score)} ${l.score >= t.value ? '≥' : '<'} cut-off ${num(t.value)} (${t.provenance}): ${l.classification}`;
}

export function lesionCaption(l: LesionResult, a: StudyAnalysis, key: Pick<KeySlice, 'sliceIndex'>, window: CtWindow, ringOuterMm: number): LesionPictureText {
  return {
    badge: badge(l),
    title: `Lesion ${l.trackingId}`,
    lines: [
      `Site ${site(l.site)} (${l.siteSource}); volume ${num(l.volumeMl, 3)} ml; slice ${key.sliceIndex + 1}, where the lesion is largest`,
      scoreLine(l, a),
      ...(l.flags.length > 0 ? [`Flags: ${l.flags.map((f) => `${f.code} (${f.action})`).join(', ')}`] : []),
      `Window W${window.width}/L${window.level}; dashed: outer edge of the ${num(ringOuterMm, 3)} mm peritumoral ring`,
      `Signature ${a.signature.name} ${a.signature.version}. Research result, not a diagnosis.`,
    ],
  };
}

export function summaryPageModel(a: StudyAnalysis): SummaryPageModel {
  const s = a.summary;
  const p = a.patient;
  const st = a.study;
  const t = a.signature.threshold;
  const scored = a.lesions.filter((l) => l.scoreStatus === 'scored' && l.score !== null);
  const hot = a.lesions.filter((l) => l.classification === 'hot').length;
  // One sentence: a lesion's own reason is short; the study's problems follow in full below.
  const firstReason = a.lesions[0] ? notAvailableReason(a.lesions[0]) : (a.problems[0]?.message ?? 'no lesion could be scored.');
  return {
    title: 'CD8 radiomic score — research result, not a diagnosis',
    identity: [
      ['Patient', displayName(p.patientName)],
      ['Patient ID', `${p.patientId || '–'}${p.issuerOfPatientId ? ` (${p.issuerOfPatientId})` : ''}`],
      ['Birth date', p.birthDate || '–'],
      ['Sex', p.sex || '–'],
      ['Study date', st.studyDate || '–'],
      ['Accession', st.accessionNumber || '–'],
      ['Study', st.studyDescription || '–'],
      ['Result', `version ${st.version}, analysed ${a.analysedAt.slice(0, 16).replace('T', ' ')} UTC`],
    ],
    signature: `Signature ${a.signature.name} ${a.signature.version}${a.signature.complete ? '' : ' (incomplete: values pending verification, no score is computed)'}; cut-off ${t.value === null ? 'none' : num(t.value)} (${t.provenance}).`,
    header: ['Lesion', 'Site', 'Volume (ml)', 'CD8 score', 'Class', 'Status / reason'],
    columns: [1.2, 0.9, 0.95, 0.85, 0.85, 2.5],
    rows: a.lesions.map((l) => ({
      cls: pictureClass(l),
      cells: [
        l.trackingId,
        site(l.site),
        num(l.volumeMl, 3),
        l.scoreStatus === 'scored' ? num(l.score) : '–',
        l.classification ?? (l.scoreStatus === 'scored' ? 'no cut-off' : 'none'),
        l.scoreStatus === 'scored' ? `scored${l.flags.length ? ` (flags: ${l.flags.map((f) => f.code).join(', ')})` : ''}` : notAvailableReason(l),
      ],
    })),
    chart: {
      sites: [...new Set(scored.map((l) => site(l.site)))],
      points: scored.map((l) => ({ site: site(l.site), score: l.score as number, cls: pictureClass(l) })),
      cutOff: t.value,
    },
    chartNote:
      scored.length > 0
        ? `Patient summary: ${s.count} of ${s.lesionCount} lesion(s) scored; minimum ${num(s.min)} (least infiltrated), mean ${num(s.mean)}, SD ${num(s.sd)}, range ${num(s.range)}; ${hot} hot.`
        : `No lesion is scored: ${firstReason}`,
    notes: a.problems.map((pr) => `Problem: ${pr.message}`),
    caveat: 'Research use only: the CD8 radiomic score is a research biomarker, not a diagnosis.',
    footer: `${RESEARCH_CAVEAT.split('. ')[1] ?? ''} ${a.algorithm.name} ${a.algorithm.version}; Sun et al., Lancet Oncol 2018.`.trim(),
  };
}

function windowFor(l: LesionResult, o: PictureSettings): CtWindow {
  return l.site === 'lung' ? o.lungWindow : o.softTissueWindow;
}

/**
 * Draws every lesion that has a key slice and the summary page; the PDF too when `pdf`.
 * `keySlices[i]` belongs to analysis.lesions[i] (undefined when it has none).
 */
export async function renderStudyPictures(a: StudyAnalysis, keySlices: ReadonlyArray<KeySlice | undefined>, o: PictureSettings, pdf: boolean): Promise<StudyPictures> {
  const lesions: LesionPicture[] = [];
  a.lesions.forEach((l, i) => {
    const key = keySlices[i];
    if (!key || i >= o.maxLesions) return;
    const window = windowFor(l, o);
    const caption = lesionCaption(l, a, key, window, o.ringOuterMm);
    const picture = drawLesionPicture(key, pictureClass(l), caption, { window, sizePx: o.sizePx });
    lesions.push({ ...picture, caption, lesionIndex: i, trackingUid: l.trackingUid, source: key.image });
  });
  const model = summaryPageModel(a);
  const summary = drawSummaryPage(model);
  if (!pdf) return { lesions, summary };
  const bytes = await writeResultPdf(
    model,
    lesions.map((l) => ({ title: l.caption.title, lines: [`Class: ${l.caption.badge}`, ...l.caption.lines], png: l.png, width: l.width, height: l.height })),
    { title: 'CD8 radiomic score', createdAt: new Date(a.analysedAt), producer: `${a.algorithm.name} ${a.algorithm.version}` },
  );
  return { lesions, summary, pdf: bytes };
}
