/** Peer addresses as the DICOM listener and the HTTP console both judge them. */
import { isIP } from 'node:net';

/** "::ffff:10.0.0.5" → "10.0.0.5", so IPv4 peers on a dual-stack socket compare as written. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** This machine: 127.0.0.0/8 or ::1, also when written IPv4-mapped. */
export function isLoopback(address: string): boolean {
  const a = normaliseAddress(address);
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}
