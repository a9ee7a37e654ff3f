/**
 * One peer connection of the DICOM listener, from TCP accept to close: association policy and
 * negotiation, C-ECHO, C-STORE streamed to the spool, release and abort, and the timers that keep
 * a stuck peer from holding the node (ARTIM before the association request and after release or
 * reject; idle once established). Every outcome goes to the audit trail and the operational log.
 */
import type { Socket } from 'node:net';
import { association as dimseAssociation, constants, Scp } from 'dcmjs-dimse';
import { AuditLog } from '../ops/audit';
import type { Logger } from '../ops/logger';
import type { IdHasher } from '../ops/idHash';
import { AssociationPolicy, RejectReason, RejectResult, RejectSource, temporarilyUnavailable } from './scpPolicy';
import { ContextAnswer, negotiateContexts } from './scpNegotiation';
import { CommandField, CommandSet, NO_DATASET, parseCommandSet, responsePdu } from './dimse';
import { SopClass, sopClassName, STORAGE_CLASSES, transferSyntaxName } from './uids';
import { InstanceReceiver, isRefusal, PendingInstance, ReceivedInstance, refusedBeforeData, storedAuditEvent } from './receive';
import { DimseStatus, statusHex, storeStatusFor } from './status';
import { errorText } from '../ops/errorText';
import { normaliseAddress } from '../ops/ipAddress';
import { TlsPeer } from './scpTls';
import { associateAcPdu, prepareAccept } from './scpAccept';
import { Pdu, PduAbortReason, PduError, PduReader, PduType, PdvParts, readPdvParts } from './pduReader';

type Association = dimseAssociation.Association;

/** dcmjs-dimse's reader of one whole PDU (association layer); not in its type declarations. */
interface LibraryNetwork {
  _processPdu(pdu: Buffer): Promise<void>;
}


interface Incoming<T extends ReceivedInstance> {
  pcId: number;
  command: CommandSet;
  pending: PendingInstance<T>;
}

/** A request the listener itself answers with an error status, before the store sees it. */
class ListenerRefusal extends Error {
  override readonly name = 'ListenerRefusal';
  constructor(
    readonly status: number,
    readonly comment: string,
    message: string,
  ) {
    super(message);
  }
}


const { PresentationContextResult, AbortSource, AbortReason } = constants;

type Refusal = Exclude<ContextAnswer['result'], 'accept'>;
const CONTEXT_RESULT: Record<Refusal, number> = {
  'abstract-syntax-not-supported': PresentationContextResult.RejectAbstractSyntaxNotSupported,
  'transfer-syntaxes-not-supported': PresentationContextResult.RejectTransferSyntaxesNotSupported,
  'user-rejection': PresentationContextResult.RejectUser,
};
const CONTEXT_REFUSAL: Record<Refusal, string> = {
  'abstract-syntax-not-supported': 'SOP class not supported',
  'transfer-syntaxes-not-supported': 'no transfer syntax we can decode',
  'user-rejection': 'only Verification is open to our own AE title unlisted',
};

/** The largest PDU we ask peers to send: fewer, bigger PDUs cost less per byte to take apart. */
export const RECEIVE_MAX_PDU = 262144;
/** Largest A-ASSOCIATE-RQ we read: a real one is a few kilobytes even with 128 contexts. */
export const MAX_ASSOCIATE_PDU = 64 * 1024;
/** Largest command set (a C-STORE-RQ is about 200 bytes). */
const MAX_COMMAND_SET = 64 * 1024;
/** While a dataset is arriving, each this many bytes count as progress for the idle rule. */
export const DATASET_PROGRESS_BYTES = 1024 * 1024;

export interface AssociationEnvironment<T extends ReceivedInstance = ReceivedInstance> {
  policy: AssociationPolicy;
  store: InstanceReceiver<T>;
  logger: Logger;
  audit: AuditLog;
  /** Hashes the Patient ID for the log (ops/idHash). */
  hashId: IdHasher;
  artimMs: number;
  idleMs: number;
  /** A PDU must be complete this long after its first byte. */
  pduMs: number;
  /** The connection came over TLS: what its certificate says. */
  tls?: TlsPeer;
  /** Associations currently established (for the limit). */
  activeAssociations(): number;
  /** Associations currently established from one address (for the per-host limit). */
  activeFromHost(address: string): number;
  associationStarted(connection: PeerConnection<T>): void;
  associationEnded(connection: PeerConnection<T>): void;
  /** Called after Success was answered. */
  onStored(instance: T): void;
  /** Why the node cannot take associations now (e.g. its database is unreachable); undefined when it can. */
  unavailable?(): string | undefined;
}

