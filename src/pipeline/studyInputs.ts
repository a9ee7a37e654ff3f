/**
 * Which files of a received study version the analysis uses (pure): the CT images and one
 * RTSTRUCT. A study the pipeline cannot use comes back as problems in words, for the SR, the ORU
 * and `cd8-node status`.
 */
import { CT_IMAGE_CLASSES, SopClass } from '../dicom/uids';
import type { StudyInstance } from '../study/types';
import type { StudyProblem } from '../results/types';

export interface StudyInputs {
  ctFiles: string[];
  rtstructFile: string;
  /** Other RTSTRUCTs of the study, not analysed (with why). */
  notes: string[];
}

export type InputChoice = { ok: true; inputs: StudyInputs } | { ok: false; problems: StudyProblem[]; anyFile: string | undefined };

export function chooseInputs(instances: readonly StudyInstance[]): InputChoice {
  // Classic, Enhanced and Legacy Converted Enhanced CT: the loader splits multi-frame objects into slices.
  const ct = instances.filter((i) => CT_IMAGE_CLASSES.has(i.sopClassUid));
  const structures = instances.filter((i) => i.sopClassUid === SopClass.RtStructureSetStorage);
  const anyFile = (structures[0] ?? ct[0] ?? instances[0])?.path;
  const problems: StudyProblem[] = [];
  if (ct.length === 0) problems.push({ code: 'no-ct', message: 'the study has no CT image: send the CT series the RTSTRUCT was drawn on.' });
  if (structures.length === 0) problems.push({ code: 'no-rtstruct', message: 'the study has no RTSTRUCT: send the RT Structure Set with the lesion contours.' });
  if (problems.length > 0) return { ok: false, problems, anyFile };

  // The newest RTSTRUCT that references a frame of reference of the received CT; else the newest.
  const ctFrames = new Set(ct.map((i) => i.frameOfReferenceUid).filter((f): f is string => !!f));
  const byNewest = [...structures].sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());
  const chosen = byNewest.find((s) => s.rtstruct?.frameOfReferenceUids.some((f) => ctFrames.has(f))) ?? byNewest[0];
  const notes = byNewest
    .filter((s) => s !== chosen)
    .map((s) => `RTSTRUCT ${s.sopInstanceUid} was not analysed: RTSTRUCT ${chosen.sopInstanceUid} is newer or matches the CT's frame of reference.`);
  return { ok: true, inputs: { ctFiles: ct.map((i) => i.path), rtstructFile: chosen.path, notes } };
}
