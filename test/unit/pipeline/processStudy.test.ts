/**
 * The order of a job's results: the SR and ORU are queued as soon as the analysis is scored, the
 * pictures after they are drawn. A node that dies in between loses nothing: the job runs again and
 * the outbox (durable, keyed per study version) adds only the pictures.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { studyProcessor } from '../../../src/pipeline/processStudy';
import { loadScoringSetup } from '../../../src/pipeline/setup';
import { renderStudyPictures, StudyPictures } from '../../../src/report/pictures';
import { enqueuePictureObjects, enqueueStudyResults } from '../../../src/outbox/plan';
import { SopClass } from '../../../src/dicom/uids';
import type { Job } from '../../../src/jobs/queue';
import type { StudyCatalog, StudyInstance } from '../../../src/study/types';
import type { StudyAnalysis } from '../../../src/results/types';
import type { AnalysisOutcome } from '../../../src/pipeline/runAnalysis';
import { silentLogger } from '../../../src/ops/logger';
import { defaultConfig, dicomDestination, hl7Destination, openTestStorage, tempDataDir } from '../../support/delivery';
import { scoredStudy } from '../../support/studyFixtures';

const analysis = scoredStudy();
const uid = analysis.study.studyInstanceUid;
let pictures: StudyPictures;
beforeAll(async () => {
  pictures = await renderStudyPictures(analysis, [], { ...defaultConfig().report.pictures, ringOuterMm: 5 }, false);
});

const instance = (sopClassUid: string, n: number): StudyInstance => ({
  sopInstanceUid: `1.2.3.${n}`,
  sopClassUid,
  seriesInstanceUid: '1.2.3',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  path: `/nowhere/${n}.dcm`,
  size: 1,
  datasetOffset: 0,
  receivedAt: new Date(0),
  callingAeTitle: 'PACS',
});

/** A catalog of one ready study version that records what the processor says of it. */
function catalog(states: string[]): StudyCatalog {
  return {
    onStudyReady: () => () => undefined,
    listStudies: async () => [],
    getStudy: async () => undefined,
    listInstances: async () => [instance(SopClass.CtImageStorage, 1), instance(SopClass.RtStructureSetStorage, 2)],
    markProcessing: async () => (states.push('processing'), true),
    markDone: async () => (states.push('done'), true),
    markFailed: async (_s, _v, reason) => (states.push(`failed: ${reason}`), true),
  };
}

const job = (attempts: number): Job => ({ id: 1, studyInstanceUid: uid, version: analysis.study.version, state: 'running', attempts, lastError: null, notBefore: 0, createdAt: 0, updatedAt: 0, node: null, leaseUntil: null });

test('the SR and ORU are queued before the pictures are drawn; a job that dies in between queues only the pictures when it runs again', async () => {
  const dataDir = tempDataDir();
  const storage = await openTestStorage(dataDir);
  const config = defaultConfig();
  config.storage.dataDir = dataDir;
  config.destinations.dicom = [dicomDestination('pacs', 'PACS', 104)];
  config.destinations.hl7 = [hl7Destination('ris', 2575)];
  const states: string[] = [];
  const rowsAtScore: string[][] = [];
  let dies = true;
  const analyse = async (_job: unknown, onScored: (a: StudyAnalysis) => void): Promise<AnalysisOutcome> => {
    onScored(analysis);
    // What the outbox holds while the pictures are being drawn.
    await new Promise((r) => setTimeout(r, 50));
    rowsAtScore.push((await storage.outbox.forStudy(uid)).map((r) => r.description));
    if (dies) throw new Error('the analysis worker stopped (exit code 1) before answering');
    return { analysis, pictures };
  };
  const process = studyProcessor({
    config,
    catalog: catalog(states),
    results: storage.results,
    deliver: (a) => enqueueStudyResults(storage.outbox, a, config),
    deliverPictures: (a, p) => enqueuePictureObjects(storage.outbox, a, config, p),
    analyse,
    setup: loadScoringSetup(config),
    logger: silentLogger(),
    maxAttempts: 3,
  });
  try {
    await expect(process(job(1))).rejects.toThrow(/before answering/);
    expect(rowsAtScore[0]).toEqual(['Comprehensive 3D SR', 'ORU^R01']);
    expect(states).toEqual(['processing', expect.stringMatching(/^failed: attempt 1 of 3 failed/)]);
    expect(await storage.results.get(uid, analysis.study.version)).toBeDefined();

    dies = false;
    await process(job(2));
    expect(states.slice(2)).toEqual(['processing', 'done']);
    // Each object once: the SR and ORU of the first attempt, the summary page's Secondary Capture of the second.
    const rows = await storage.outbox.forStudy(uid);
    expect(rows.map((r) => r.description)).toEqual(['Comprehensive 3D SR', 'ORU^R01', 'Secondary Capture: summary page']);
    expect(new Set(rows.map((r) => r.messageKey)).size).toBe(3);
    // The console's copy of the pictures.
    expect(existsSync(join(dataDir, 'pictures', uid, String(analysis.study.version), 'summary.png'))).toBe(true);
  } finally {
    await storage.close();
  }
});
