/**
 * Fetching what is missing: when an RTSTRUCT references CT images that have not arrived by the
 * stable age, the configured PACS are asked, in order, to send the series the RTSTRUCT names
 * (C-MOVE to our own AE title; the images come in through the listener like any other). One
 * retrieval per study version at a time; a failed one is tried again with backoff, up to a
 * number of attempts, after which the study waits with the last reason. What each study is
 * doing is kept here (in memory: after a restart, waiting studies are judged again and a
 * retrieval starts afresh) for the assembler to show in the study's state.
 */
import type { Logger } from '../ops/logger';
import type { AuditLog } from '../ops/audit';
import type { MoveOutcome, MoveProgress, MoveQuery } from '../dicom/moveScu';

/** One PACS, as the retrieval uses it (the DIMSE edge is bound in main). */
export interface RetrievalSource {
  name: string;
  move(query: MoveQuery, onProgress: (p: MoveProgress) => void): Promise<MoveOutcome>;
}

/** What the study lacks, from the readiness facts. */
export interface MissingImages {
  /** Series its RTSTRUCTs reference (RT Referenced Series); empty = move the whole study. */
  seriesUids: string[];
  referenced: number;
  missing: number;
}

export type RetrievalState =
  | { kind: 'running'; reason: string }
  | { kind: 'retry'; reason: string }
  /** Every source answered and the images should be here: if they are not, the study waits (the sources lack them). */
  | { kind: 'finished'; source: string }
  | { kind: 'gave-up'; reason: string };

export interface RetrievalOptions {
  maxAttempts: number;
  /** Wait before attempt n + 1 after n failed ones. */
  backoffMs(failedAttempts: number): number;
  logger: Logger;
  audit: AuditLog;
  /** The state of a study changed: judge it again (the assembler's evaluation). */
  onChange(studyInstanceUid: string): void;
  /** Progress updates reach onChange at most this often. */
  progressEveryMs?: number;
  /** Retrievals that talk to the PACS at once (default MAX_CONCURRENT_RETRIEVALS); the others queue. */
  maxConcurrent?: number;
}

interface Entry {
  state: RetrievalState;
  attempts: number;
  timer?: NodeJS.Timeout;
  lastProgressAt: number;
}

/** Retrievals remembered (running ones always are). */
const MAX_REMEMBERED = 10_000;
/**
 * Retrievals at once: a burst of RTSTRUCTs (or a restart with many waiting studies, each judged
 * again) must not open an association per study to the PACS at the same moment.
 */