type Phase = 'awaiting-request' | 'deciding' | 'established' | 'closing' | 'closed';

export class PeerConnection<T extends ReceivedInstance = ReceivedInstance> extends Scp {
  private phase: Phase = 'awaiting-request';
  private readonly peer: string;
  /** The peer's IP address ("::ffff:" stripped). */
  readonly address: string;
  private callingAeTitle = '';
  private timer: NodeJS.Timeout | undefined;
  private pduTimer: NodeJS.Timeout | undefined;
  private pduTimerArmedAt = -1;
  /** A PDU is in progress and its time runs (pduTimer's firing then aborts). */
  private pduWatching = false;
  private readonly reader = new PduReader(() => ({ associate: MAX_ASSOCIATE_PDU, pData: RECEIVE_MAX_PDU }));
  /** Dataset bytes received since the idle clock last restarted. */
  private progressBytes = 0;
  /** Only Verification may be used (the node's own AE title from this machine, not in dicom.allowedCallers). */
  private verificationOnly = false;
  /** The C-STORE whose dataset is arriving. */
  private incoming: Incoming<T> | undefined;
  private commandChunks: Buffer[] = [];
  private commandBytes = 0;
  /** Accepted presentation contexts by ID. */
  private readonly contexts = new Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>();
  private busy = 0;
  private stats = { stored: 0, duplicates: 0, replaced: 0, refused: 0, bytes: 0, echoes: 0 };
  private readonly openedAt = Date.now();
  private ended: 'released' | 'aborted' | 'rejected' | undefined;
  /** An A-ABORT went out: whatever else the peer sends is not read. */
  private aborting = false;

  constructor(
    private readonly sock: Socket,
    private readonly env: AssociationEnvironment<T>,
  ) {
    // The library's own timers are replaced by ours (ARTIM and idle below), so theirs never fire.
    super(sock, { connectTimeout: 2 ** 31 - 1, associationTimeout: 2 ** 31 - 1, pduTimeout: 2 ** 31 - 1 });
    sock.setTimeout(0);
    sock.setNoDelay(true);
    this.address = normaliseAddress(sock.remoteAddress ?? '?');
    this.peer = `${this.address}:${sock.remotePort ?? '?'}`;
    this.arm(env.artimMs, () => this.expire('no association request within the ARTIM timeout'));
    // dcmjs-dimse's own PDU framing keeps whatever length a peer declares and re-copies its buffer
    // at every chunk; ours (pduReader.ts) bounds each PDU and hands complete ones to the library.
    sock.removeAllListeners('data');
    sock.on('data', (chunk: Buffer) => this.received(chunk));
    sock.on('close', () => this.closed());
    this.on('networkError', (e: Error) => {
      // dcmjs-dimse reports both socket errors ("-> Connection error: ...") and PDUs it could not read.
      if (!/-> Connection (error|timeout)/.test(e.message)) {
        this.protocolError(`a PDU could not be read (${e.message})`, PduAbortReason.InvalidPduParameter);
        return;
      }
      if (this.phase !== 'closed') this.env.logger.debug(`connection from ${this.peer}: ${e.message.replace(/^.*?-> /, '')}`);
      sock.destroy();
    });
  }

  /** Graceful stop: ends an idle association now, a busy one after its current instance. */
  shutdown(): void {
    if (this.phase === 'closed') return;
    if (this.phase !== 'established' || (this.busy === 0 && this.incoming === undefined)) {
      this.abortNow('the node is shutting down');
    } else {
      this.arm(5000, () => this.abortNow('the node is shutting down'));
    }
  }

  /** Ends the connection now (after the stop grace period). */
  kill(): void {
    if (this.phase === 'established') {
      this.ended = 'aborted';
      this.endAssociation('association.aborted', 'aborted by this node: it stopped');
    }
    this.sock.destroy();
  }

