/**
 * One peer connection of the DICOM listener, from TCP accept to close: association policy and
 * negotiation, C-ECHO, C-STORE streamed to the spool, release and abort, and the timers that keep
 * a stuck peer from holding the node (ARTIM before the association request and after release or
 * reject; idle once established). Every outcome goes to the audit trail and the operational log.
 */
import type { Socket } from 'node:net';
import { association as dimseAssociation, constants, Scp } from 'dcmjs-dimse';
import { AuditLog } from '../ops/audit';
import { hashedId, Logger } from '../ops/logger';
import { AssociationPolicy, normaliseAddress } from './scpPolicy';
import { negotiateContexts } from './scpNegotiation';
import { CommandField, CommandSet, commandPdu, encodeResponse, NO_DATASET, parseCommandSet } from './dimse';
import { sopClassName, STORAGE_CLASSES, transferSyntaxName } from './uids';
import { InstanceReceiver, isRefusal, PendingInstance, ReceivedInstance, refusedBeforeData, storedAuditEvent } from './receive';
import { DimseStatus, statusHex, storeStatusFor } from './status';
import { errorText } from '../ops/errorText';

type Association = dimseAssociation.Association;

/** The parts of dcmjs-dimse's P-DATA-TF and PDV objects we read (stable across 0.3.x). */
interface Pdv {
  getPresentationContextId(): number;
  getValue(): Buffer;
  isCommand(): boolean;
  isLastFragment(): boolean;
}
interface PDataTf {
  getPdvs(): Pdv[];
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

/** The largest PDU we ask peers to send: fewer, bigger PDUs cost less per byte to take apart. */
export const RECEIVE_MAX_PDU = 262144;

export interface AssociationEnvironment<T extends ReceivedInstance = ReceivedInstance> {
  policy: AssociationPolicy;
  store: InstanceReceiver<T>;
  logger: Logger;
  audit: AuditLog;
  artimMs: number;
  idleMs: number;
  /** Associations currently established (for the limit). */
  activeAssociations(): number;
  associationStarted(connection: PeerConnection<T>): void;
  associationEnded(connection: PeerConnection<T>): void;
  /** Called after Success was answered. */
  onStored(instance: T): void;
}

type Phase = 'awaiting-request' | 'deciding' | 'established' | 'closing' | 'closed';

export class PeerConnection<T extends ReceivedInstance = ReceivedInstance> extends Scp {
  private phase: Phase = 'awaiting-request';
  private readonly peer: string;
  private callingAeTitle = '';
  private timer: NodeJS.Timeout | undefined;
  /** The C-STORE whose dataset is arriving. */
  private incoming: Incoming<T> | undefined;
  private commandChunks: Buffer[] = [];
  /** Accepted presentation contexts by ID. */
  private readonly contexts = new Map<number, { abstractSyntaxUid: string; transferSyntaxUid: string }>();
  private busy = 0;
  private stats = { stored: 0, duplicates: 0, replaced: 0, refused: 0, bytes: 0, echoes: 0 };
  private readonly openedAt = Date.now();
  private ended: 'released' | 'aborted' | 'rejected' | undefined;

