/**
 * dcmjs-dimse logs every PDU at INFO and dcmjs warns per element ("validation.dcmjs").
 * Our own logger says what matters; keep theirs to errors, once per process. Every association
 * we open or accept names our implementation (dcmjs-dimse's own UID otherwise), so this runs
 * before any of them.
 */
import { association as dimseAssociation, Implementation, log as dimseLog } from 'dcmjs-dimse';
import * as dcmjs from 'dcmjs';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './uids';

let done = false;

export function quietDicomLibraries(): void {
  if (done) return;
  done = true;
  Implementation.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
  Implementation.setImplementationVersion(IMPLEMENTATION_VERSION_NAME);
  // Their errors come back to us as events and are logged there, with context.
  dimseLog.setLevel('silent');
  describeAssociationsOnlyWhenLogged();
  const dlog = (dcmjs as unknown as { log: { setLevel(l: string): void; getLogger(n: string): { setLevel(l: string): void } } }).log;
  dlog.setLevel('error');
  dlog.getLogger('validation.dcmjs').setLevel('error');
}

/**
 * dcmjs-dimse describes every association it reads or accepts (each presentation context, each
 * UID looked up by name) for an INFO line of its log, even when that log is silenced (above):
 * 10–15 ms of the listener's thread per association here, as much as a dozen instances. While its
 * log is quieter than INFO nobody reads the description: a short one does.
 */
function describeAssociationsOnlyWhenLogged(): void {
  type Association = dimseAssociation.Association;
  const describe = dimseAssociation.Association.prototype.toString;
  dimseAssociation.Association.prototype.toString = function (this: Association): string {
    if (dimseLog.getLevel() <= dimseLog.levels.INFO) return describe.call(this);
    return `${this.getCallingAeTitle()} -> ${this.getCalledAeTitle()}`;
  };
}