  override associationRequested(association: Association): void {
    if (this.phase !== 'awaiting-request') return;
    this.phase = 'deciding';
    this.disarm();
    this.callingAeTitle = association.getCallingAeTitle().trim();
    this.decide(association).catch((e: unknown) => {
      // Never an unhandled rejection (it would end the node): the peer gets an abort instead.
      this.env.logger.error(`association request from ${this.callingAeTitle}@${this.peer} could not be handled: ${errorText(e)}`);
      this.abortNow('internal error while answering the association request');
    });
  }

  private async decide(association: Association): Promise<void> {
    const { audit, logger } = this.env;
    const called = association.getCalledAeTitle().trim();
    let decision = await this.env.policy.decide({
      calledAeTitle: called,
      callingAeTitle: this.callingAeTitle,
      remoteAddress: this.sock.remoteAddress ?? '',
      activeAssociations: this.env.activeAssociations(),
      activeFromHost: this.env.activeFromHost(this.address),
      tls: this.env.tls,
    });
    if (this.phase !== 'deciding') return; // the peer went away meanwhile
    const proposed = association.getPresentationContexts().map(({ id, context }) => ({
      id,
      abstractSyntaxUid: context.getAbstractSyntaxUid(),
      transferSyntaxUids: context.getTransferSyntaxUids(),
    }));
    // Count again now, in the same turn as the accept: another request may have been accepted while this one awaited.
    if (decision.accept) {
      const verificationOnly = decision.verificationOnly === true;
      decision = this.env.policy.checkLimit(this.env.activeAssociations(), this.env.activeFromHost(this.address), this.address);
      if (decision.accept && verificationOnly) {
        this.verificationOnly = true;
        if (!proposed.some((p) => p.abstractSyntaxUid.replace(/\0+$/, '').trim() === SopClass.Verification)) {
          decision = {
            accept: false,
            result: RejectResult.Permanent,
            source: RejectSource.ServiceUser,
            reason: RejectReason.CallingAeNotRecognized,
            label: 'calling-AE-title-not-recognized',
            why: `our own AE title "${this.callingAeTitle}" from this machine may only verify (C-ECHO, a self-check); it is not in dicom.allowedCallers, so nothing else is accepted from it.`,
          };
        }
      }
    }
    // A node whose database cannot take a write keeps nothing: the peer should retry later.
    const unavailable = decision.accept ? this.env.unavailable?.() : undefined;
    if (unavailable !== undefined) decision = temporarilyUnavailable(unavailable);
    if (!decision.accept) {
      this.sendAssociationReject(decision.result, decision.source, decision.reason);
      this.ended = 'rejected';
      audit.record({ event: 'association.rejected', peer: this.peer, callingAeTitle: this.callingAeTitle, calledAeTitle: called, reason: decision.label });
      logger.warn(`association from ${this.callingAeTitle}@${this.peer} rejected (${decision.label}): ${decision.why}`);
      this.closeAfterAnswer();
      return;
    }

    const answers = negotiateContexts(proposed, { verificationOnly: this.verificationOnly });
    const refused: string[] = [];
    for (const a of answers) {
      const context = association.getPresentationContext(a.id);
      if (a.result === 'accept') {
        context.setResult(PresentationContextResult.Accept, a.transferSyntaxUid);
        this.contexts.set(a.id, { abstractSyntaxUid: a.abstractSyntaxUid, transferSyntaxUid: a.transferSyntaxUid });
      } else {
        context.setResult(CONTEXT_RESULT[a.result]);
        refused.push(`${sopClassName(a.abstractSyntaxUid)} (${CONTEXT_REFUSAL[a.result]})`);
      }
    }
    association.setMaxPduLength(RECEIVE_MAX_PDU);
    // The library's sendAssociationAccept(), with our writer of the PDU (scpAccept.ts: the same bytes, a fraction of the time).
    prepareAccept(association);
    this.sock.write(associateAcPdu(association));
    this.phase = 'established';
    this.env.associationStarted(this);
    this.arm(this.env.idleMs, () => this.idle());

    const accepted = answers.filter((a) => a.result === 'accept');
    audit.record({ event: 'association.accepted', peer: this.peer, callingAeTitle: this.callingAeTitle, calledAeTitle: called, count: accepted.length });
    if (refused.length > 0) {
      const distinct = [...new Set(refused)];
      audit.record({
        event: 'context.refused',
        peer: this.peer,
        callingAeTitle: this.callingAeTitle,
        count: refused.length,
        reason: distinct.slice(0, 8).join('; ') + (distinct.length > 8 ? `; and ${distinct.length - 8} more` : ''),
      });
    }
    logger.info(`association from ${this.callingAeTitle}@${this.peer} accepted`, {
      acceptedContexts: accepted.length,
      refusedContexts: refused.length,
      transferSyntaxes: [...new Set(accepted.map((a) => (a.result === 'accept' ? transferSyntaxName(a.transferSyntaxUid) : '')))],
    });
    if (refused.length > 0) logger.debug(`presentation contexts refused for ${this.callingAeTitle}@${this.peer}: ${[...new Set(refused)].join('; ')}`);
  }

