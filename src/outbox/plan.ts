/**
 * What one study version sends, and where: the SR and its pictures (report.summary) to every
 * DICOM and DICOMweb destination, one ORU per HL7 destination (MSH-5/6 differ per destination). The pipeline
 * calls `enqueueStudyResults`; the sender does the rest.
 */
import { errorText } from '../ops/errorText';
import type { Config } from '../config/schema';
import type { StudyAnalysis } from '../results/types';
import { buildSr, BuiltSr } from '../report/srDocument';
import { buildOru } from '../report/hl7Oru';
import { buildPictureObjects, BuiltSummary } from '../report/pictureObjects';
import type { StudyPictures } from '../report/pictures';
import { NewMessage, Outbox } from './outbox';

/** The destinations results go to (DICOMweb ones optional for callers that have none). */
export type ResultDestinations = Pick<Config['destinations'], 'dicom' | 'hl7'> & Partial<Pick<Config['destinations'], 'dicomweb'>>;

export type ResultSettings = Pick<Config, 'report' | 'hl7'> & { destinations: ResultDestinations };

export interface PlannedResults {
  sr: BuiltSr;
  /** Secondary Captures and/or the PDF (report.summary), from the pictures the worker drew. */
  pictures: BuiltSummary[];
  /** Why the pictures are missing although drawn (the rest is queued). */
  picturesError?: string;
  messages: NewMessage[];
}

/** The DICOM destinations a result object goes to: each, by C-STORE or by STOW-RS. */
const dicomDestinations = (settings: ResultSettings) => [...settings.destinations.dicom, ...(settings.destinations.dicomweb ?? [])];

export function planStudyResults(analysis: StudyAnalysis, settings: ResultSettings, pictures?: StudyPictures): PlannedResults {
  const sr = buildSr(analysis, {
    seriesNumber: settings.report.seriesNumber,
    seriesDescription: settings.report.seriesDescription,
    institutionName: settings.report.institutionName || undefined,
  });
  const drawn = planPictureObjects(analysis, settings, pictures);
  const study = { studyInstanceUid: analysis.study.studyInstanceUid, studyVersion: analysis.study.version };
  const messages: NewMessage[] = [];
  // Every DICOM result object goes to each DICOM destination, by C-STORE or by STOW-RS (kind
  // 'dicom' is the object; the transport looks the destination name up in either list).
  for (const d of dicomDestinations(settings)) {
    messages.push({ ...study, kind: 'dicom', destination: d.name, messageKey: sr.sopInstanceUid, description: 'Comprehensive 3D SR', payload: sr.bytes });
    messages.push(...drawn.messages.filter((m) => m.destination === d.name));
  }
  for (const d of settings.destinations.hl7) {
    const oru = buildOru(analysis, {
      sendingApplication: settings.hl7.sendingApplication,
      sendingFacility: settings.hl7.sendingFacility,
      receivingApplication: d.receivingApplication,
      receivingFacility: d.receivingFacility,
      patientIdAuthority: settings.hl7.patientIdAuthority,
      srSopInstanceUid: sr.sopInstanceUid,
    });
    messages.push({ ...study, kind: 'hl7', destination: d.name, messageKey: oru.controlId, description: 'ORU^R01', payload: Buffer.from(oru.text, 'utf8') });
  }
  return { sr, pictures: drawn.pictures, messages, ...(drawn.picturesError ? { picturesError: drawn.picturesError } : {}) };
}

/** The pictures' DICOM objects (report.summary) for every DICOM destination. */
export function planPictureObjects(analysis: StudyAnalysis, settings: ResultSettings, pictures?: StudyPictures): Omit<PlannedResults, 'sr'> {
  // Pictures are an extra: if they cannot be wrapped, the SR and the ORU still go.
  let objects: BuiltSummary[] = [];
  try {
    objects = buildPictureObjects(analysis, pictures, settings.report.summary, { seriesNumber: settings.report.seriesNumber + 1 });
  } catch (e) {
    return { pictures: [], messages: [], picturesError: `the pictures could not be made into DICOM objects: ${errorText(e)}` };
  }
  const study = { studyInstanceUid: analysis.study.studyInstanceUid, studyVersion: analysis.study.version };
  const messages = dicomDestinations(settings).flatMap((d) =>
    objects.map((o): NewMessage => ({ ...study, kind: 'dicom', destination: d.name, messageKey: o.sopInstanceUid, description: o.description, payload: o.bytes })),
  );
  return { pictures: objects, messages };
}

/** Builds the results of a study version and puts them in the outbox (idempotent per version). */
export async function enqueueStudyResults(outbox: Outbox, analysis: StudyAnalysis, settings: ResultSettings, pictures?: StudyPictures): Promise<PlannedResults & { newRowIds: number[] }> {
  const planned = planStudyResults(analysis, settings, pictures);
  return { ...planned, newRowIds: await outbox.enqueue(planned.messages) };
}

/** Puts the pictures' objects of a study version in the outbox, after its SR (idempotent per version). */
export async function enqueuePictureObjects(outbox: Outbox, analysis: StudyAnalysis, settings: ResultSettings, pictures: StudyPictures): Promise<Omit<PlannedResults, 'sr'> & { newRowIds: number[] }> {
  const planned = planPictureObjects(analysis, settings, pictures);
  return { ...planned, newRowIds: planned.messages.length > 0 ? await outbox.enqueue(planned.messages) : [] };
}
