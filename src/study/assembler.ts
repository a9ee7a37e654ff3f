/**
 * Study assembly: after each stored instance, decides whether its study is complete (readiness
 * rules in readiness.ts), keeps one quiet timer per receiving study for the stable age, records
 * "ready" durably in the index and then announces it. At start-up it picks up where the last run
 * stopped: receiving studies are judged again (some became ready while the node was down, others
 * get their timer back) and ready ones that nobody took up yet are announced again.
 */
import { EventEmitter } from 'node:events';
import { Logger } from '../ops/logger';
import { AuditLog } from '../ops/audit';
import { StudyIndex, VersionRef } from './studyIndex';
import { decideReadiness, missingImages, ReadinessDecision, WAIT_BY_DEFAULT, WaitPolicy } from './readiness';
import type { Retrieval } from './retrieval';
import { ListStudiesOptions, StudyCatalog, StudyInstance, StudyReadyEvent, StudyVersionSummary } from './types';
import { errorText } from '../ops/errorText';

export interface AssemblerOptions {
  stableAgeS: number;
  /** A study that lacks contours or images after its stable age: wait (default) or report. */
  waitPolicy?: WaitPolicy;
  /** Fetches referenced images that did not arrive (sources.dicom); absent = never. */
  retrieval?: Retrieval;
  logger: Logger;
  audit: AuditLog;
  now?: () => number;
  /**
   * Arrivals within this delay are judged together: a 1,000-slice series costs a few dozen
   * evaluations, not a thousand, and readiness still follows the last instance within a blink.
   */
  evaluationDelayMs?: number;
  /**
   * Nodes sharing a database: every this often, judge the receiving studies whose stable age has
   * passed according to the database (their due time), whichever node received them. The node
   * that held a study's quiet timer may have died; any other node then finishes the job. 0 = off.
   */
  sweepEveryMs?: number;
}

const RETRY_AFTER_ERROR_MS = 5000;