  /** Bytes from the peer: framed into PDUs (bounded), each PDU handled in order. */
  private received(chunk: Buffer): void {
    if (this.phase === 'closed' || this.aborting) return;
    let pdus: Pdu[];
    try {
      pdus = this.reader.push(chunk);
    } catch (e) {
      if (!(e instanceof PduError)) throw e;
      this.protocolError(e.message, e.reason);
      return;
    }
    for (const pdu of pdus) {
      if (this.sock.destroyed || (this.phase as Phase) === 'closed' || this.aborting) return;
      if (pdu.type === PduType.PDataTf) this.pData(pdu);
      else void (this as unknown as LibraryNetwork)._processPdu(pdu.bytes);
    }
    this.watchPdu();
  }

  /** A PDU must complete within dicom.pduTimeoutS of its first byte, however slowly it trickles. */
  private watchPdu(): void {
    // Not while we stopped reading (the disk is behind): then the wait is ours, not the peer's.
    if (!this.reader.inProgress || this.sock.isPaused()) {
      // The timer may stay armed: when it fires with nothing to watch it does nothing (pduExpired).
      this.pduWatching = false;
      return;
    }
    if (this.pduWatching && this.pduTimerArmedAt === this.reader.completed) return;
    this.pduWatching = true;
    this.pduTimerArmedAt = this.reader.completed;
    // One timer per association, restarted for each PDU: a new timer and a cleared one per PDU
    // (several per instance) were a visible part of the listener's own work.
    if (this.pduTimer) this.pduTimer.refresh();
    else this.pduTimer = setTimeout(() => this.pduExpired(), this.env.pduMs);
  }

  private pduExpired(): void {
    this.pduTimer = undefined;
    if (this.pduWatching) this.protocolError(`a PDU was not complete within ${this.env.pduMs / 1000} s of its first byte (dicom.pduTimeoutS)`);
  }

  /** A framing or protocol violation: A-ABORT (with `reason`), a line for the admin, and the connection closes. */
  private protocolError(why: string, reason: number = AbortReason.NotSpecified): void {
    if (this.phase === 'closed' || this.sock.destroyed) return;
    this.env.logger.warn(`protocol error from ${this.callingAeTitle || '?'}@${this.peer}: ${why}; aborted.`);
    this.abortNow(`protocol error: ${why}`, reason);
  }

  /**
   * P-DATA-TF from the peer. We take over the DIMSE layer from dcmjs-dimse here: commands are
   * read with our own codec, C-STORE data goes straight to the spool file as it arrives (pausing
   * the socket when the disk falls behind), responses are written as PDUs directly. The library
   * keeps the association layer (A-ASSOCIATE, A-RELEASE, A-ABORT).
   */
  private pData(pdu: Pdu): void {
    try {
      if (this.phase !== 'established') throw new PduError(PduAbortReason.UnexpectedPdu, 'P-DATA-TF outside an established association');
      for (const pdv of readPdvParts(pdu.body)) this.pdv(pdv);
    } catch (e) {
      this.protocolError(errorText(e), e instanceof PduError ? e.reason : AbortReason.NotSpecified);
    }
  }

