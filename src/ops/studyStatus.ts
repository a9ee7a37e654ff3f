/**
 * Studies and nodes as the node's operators see them (`cd8-node status` and the web console):
 * a study's state in words, what was received, and the outcome of its analysis, with the Patient
 * ID hashed as in the logs; and, on a shared database, the nodes with their heartbeats and jobs.
 */
import type { ListStudiesOptions, StudyCatalog, StudyVersionSummary } from '../study/types';
import type { StudyAnalysis } from '../results/types';
import type { ResultStore } from '../results/resultStore';
import type { Storage } from '../db/storage';
import { hashedId } from './logger';
import { isAlive, NodeInfo } from './cluster';

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
export async function studyStatuses(catalog: Pick<StudyCatalog, 'listStudies'>, results: Pick<ResultStore, 'get'>, options: ListStudiesOptions): Promise<StudyStatus[]> {
  const studies = await catalog.listStudies(options);
  const out: StudyStatus[] = [];
  for (const { patientId, ...s } of studies) {
    // Identity stays out: status output is shared with people who need no patient names or IDs.
    const study = { ...s, patient: hashedId(patientId) };
    const a = await results.get(s.studyInstanceUid, s.version);
    if (!a) {
      out.push(study);
      continue;
    }
    const lesions = a.lesions.map((l) => ({ ...l, features: undefined, outline: undefined }));
    out.push({ ...study, analysis: { status: a.status, lesions, summary: a.summary, problems: a.problems, signature: a.signature } });
  }
  return out;
}

/** A node sharing the database, with the jobs it runs. */
export type NodeStatus = NodeInfo & { alive: boolean; runningJobs: number };

/** The nodes that share the database; none for an embedded SQLite node (it is the only one). */
export async function clusterNodes(storage: Pick<Storage, 'engine' | 'jobs' | 'cluster'>, now = Date.now()): Promise<NodeStatus[]> {
  if (storage.engine !== 'postgres') return [];
  const running = await storage.jobs.runningPerNode().catch(() => ({}) as Record<string, number>);
  return (await storage.cluster.nodes()).map((n) => ({ ...n, alive: isAlive(n, now), runningJobs: running[n.nodeId] ?? 0 }));
}

/** A node's state in words: alive (last heartbeat), stopped, or silent since its last heartbeat. */
export function nodeStateLine(n: NodeStatus): string {
  if (n.alive) return `alive, last heartbeat ${clock(new Date(n.lastSeenAt))}`;
  return n.stoppedAt !== null ? `stopped ${clock(new Date(n.stoppedAt))}` : `silent since ${clock(new Date(n.lastSeenAt))}`;
}