export class StudyAssembler implements StudyCatalog {
  private readonly events = new EventEmitter();
  private readonly quietTimers = new Map<string, NodeJS.Timeout>();
  private readonly evaluations = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  /** What each waiting study version was last logged and audited as waiting for (not again while it stays so). */
  private readonly waitingLogged = new Map<string, string>();
  private readonly now: () => number;
  private readonly stableAgeMs: number;
  private readonly evaluationDelayMs: number;
  private stopped = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly index: StudyIndex,
    private readonly options: AssemblerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.stableAgeMs = options.stableAgeS * 1000;
    this.evaluationDelayMs = options.evaluationDelayMs ?? 50;
    // A failing listener must not stop the others or the assembler.
    this.events.setMaxListeners(50);
  }

  /** Recovery at start-up; call after the ready listeners are registered. */
  async start(): Promise<{ receiving: number; announcedAgain: number }> {
    // Ready before this start (listed first: those the evaluation below makes ready are announced by it).
    const ready = await this.index.currentVersionsIn('ready');
    const receiving = await this.index.currentVersionsIn('receiving');
    // Waiting ones are judged again too: the configuration may now say report.
    const waiting = await this.index.currentVersionsIn('waiting');
    for (const r of [...receiving, ...waiting]) await this.evaluate(r.studyInstanceUid);
    if (this.options.sweepEveryMs) {
      this.sweeper = setInterval(() => void this.sweepDue(), this.options.sweepEveryMs);
      this.sweeper.unref();
    }
    for (const r of ready) {
      const study = await this.index.getStudy(r.studyInstanceUid, r.version);
      if (!study || study.readyReason === undefined) continue;
      this.announce({
        studyInstanceUid: r.studyInstanceUid,
        version: r.version,
        readyReason: study.readyReason,
        notes: study.notes,
        missingReferences: study.missingReferences,
        recovered: true,
      });
    }
    return { receiving: receiving.length, announcedAgain: ready.length };
  }

  /** An instance of this study was stored (or replaced, or repeated): judge the study soon. */
  instanceArrived(studyInstanceUid: string): void {
    if (this.stopped || this.evaluations.has(studyInstanceUid)) return;
    this.evaluations.set(
      studyInstanceUid,
      setTimeout(() => {
        this.evaluations.delete(studyInstanceUid);
        void this.evaluate(studyInstanceUid);
      }, this.evaluationDelayMs),
    );
  }

  /** Judges the receiving studies that are due (stable age passed since their last instance). Returns how many it judged. */
  async sweepDue(): Promise<number> {
    if (this.stopped) return 0;
    try {
      const now = this.now();
      const due = (await this.index.currentVersionsIn('receiving')).filter((r) => r.lastReceivedAt + this.stableAgeMs <= now && !this.evaluations.has(r.studyInstanceUid));
      for (const r of due) await this.evaluate(r.studyInstanceUid);
      return due.length;
    } catch (e) {
      this.options.logger.warn(`cannot look for studies due to be judged: ${errorText(e)}`);
      return 0;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const t of [...this.quietTimers.values(), ...this.evaluations.values()]) clearTimeout(t);
    this.quietTimers.clear();
    this.evaluations.clear();
  }

  onStudyReady(listener: (event: StudyReadyEvent) => void): () => void {
    const safe = (event: StudyReadyEvent) => {
      try {
        listener(event);
      } catch (e) {
        this.options.logger.error(`a study-ready listener failed: ${errorText(e)}`, { studyInstanceUid: event.studyInstanceUid, version: event.version });
      }
    };
    this.events.on('ready', safe);
    return () => this.events.off('ready', safe);
  }

  listStudies(options: ListStudiesOptions = {}): Promise<StudyVersionSummary[]> {
    return this.index.listStudies(options);
  }

  getStudy(studyInstanceUid: string, version?: number): Promise<StudyVersionSummary | undefined> {
    return this.index.getStudy(studyInstanceUid, version);
  }

  listInstances(studyInstanceUid: string, version: number): Promise<StudyInstance[]> {
    return this.index.listInstances(studyInstanceUid, version);
  }

  async markProcessing(studyInstanceUid: string, version: number): Promise<boolean> {
    return this.index.transition({ studyInstanceUid, version }, ['ready', 'failed', 'processing'], 'processing', undefined, this.now(), true);
  }

  async markDone(studyInstanceUid: string, version: number, outcome?: string): Promise<boolean> {
    const ok = await this.index.transition({ studyInstanceUid, version }, ['processing', 'ready'], 'done', outcome, this.now(), false);
    if (ok) this.options.audit.record({ event: 'study.processed', studyInstanceUid, status: `version ${version}`, reason: outcome });
    return ok;
  }

  async markFailed(studyInstanceUid: string, version: number, reason: string): Promise<boolean> {
    const ok = await this.index.transition({ studyInstanceUid, version }, ['processing', 'ready', 'failed'], 'failed', reason, this.now(), false);
    if (ok) {
      this.options.audit.record({ event: 'study.failed', studyInstanceUid, status: `version ${version}`, reason });
      this.options.logger.warn(`study processing failed: ${reason}`, { studyInstanceUid, version });
    }
    return ok;
  }

  /** Judges one study; runs of the same study never overlap. */
  private evaluate(studyInstanceUid: string): Promise<void> {
    const previous = this.running.get(studyInstanceUid) ?? Promise.resolve();
    const next = previous.then(() => this.evaluateNow(studyInstanceUid));
    this.running.set(studyInstanceUid, next);
    void next.finally(() => {
      if (this.running.get(studyInstanceUid) === next) this.running.delete(studyInstanceUid);
    });
    return next;
  }

  private async evaluateNow(studyInstanceUid: string): Promise<void> {
    if (this.stopped) return;
    this.clearQuietTimer(studyInstanceUid);
    try {
      const found = await this.index.readinessFacts(studyInstanceUid);
      if (!found) return; // not receiving: nothing to decide
      const decision = decideReadiness(found.facts, this.now(), this.stableAgeMs, this.options.waitPolicy ?? WAIT_BY_DEFAULT);
      const ref: VersionRef = { studyInstanceUid, version: found.version };
      const fetching = this.retrievalWait(decision, found.facts, ref);
      if (fetching) {
        await this.wait(ref, found.state, fetching.kind, fetching.reason, decision.ready ? decision.notes : 'notes' in decision ? decision.notes : []);
        return;
      }
      if (!decision.ready && 'checkAt' in decision) {
        this.setQuietTimer(studyInstanceUid, decision.checkAt - this.now());
        return;
      }
      if (!decision.ready) {
        await this.wait(ref, found.state, decision.waitingFor, decision.reason, decision.notes);
        return;
      }
      this.waitingLogged.delete(`${studyInstanceUid}#${found.version}`);
      // Only on the facts judged: an instance another node added since makes it judge again.
      const marked = await this.index.markReady({ ...ref, lastReceivedAt: found.facts.lastReceivedAt }, decision.reason, decision.notes, decision.missingReferences, this.now());
      if (!marked) {
        // Something arrived between the facts and the mark: judge again shortly.
        this.instanceArrived(studyInstanceUid);
        return;
      }
      const summary = await this.index.getStudy(studyInstanceUid, found.version);
      this.options.audit.record({
        event: 'study.ready',
        studyInstanceUid,
        reason: decision.reason,
        count: summary?.instanceCount,
        status: `version ${found.version}`,
      });
      this.options.logger.info(
        decision.reason === 'references-complete' ? 'study ready: every image its RTSTRUCT references has arrived' : `study ready: nothing new for the stable age (${this.options.stableAgeS} s)`,
        {
          studyInstanceUid,
          version: found.version,
          instances: summary?.instanceCount,
          series: summary?.seriesCount,
          ...(decision.notes.length > 0 ? { notes: decision.notes } : {}),
        },
      );
      this.announce({
        studyInstanceUid,
        version: found.version,
        readyReason: decision.reason,
        notes: decision.notes,
        missingReferences: decision.missingReferences,
        recovered: false,
      });
    } catch (e) {
      this.options.logger.error(`judging whether study ${studyInstanceUid} is complete failed: ${errorText(e)}; trying again in ${RETRY_AFTER_ERROR_MS / 1000} s`);
      this.setQuietTimer(studyInstanceUid, RETRY_AFTER_ERROR_MS);
    }
  }

  /**
   * With sources configured, a study whose RTSTRUCT references images that did not come waits
   * for their retrieval instead of being processed without them: while it runs (whatever the
   * quiet time says), and after it when the sources could not provide them.
   */
  private retrievalWait(decision: ReadinessDecision, facts: Parameters<typeof missingImages>[0], ref: VersionRef): { kind: string; reason: string } | undefined {
    const retrieval = this.options.retrieval;
    if (!retrieval?.configured || (decision.ready && decision.reason === 'references-complete')) return undefined;
    const state = retrieval.state(ref.studyInstanceUid, ref.version);
    if (state?.kind === 'running' || state?.kind === 'retry') return { kind: 'retrieving', reason: state.reason };
    const lacksImages = (decision.ready && decision.missingReferences.length > 0) || (!decision.ready && 'waitingFor' in decision && decision.waitingFor === 'images');
    if (!lacksImages) return undefined;
    const missing = missingImages(facts);
    if (!state) {
      const started = retrieval.start(ref.studyInstanceUid, ref.version, missing);
      return { kind: 'retrieving', reason: 'reason' in started ? started.reason : 'retrieving' };
    }
    if (state.kind === 'finished') {
      const reason = `waiting for images: ${state.source} answered the retrieval, but ${missing.missing} of the ${missing.referenced} images the RTSTRUCT references are still missing (the PACS does not hold them?)`;
      retrieval.giveUp(ref.studyInstanceUid, ref.version, reason);
      return { kind: 'images', reason };
    }
    return { kind: 'images', reason: state.reason };
  }

  /** Records the version as waiting; logs and audits it when what it waits for changed. */
  private async wait(ref: VersionRef, state: string, kind: string, reason: string, notes: string[]): Promise<void> {
    // No timer: a new instance, a retrieval's progress or a restart under another policy changes this.
    if (!(await this.index.markWaiting(ref, reason, notes, this.now()))) {
      this.instanceArrived(ref.studyInstanceUid);
      return;
    }
    const key = `${ref.studyInstanceUid}#${ref.version}`;
    if (this.waitingLogged.get(key) === kind || (state === 'waiting' && !this.waitingLogged.has(key) && kind !== 'retrieving')) return;
    this.waitingLogged.set(key, kind);
    this.options.audit.record({ event: 'study.waiting', studyInstanceUid: ref.studyInstanceUid, status: `version ${ref.version}`, reason: kind });
    this.options.logger.info(`study ${reason}`, { studyInstanceUid: ref.studyInstanceUid, version: ref.version, ...(notes.length > 0 ? { notes } : {}) });
  }

  /** Judges a study again now (a retrieval made progress or ended). */
  recheck(studyInstanceUid: string): void {
    if (!this.stopped) void this.evaluate(studyInstanceUid);
  }

  private announce(event: StudyReadyEvent): void {
    this.events.emit('ready', event);
  }

  private setQuietTimer(studyInstanceUid: string, delayMs: number): void {
    if (this.stopped) return;
    this.clearQuietTimer(studyInstanceUid);
    this.quietTimers.set(
      studyInstanceUid,
      setTimeout(() => {
        this.quietTimers.delete(studyInstanceUid);
        void this.evaluate(studyInstanceUid);
      }, Math.max(0, delayMs) + 5),
    );
  }

  private clearQuietTimer(studyInstanceUid: string): void {
    const t = this.quietTimers.get(studyInstanceUid);
    if (t) {
      clearTimeout(t);
      this.quietTimers.delete(studyInstanceUid);
    }
  }
}