export const MAX_CONCURRENT_RETRIEVALS = 2;

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export class Retrieval {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;
  private active = 0;
  private readonly queued: Array<() => void> = [];

  constructor(
    private readonly sources: readonly RetrievalSource[],
    private readonly options: RetrievalOptions,
  ) {}

  get configured(): boolean {
    return this.sources.length > 0;
  }

  state(studyInstanceUid: string, version: number): RetrievalState | undefined {
    return this.entries.get(`${studyInstanceUid}#${version}`)?.state;
  }

  /** Retrievals by state (the cd8_retrievals gauge). */
  counts(): Record<RetrievalState['kind'], number> {
    const counts = { running: 0, retry: 0, finished: 0, 'gave-up': 0 };
    for (const e of this.entries.values()) counts[e.state.kind]++;
    return counts;
  }

  /** The sources answered but the images are still missing: the study waits with this reason. */
  giveUp(studyInstanceUid: string, version: number, reason: string): void {
    const e = this.entries.get(`${studyInstanceUid}#${version}`);
    if (e) e.state = { kind: 'gave-up', reason };
  }

  /** Starts the retrieval of a study version's missing images (once; later calls do nothing). */
  start(studyInstanceUid: string, version: number, missing: MissingImages): RetrievalState {
    const key = `${studyInstanceUid}#${version}`;
    const existing = this.entries.get(key);
    if (existing) return existing.state;
    const entry: Entry = { state: { kind: 'running', reason: this.requested(missing) }, attempts: 0, lastProgressAt: 0 };
    this.forgetOldest();
    this.entries.set(key, entry);
    void this.attempt(studyInstanceUid, version, missing, entry);
    return entry.state;
  }

  /** Memory stays bounded over months: the oldest ended retrievals are forgotten (their studies were judged). */
  private forgetOldest(): void {
    if (this.entries.size < MAX_REMEMBERED) return;
    for (const [key, e] of this.entries) {
      if (e.state.kind === 'finished' || e.state.kind === 'gave-up') this.entries.delete(key);
      if (this.entries.size < MAX_REMEMBERED * 0.9) return;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) clearTimeout(e.timer);
  }

  private requested(missing: MissingImages): string {
    return `retrieving ${missing.missing} missing image${missing.missing === 1 ? '' : 's'} from ${this.sources.map((s) => s.name).join(' or ')} (retrieval requested)`;
  }

  /** One attempt, once one of the maxConcurrent slots is free (handed on in arrival order). */
  private async attempt(studyInstanceUid: string, version: number, missing: MissingImages, entry: Entry): Promise<void> {
    if (this.active >= (this.options.maxConcurrent ?? MAX_CONCURRENT_RETRIEVALS)) await new Promise<void>((r) => this.queued.push(r));
    else this.active++;
    try {
      await this.attemptNow(studyInstanceUid, version, missing, entry);
    } finally {
      const next = this.queued.shift();
      if (next) next();
      else this.active--;
    }
  }

  private async attemptNow(studyInstanceUid: string, version: number, missing: MissingImages, entry: Entry): Promise<void> {
    if (this.stopped) return;
    entry.attempts++;
    entry.state = { kind: 'running', reason: this.requested(missing) };
    const meta = { studyInstanceUid, version, attempt: entry.attempts };
    const failures: string[] = [];
    for (const source of this.sources) {
      const queries: MoveQuery[] = missing.seriesUids.length > 0 ? missing.seriesUids.map((s) => ({ studyInstanceUid, seriesInstanceUid: s })) : [{ studyInstanceUid }];
      this.options.logger.info(`retrieving the missing images of a study from ${source.name}: C-MOVE of ${queries.length === 1 && !queries[0].seriesInstanceUid ? 'the study' : `${queries.length} series`}`, { ...meta, missing: missing.missing, referenced: missing.referenced });
      let failed: string | undefined;
      let moved = 0;
      for (const query of queries) {
        const outcome = await source.move(query, (p) => {
          const total = p.remaining + p.completed + p.failed + p.warning;
          entry.state = { kind: 'running', reason: `retrieving ${p.completed + p.warning} of ${total} images from ${source.name}` };
          const now = Date.now();
          if (now - entry.lastProgressAt >= (this.options.progressEveryMs ?? 1000)) {
            entry.lastProgressAt = now;
            this.options.onChange(studyInstanceUid);
          }
        });
        if (this.stopped) return;
        if (!outcome.ok) {
          failed = outcome.message;
          break;
        }
        moved += outcome.progress.completed + outcome.progress.warning;
        if (outcome.warning) this.options.logger.warn(outcome.warning, meta);
      }
      if (failed === undefined) {
        this.options.logger.info(`retrieval from ${source.name} finished: ${moved} image${moved === 1 ? '' : 's'} sent`, meta);
        this.options.audit.record({ event: 'retrieval.done', studyInstanceUid, destination: source.name, count: moved, status: `version ${version}` });
        entry.state = { kind: 'finished', source: source.name };
        this.options.onChange(studyInstanceUid);
        return;
      }
      failures.push(failed);
      this.options.logger.warn(`retrieval from ${source.name} failed: ${failed}`, meta);
      this.options.audit.record({ event: 'retrieval.failed', studyInstanceUid, destination: source.name, reason: failed, status: `version ${version}` });
    }
    const why = failures.join('; ');
    if (entry.attempts >= this.options.maxAttempts) {
      entry.state = { kind: 'gave-up', reason: `waiting for images: the retrieval failed ${entry.attempts} time${entry.attempts === 1 ? '' : 's'}; last: ${why}` };
      this.options.logger.warn(`gave up retrieving the missing images after ${entry.attempts} attempt(s); the study waits`, meta);
    } else {
      const delay = this.options.backoffMs(entry.attempts);
      entry.state = { kind: 'retry', reason: `waiting for images: retrieval attempt ${entry.attempts} of ${this.options.maxAttempts} failed (${why}); next at ${time(Date.now() + delay)} UTC` };
      entry.timer = setTimeout(() => void this.attempt(studyInstanceUid, version, missing, entry), delay);
    }
    this.options.onChange(studyInstanceUid);
  }
}