  constructor(
    private readonly sock: Socket,
    private readonly env: AssociationEnvironment<T>,
  ) {
    // The library's own timers are replaced by ours (ARTIM and idle below), so theirs never fire.
    super(sock, { connectTimeout: 2 ** 31 - 1, associationTimeout: 2 ** 31 - 1, pduTimeout: 2 ** 31 - 1 });
    sock.setTimeout(0);
    sock.setNoDelay(true);
    this.peer = `${normaliseAddress(sock.remoteAddress ?? '?')}:${sock.remotePort ?? '?'}`;
    this.arm(env.artimMs, () => this.expire('no association request within the ARTIM timeout'));
    sock.on('data', () => {
      if (this.phase === 'established') this.timer?.refresh();
    });
    sock.on('close', () => this.closed());
    this.on('networkError', (e: Error) => {
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
    });
    if (this.phase !== 'deciding') return; // the peer went away meanwhile
    // Count again now, in the same turn as the accept: another request may have been accepted while this one awaited.
    if (decision.accept) decision = this.env.policy.checkLimit(this.env.activeAssociations());
    if (!decision.accept) {
      this.sendAssociationReject(decision.result, decision.source, decision.reason);
      this.ended = 'rejected';
      audit.record({ event: 'association.rejected', peer: this.peer, callingAeTitle: this.callingAeTitle, calledAeTitle: called, reason: decision.label });
      logger.warn(`association from ${this.callingAeTitle}@${this.peer} rejected (${decision.label}): ${decision.why}`);
      this.closeAfterAnswer();
      return;
    }

    const proposed = association.getPresentationContexts().map(({ id, context }) => ({
      id,
      abstractSyntaxUid: context.getAbstractSyntaxUid(),
      transferSyntaxUids: context.getTransferSyntaxUids(),
    }));
    const answers = negotiateContexts(proposed);
    const refused: string[] = [];
    for (const a of answers) {
      const context = association.getPresentationContext(a.id);
      if (a.result === 'accept') {
        context.setResult(PresentationContextResult.Accept, a.transferSyntaxUid);
        this.contexts.set(a.id, { abstractSyntaxUid: a.abstractSyntaxUid, transferSyntaxUid: a.transferSyntaxUid });
      } else {
        context.setResult(
          a.result === 'abstract-syntax-not-supported' ? PresentationContextResult.RejectAbstractSyntaxNotSupported : PresentationContextResult.RejectTransferSyntaxesNotSupported,
        );
        refused.push(`${sopClassName(a.abstractSyntaxUid)} (${a.result === 'abstract-syntax-not-supported' ? 'SOP class not supported' : 'no transfer syntax we can decode'})`);
      }
    }
    association.setMaxPduLength(RECEIVE_MAX_PDU);
    this.sendAssociationAccept();
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

  /**
   * P-DATA-TF from the peer. We take over the DIMSE layer from dcmjs-dimse here: commands are
   * read with our own codec, C-STORE data goes straight to the spool file as it arrives (pausing
   * the socket when the disk falls behind), responses are written as PDUs directly. The library
   * keeps the association layer (A-ASSOCIATE, A-RELEASE, A-ABORT, PDU framing).
   */
  protected _processPDataTf(pdu: PDataTf): void {
    try {
      for (const pdv of pdu.getPdvs()) this.pdv(pdv);
    } catch (e) {
      this.env.logger.warn(`protocol error from ${this.callingAeTitle}@${this.peer}: ${errorText(e)}`);
      this.abortNow(`protocol error: ${errorText(e)}`);
    }
  }

  private pdv(pdv: Pdv): void {
    if (this.phase !== 'established') throw new Error('P-DATA-TF outside an established association');
    const pcId = pdv.getPresentationContextId();
    const value = pdv.getValue();
    if (pdv.isCommand()) {
      if (this.incoming) throw new Error('a command arrived before the dataset of the previous one was complete');
      this.commandChunks.push(value);
      if (!pdv.isLastFragment()) return;
      const command = parseCommandSet(this.commandChunks.length === 1 ? this.commandChunks[0] : Buffer.concat(this.commandChunks));
      this.commandChunks = [];
      this.command(pcId, command);
      return;
    }
    const incoming = this.incoming;
    if (!incoming) throw new Error('dataset data arrived without a command');
    if (incoming.pcId !== pcId) throw new Error(`dataset data on presentation context ${pcId}, its command came on ${incoming.pcId}`);
    if (!incoming.pending.writable.write(value) && !this.sock.isPaused()) {
      // The disk is behind the network: stop reading until the spool file has caught up.
      this.sock.pause();
      incoming.pending.writable.once('drain', () => this.sock.resume());
    }
    if (!pdv.isLastFragment()) return;
    this.incoming = undefined;
    incoming.pending.writable.end();
    if (this.sock.isPaused()) this.sock.resume();
    this.busy += 1;
    this.store(incoming)
      .catch((e: unknown) => {
        // What follows the answer (audit line, study assembly) failed; the instance itself was
        // stored or refused as answered. Logged, never an unhandled rejection that ends the node.
        this.env.logger.error(`C-STORE ${incoming.command.affectedSopInstanceUid ?? '?'} from ${this.callingAeTitle}@${this.peer}: answered, but recording it failed: ${errorText(e)}`);
      })
      .finally(() => {
        this.busy -= 1;
        if (this.phase === 'established') this.timer?.refresh();
      });
  }

  private command(pcId: number, command: CommandSet): void {
    const context = this.contexts.get(pcId);
    if (!context) throw new Error(`presentation context ${pcId} was not accepted`);
    const expectsData = command.commandDataSetType !== NO_DATASET;
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
    this.sock.write(commandPdu(pcId, encodeResponse(request, status, errorComment)));
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
    this.respond(pcId, command, DimseStatus.Success);

    this.stats.bytes += stored.bytes;
    if (stored.outcome === 'duplicate') this.stats.duplicates += 1;
    else if (stored.outcome === 'replaced') this.stats.replaced += 1;
    else this.stats.stored += 1;
    audit.record(storedAuditEvent(stored, this.peer, this.callingAeTitle));
    const what = stored.outcome === 'stored' ? 'stored' : stored.outcome === 'duplicate' ? 'identical copy already stored' : 'replaced (different content)';
    // One line per instance is for debugging; the association's summary line and the audit log
    // carry it at info. A replaced instance (different content) always deserves a line.
    logger.log(stored.outcome === 'replaced' ? 'info' : 'debug', `C-STORE ${sopClassName(stored.sopClassUid)} from ${this.callingAeTitle}: ${what}`, {
      sopInstanceUid: stored.sopInstanceUid,
      studyInstanceUid: stored.studyInstanceUid,
      seriesInstanceUid: stored.seriesInstanceUid,
      patient: hashedId(stored.patientId),
      transferSyntax: transferSyntaxName(stored.transferSyntaxUid),
      bytes: stored.bytes,
      ...(stored.record && stored.record.versionChange !== 'same' ? { studyVersion: stored.record.version, versionChange: stored.record.versionChange } : {}),
    });
    this.env.onStored(stored);
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
    if (this.busy > 0 || this.incoming !== undefined) {
      // Data is being received or committed: not idle.
      this.timer?.refresh();
      return;
    }
    this.abortNow(`no activity for ${this.env.idleMs / 1000} s (dicom.idleTimeoutS)`);
  }

  private expire(why: string): void {
    this.env.audit.record({ event: 'association.aborted', peer: this.peer, reason: why });
    this.env.logger.warn(`connection from ${this.peer} closed: ${why}`);
    this.sock.destroy();
  }

  private abortNow(why: string): void {
    if (this.phase === 'established') {
      this.sendAbort(AbortSource.ServiceProvider, AbortReason.NotSpecified);
      this.ended = 'aborted';
      this.endAssociation('association.aborted', `aborted by this node: ${why}`);
      // Let the A-ABORT leave before the connection goes.
      this.sock.end();
      this.arm(1000, () => this.sock.destroy());
      return;
    }
    if (this.phase === 'awaiting-request' || this.phase === 'deciding') this.env.logger.info(`connection from ${this.peer} closed: ${why}`);
    this.sock.destroy();
  }

  private closed(): void {
    const wasEstablished = this.phase === 'established';
    this.disarm();
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
}