  private pdv(pdv: PdvParts): void {
    const pcId = pdv.presentationContextId;
    if (pdv.command) {
      if (this.incoming) throw new Error('a command arrived before the dataset of the previous one was complete');
      this.commandChunks.push(...pdv.parts);
      this.commandBytes += pdv.length;
      if (this.commandBytes > MAX_COMMAND_SET) throw new PduError(PduAbortReason.InvalidPduParameter, `a command set longer than ${MAX_COMMAND_SET} bytes`);
      if (!pdv.last) return;
      const command = parseCommandSet(this.commandChunks.length === 1 ? this.commandChunks[0] : Buffer.concat(this.commandChunks));
      this.commandChunks = [];
      this.commandBytes = 0;
      this.command(pcId, command);
      return;
    }
    const incoming = this.incoming;
    if (!incoming) throw new Error('dataset data arrived without a command');
    if (incoming.pcId !== pcId) throw new Error(`dataset data on presentation context ${pcId}, its command came on ${incoming.pcId}`);
    this.progressBytes += pdv.length;
    if (this.progressBytes >= DATASET_PROGRESS_BYTES) this.progress();
    // A value spanning several socket chunks goes to the file in one writev (corked).
    const writable = incoming.pending.writable;
    let full = false;
    if (pdv.parts.length > 1) writable.cork();
    for (const part of pdv.parts) full = !writable.write(part) || full;
    if (pdv.parts.length > 1) writable.uncork();
    if (full && !this.sock.isPaused()) {
      // The disk is behind the network: stop reading until the spool file has caught up.
      this.sock.pause();
      incoming.pending.writable.once('drain', () => {
        this.sock.resume();
        this.watchPdu();
      });
    }
    if (!pdv.last) return;
    this.incoming = undefined;
    incoming.pending.writable.end();
    if (this.sock.isPaused()) this.sock.resume();
    this.progress();
    this.busy += 1;
    this.store(incoming)
      .catch((e: unknown) => {
        // What follows the answer (audit line, study assembly) failed; the instance itself was
        // stored or refused as answered. Logged, never an unhandled rejection that ends the node.
        this.env.logger.error(`C-STORE ${incoming.command.affectedSopInstanceUid ?? '?'} from ${this.callingAeTitle}@${this.peer}: answered, but recording it failed: ${errorText(e)}`);
      })
      .finally(() => {
        this.busy -= 1;
        this.progress();
      });
  }

  /** A DIMSE message completed (or a dataset in transit moved on by DATASET_PROGRESS_BYTES): the idle clock restarts. */
  private progress(): void {
    this.progressBytes = 0;
    if (this.phase === 'established') this.timer?.refresh();
  }

  private command(pcId: number, command: CommandSet): void {
    const context = this.contexts.get(pcId);
    if (!context) throw new Error(`presentation context ${pcId} was not accepted`);
    const expectsData = command.commandDataSetType !== NO_DATASET;
    if (!expectsData) this.progress();
    if (command.commandField === CommandField.CEchoRq) {
      this.stats.echoes += 1;
      this.env.audit.record({ event: 'echo.received', peer: this.peer, callingAeTitle: this.callingAeTitle, status: 'Success' });
      this.env.logger.info(`C-ECHO from ${this.callingAeTitle}@${this.peer}: Success`);
      this.respond(pcId, command, DimseStatus.Success);
      return;
    }
    if (command.commandField === CommandField.CCancelRq) return;
    if (command.commandField !== CommandField.CStoreRq) {
      if (command.commandField & 0x8000) return; // a response to nothing we asked: ignore
      this.env.logger.warn(`${this.callingAeTitle}@${this.peer} requested DIMSE operation 0x${command.commandField.toString(16)}, which this node does not offer`);
      if (expectsData) this.incoming = { pcId, command, pending: refusedBeforeData(new ListenerRefusal(DimseStatus.UnrecognizedOperation, 'operation not supported', 'unsupported operation')) };
      else this.respond(pcId, command, DimseStatus.UnrecognizedOperation, 'operation not supported');
      return;
    }
    const sopClassUid = command.affectedSopClassUid ?? '';
    const sopInstanceUid = command.affectedSopInstanceUid ?? '';
    if (!expectsData) {
      this.respond(pcId, command, DimseStatus.ProcessingFailure, 'C-STORE without a dataset');
      return;
    }
    let pending: PendingInstance<T>;
    if (sopClassUid !== context.abstractSyntaxUid || !STORAGE_CLASSES.has(sopClassUid)) {
      pending = refusedBeforeData(
        new ListenerRefusal(
          DimseStatus.SopClassNotSupported,
          'SOP class not accepted on this presentation context',
          `C-STORE of ${sopClassName(sopClassUid)} on a presentation context negotiated for ${sopClassName(context.abstractSyntaxUid)}.`,
        ),
      );
    } else if (!sopInstanceUid) {
      pending = refusedBeforeData(new ListenerRefusal(DimseStatus.CannotUnderstand, 'no Affected SOP Instance UID', 'C-STORE request without an Affected SOP Instance UID (0000,1000).'));
    } else {
      pending = this.env.store.begin({ sopClassUid, sopInstanceUid, transferSyntaxUid: context.transferSyntaxUid, callingAeTitle: this.callingAeTitle });
    }
    this.incoming = { pcId, command, pending };
  }

