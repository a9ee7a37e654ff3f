/**
 * dcmjs-dimse logs every PDU at INFO and dcmjs warns per element ("validation.dcmjs").
 * Our own logger says what matters; keep theirs to errors, once per process. Every association
 * we open or accept names our implementation (dcmjs-dimse's own UID otherwise), so this runs
 * before any of them.
 */
import { Implementation, log as dimseLog } from 'dcmjs-dimse';
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
  const dlog = (dcmjs as unknown as { log: { setLevel(l: string): void; getLogger(n: string): { setLevel(l: string): void } } }).log;
  dlog.setLevel('error');
  dlog.getLogger('validation.dcmjs').setLevel('error');
}
