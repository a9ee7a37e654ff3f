/**
 * Studies as the node's operators see them (`cd8-node status` and the web console): their state
 * in words, what was received, and the outcome of their analysis, with the Patient ID hashed as
 * in the logs.
 */
import type { ListStudiesOptions, StudyCatalog, StudyVersionSummary } from '../study/types';
import type { StudyAnalysis } from '../results/types';
import type { SqliteDatabase } from '../store/database';
import { hashedId } from './logger';
import { readAnalysis } from '../results/resultStore';

/** Local time as "YYYY-MM-DD HH:MM:SS". */
export function clock(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A study as status shows it: the Patient ID hashed as in the text output and the logs. */
export type StudyStatus = Omit<StudyVersionSummary, 'patientId'> & {
  patient: string;
  analysis?: Pick<StudyAnalysis, 'status' | 'lesions' | 'summary' | 'problems' | 'signature'>;
};

/** The state of a version in one line; states this code does not know yet are shown by name. */
export function stateLine(s: Pick<StudyVersionSummary, 'state' | 'lastReceivedAt' | 'readyReason' | 'readyAt' | 'updatedAt' | 'reason'>): string {
  switch (s.state) {
    case 'receiving':
      return `receiving (last instance ${clock(s.lastReceivedAt)})`;
    case 'waiting':
      // The reason says what for: contours, its CT, or the retrieval's progress.
      return `${s.reason ?? 'waiting'} (since ${clock(s.updatedAt)}, last instance ${clock(s.lastReceivedAt)})`;
    case 'ready': {
      const why = s.readyReason === 'references-complete' ? 'every image its RTSTRUCT references has arrived' : 'nothing new arrived for the stable age';
      return `ready since ${s.readyAt ? clock(s.readyAt) : '?'} (${why})`;
    }
    case 'processing':
      return `processing since ${clock(s.updatedAt)}`;
    case 'done':
      return `done ${clock(s.updatedAt)}${s.reason ? `: ${s.reason}` : ''}`;
    case 'failed':
      return `failed ${clock(s.updatedAt)}: ${s.reason ?? 'no reason recorded'}`;
    default:
      return `${String(s.state)} since ${clock(s.updatedAt)}${s.reason ? `: ${s.reason}` : ''}`;
  }
}

/** The most recently active studies with their analyses (lesion features and outlines left out). */
export async function studyStatuses(catalog: Pick<StudyCatalog, 'listStudies'>, db: SqliteDatabase, options: ListStudiesOptions): Promise<StudyStatus[]> {
  const studies = await catalog.listStudies(options);
  return studies.map(({ patientId, ...s }): StudyStatus => {
    // Identity stays out: status output is shared with people who need no patient names or IDs.
    const study = { ...s, patient: hashedId(patientId) };
    const a = readAnalysis(db, s.studyInstanceUid, s.version);
    if (!a) return study;
    const lesions = a.lesions.map((l) => ({ ...l, features: undefined, outline: undefined }));
    return { ...study, analysis: { status: a.status, lesions, summary: a.summary, problems: a.problems, signature: a.signature } };
  });
}