  private respond(pcId: number, request: CommandSet, status: number, errorComment?: string): void {
    if (this.phase !== 'established' || this.sock.destroyed) return;
    this.sock.write(responsePdu(pcId, request, status, errorComment));
  }

  private async store(incoming: Incoming<T>): Promise<void> {
    const { audit, logger } = this.env;
    const { command, pcId, pending } = incoming;
    const sopInstanceUid = command.affectedSopInstanceUid ?? '';
    let stored: T | undefined;
    try {
      stored = await pending.commit();
    } catch (e) {
      const refusal =
        e instanceof ListenerRefusal
          ? e
          : isRefusal(e)
            ? new ListenerRefusal(storeStatusFor(e.reason), e.comment, e.message)
            : new ListenerRefusal(DimseStatus.ProcessingFailure, 'could not store the instance', `storing ${sopInstanceUid} failed: ${errorText(e)}`);
      this.respond(pcId, command, refusal.status, refusal.comment);
      if (refusal.status === DimseStatus.UnrecognizedOperation) return;
      this.stats.refused += 1;
      audit.record({
        event: 'instance.rejected',
        peer: this.peer,
        callingAeTitle: this.callingAeTitle,
        sopClassUid: command.affectedSopClassUid,
        sopInstanceUid,
        status: statusHex(refusal.status),
        reason: refusal.message,
      });
      logger.warn(`C-STORE ${sopInstanceUid} from ${this.callingAeTitle}@${this.peer} refused: ${refusal.message}`);
      return;
    }
    // The audit line goes first: a node killed between the two must not have answered Success for
    // an instance its audit trail lacks (the reverse, audited but unanswered, is resent by the peer
    // and audited again as an identical copy).
    let auditFailure: unknown;
    try {
      audit.record(storedAuditEvent(stored, this.peer, this.callingAeTitle));
    } catch (e) {
      auditFailure = e; // the instance is durable: a full audit disk must not make the peer resend it forever
    }
    this.respond(pcId, command, DimseStatus.Success);

    this.stats.bytes += stored.bytes;
    if (stored.outcome === 'duplicate') this.stats.duplicates += 1;
    else if (stored.outcome === 'replaced') this.stats.replaced += 1;
    else this.stats.stored += 1;
    const what = stored.outcome === 'stored' ? 'stored' : stored.outcome === 'duplicate' ? 'identical copy already stored' : 'replaced (different content)';
    // One line per instance is for debugging; the association's summary line and the audit log
    // carry it at info. A replaced instance (different content) always deserves a line. Built only
    // when it is written (the Patient ID hash and winston's pass cost ~0.05 ms per instance).
    if (stored.outcome === 'replaced' || logger.isDebugEnabled()) {
      logger.log(stored.outcome === 'replaced' ? 'info' : 'debug', `C-STORE ${sopClassName(stored.sopClassUid)} from ${this.callingAeTitle}: ${what}`, {
        sopInstanceUid: stored.sopInstanceUid,
        studyInstanceUid: stored.studyInstanceUid,
        seriesInstanceUid: stored.seriesInstanceUid,
        patient: this.env.hashId(stored.patientId),
        transferSyntax: transferSyntaxName(stored.transferSyntaxUid),
        bytes: stored.bytes,
        ...(stored.record && stored.record.versionChange !== 'same' ? { studyVersion: stored.record.version, versionChange: stored.record.versionChange } : {}),
      });
    }
    this.env.onStored(stored);
    if (auditFailure !== undefined) throw auditFailure; // logged by the caller as "answered, but recording it failed"
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
    this.ended = 'released';
    this.endAssociation('association.released', 'released');
    this.closeAfterAnswer();
  }

