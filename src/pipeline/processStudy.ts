/**
 * One job: a ready study version → its analysis → SR and ORU queued for delivery → pictures drawn,
 * saved and queued → study done. The SR and ORU go first: the pictures (key images, summary page,
 * PDF) take a few hundred ms more to draw and the SR does not reference them, so a PACS user gets
 * the result as soon as it exists and the pictures in the same study moments later. The job is
 * done only when everything is queued: a node that dies in between runs the job again at its next
 * start, and the outbox (keyed by SOP Instance UID / Message Control ID) adds only what is missing.
 * A study that cannot be scored is still answered (the SR and ORU say why) and shown in status;
 * only an internal failure leaves it failed (after the queue's retries).
 */
import type { Config } from '../config/schema';
import type { Logger } from '../ops/logger';
import type { NodeMetrics } from '../ops/metrics';
import type { Job } from '../jobs/queue';
import type { StudyCatalog } from '../study/types';
import type { StudyAnalysis } from '../results/types';
import { outcomeLine, signatureKey } from '../results/resultStore';
import type { ResultStore } from '../results/resultStore';
import { unscorableStudy } from '../cd8/scoreStudy';
import { chooseInputs } from './studyInputs';
import { readIdentity } from './analyseFiles';
import { AnalysisJob, AnalysisOutcome, AnalysisStoppedError } from './runAnalysis';
import type { StudyPictures } from '../report/pictures';
import { savePictures } from '../results/pictureFiles';
import type { LoadedSetup } from './setup';
import { errorText } from '../ops/errorText';

export interface StudyProcessorDeps {
  config: Config;
  catalog: StudyCatalog;
  results: ResultStore;
  /** Queues the SR and the ORU of an analysis (the outbox). */
  deliver: (analysis: StudyAnalysis) => Promise<unknown>;
  /** Queues the pictures of an analysis whose SR is queued (report.summary). */
  deliverPictures: (analysis: StudyAnalysis, pictures: StudyPictures) => Promise<unknown>;
  /**
   * Runs the analysis of a usable study (in a worker thread in the node): `onScored` gets the
   * analysis as soon as it is scored, then the pictures are drawn and the outcome resolves.
   */
  analyse: (job: AnalysisJob, onScored: (analysis: StudyAnalysis) => void) => Promise<AnalysisOutcome>;
  /** Signature and settings, loaded at start-up (for the answer to an unusable study). */
  setup: LoadedSetup;
  logger: Logger;
  metrics?: NodeMetrics;
  maxAttempts: number;
}

const secondsSince = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
/** Seconds as the log shows them. */
const logSeconds = (s: number) => Number(s.toFixed(2));

export function studyProcessor(d: StudyProcessorDeps): (job: Job) => Promise<void> {
  return async (job) => {
    const { studyInstanceUid, version } = job;
    const meta = { studyInstanceUid, version, job: job.id };
    if (!(await d.catalog.markProcessing(studyInstanceUid, version))) {
      d.logger.info('job dropped: the study version is receiving again or a newer version superseded it', meta);
      return;
    }
    const started = process.hrtime.bigint();
    try {
      const instances = await d.catalog.listInstances(studyInstanceUid, version);
      const run = { version, cohortScores: await d.results.cohortScores(signatureKey(d.setup.signature), studyInstanceUid), analysedAt: new Date().toISOString() };
      const choice = chooseInputs(instances);
      /** The analysis saved and its SR and ORU queued: before the pictures, which the SR does not need. */
      const publish = async (a: StudyAnalysis) => {
        await d.results.save(a);
        await d.deliver(a);
        d.logger.info(`study scored, SR and ORU queued: ${outcomeLine(a)}`, { ...meta, seconds: logSeconds(secondsSince(started)) });
      };
      let analysis: StudyAnalysis;
      if (choice.ok) {
        let published: Promise<void> | undefined;
        const outcome = await d.analyse({ ctFiles: choice.inputs.ctFiles, rtstructFile: choice.inputs.rtstructFile, config: d.config, run }, (a) => {
          published = publish(a);
          // Awaited below; until then a failure must not count as unhandled.
          published.catch(() => undefined);
        });
        analysis = outcome.analysis;
        await (published ?? publish(analysis));
        for (const note of choice.inputs.notes) d.logger.warn(note, meta);
        if (outcome.picturesError) d.logger.warn(`${outcome.picturesError}; the SR and ORU are sent without them`, meta);
        const { pictures } = outcome;
        if (pictures) {
          try {
            savePictures(d.config.storage.dataDir, studyInstanceUid, version, pictures);
          } catch (e) {
            d.logger.warn(`the pictures could not be saved for the web page: ${errorText(e)}`, meta);
          }
          await d.deliverPictures(analysis, pictures);
        }
      } else {
        // Without a CT or an RTSTRUCT there is nothing to draw: the SR and the ORU say why.
        const identity = await readIdentity(instances.map((i) => i.path));
        analysis = unscorableStudy(identity, choice.problems, d.setup, run);
        await publish(analysis);
      }
      const outcome = outcomeLine(analysis);
      await d.catalog.markDone(studyInstanceUid, version, outcome);
      const seconds = secondsSince(started);
      d.metrics?.processingSeconds.observe(seconds);
      d.metrics?.studiesProcessed.inc({ outcome: analysis.status });
      // The CT images used (decoded): the loader decodes only the slices around the lesions.
      const ctImagesDecoded = analysis.evidence?.ct.instances.length ?? 0;
      d.logger.info(`study processed: ${outcome}`, { ...meta, seconds: logSeconds(seconds), lesions: analysis.lesions.length, ctImagesDecoded });
    } catch (e) {
      // Stopped by the node's shutdown: the job was handed back and runs again at the next start,
      // so the study stays "processing" instead of showing a failure that is none.
      if (e instanceof AnalysisStoppedError) throw e;
      const message = errorText(e);
      d.metrics?.studiesProcessed.inc({ outcome: 'failed' });
      d.metrics?.noteError();
      const last = job.attempts >= d.maxAttempts;
      await d.catalog.markFailed(
        studyInstanceUid,
        version,
        last ? `processing failed after ${job.attempts} attempt(s): ${message}` : `attempt ${job.attempts} of ${d.maxAttempts} failed (${message}); it will be retried`,
      );
      throw e;
    }
  };
}