  override abort(source: number, reason: number): void {
    this.ended = 'aborted';
    this.endAssociation('association.aborted', `aborted by the peer (source ${source}, reason ${reason})`);
    this.sock.destroy();
  }

  private endAssociation(event: 'association.released' | 'association.aborted', how: string): void {
    if (this.phase !== 'established' && this.phase !== 'closing') return;
    const s = this.stats;
    this.env.audit.record({ event, peer: this.peer, callingAeTitle: this.callingAeTitle, count: s.stored + s.replaced + s.duplicates, bytes: s.bytes, reason: how });
    const level = event === 'association.released' ? 'info' : 'warn';
    this.env.logger.log(level, `association from ${this.callingAeTitle}@${this.peer} ${how}`, {
      stored: s.stored,
      duplicates: s.duplicates,
      replaced: s.replaced,
      refused: s.refused,
      echoes: s.echoes,
      bytes: s.bytes,
      seconds: Number(((Date.now() - this.openedAt) / 1000).toFixed(2)),
    });
    this.phase = 'closing';
    this.env.associationEnded(this);
  }

  /** After a reject or a release response, the peer closes; if it does not, ARTIM does. */
  private closeAfterAnswer(): void {
    if (this.phase !== 'closed') this.phase = 'closing';
    this.arm(this.env.artimMs, () => this.sock.destroy());
    this.sock.end();
  }

  private idle(): void {
    if (this.busy > 0) {
      // We are committing what the peer sent: our time, not the peer's.
      this.timer?.refresh();
      return;
    }
    const what = this.incoming ? `less than ${DATASET_PROGRESS_BYTES / (1024 * 1024)} MiB of the dataset in progress arrived` : 'no DIMSE message completed';
    this.env.logger.warn(`association from ${this.callingAeTitle}@${this.peer}: ${what} for ${this.env.idleMs / 1000} s (dicom.idleTimeoutS); aborted.`);
    this.abortNow(`${what} for ${this.env.idleMs / 1000} s (dicom.idleTimeoutS)`);
  }

  private expire(why: string): void {
    this.env.audit.record({ event: 'association.aborted', peer: this.peer, reason: why });
    this.env.logger.warn(`connection from ${this.peer} closed: ${why}`);
    this.sock.destroy();
  }

  /** A-ABORT (source: service provider) and close; nothing more from the peer is read. */
  private abortNow(why: string, reason: number = AbortReason.NotSpecified): void {
    if (this.aborting || this.sock.destroyed) return;
    this.aborting = true;
    if (this.phase === 'established') {
      this.ended = 'aborted';
      this.endAssociation('association.aborted', `aborted by this node: ${why}`);
    } else if (this.phase === 'awaiting-request' || this.phase === 'deciding') {
      this.env.audit.record({ event: 'association.aborted', peer: this.peer, callingAeTitle: this.callingAeTitle || undefined, reason: why });
      this.env.logger.info(`connection from ${this.peer} closed: ${why}`);
      this.phase = 'closing';
    }
    this.sock.pause();
    // Let the A-ABORT leave before the connection goes.
    this.sock.end(abortPdu(AbortSource.ServiceProvider, reason));
    this.arm(1000, () => this.sock.destroy());
  }

  private closed(): void {
    const wasEstablished = this.phase === 'established';
    this.disarmAll();
    if (wasEstablished && this.ended === undefined) {
      this.ended = 'aborted';
      this.endAssociation('association.aborted', 'lost: the connection closed without a release');
    }
    this.phase = 'closed';
    const incoming = this.incoming;
    this.incoming = undefined;
    if (incoming) {
      // The dataset never completed: nothing of it may remain.
      void incoming.pending.abandon();
      this.env.logger.warn(`connection from ${this.callingAeTitle || '?'}@${this.peer} closed during a C-STORE; the partial instance was discarded.`);
    }
    this.env.associationEnded(this);
  }

  private arm(ms: number, fire: () => void): void {
    this.disarm();
    this.timer = setTimeout(fire, ms);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private disarmAll(): void {
    this.disarm();
    if (this.pduTimer) clearTimeout(this.pduTimer);
    this.pduTimer = undefined;
  }
}

/** An A-ABORT PDU (PS3.8 §9.3.8). */
function abortPdu(source: number, reason: number): Buffer {
  return Buffer.from([PduType.Abort, 0, 0, 0, 0, 4, 0, 0, source, reason]);
}
