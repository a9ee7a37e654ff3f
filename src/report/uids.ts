/**
 * Deterministic UIDs: the same inputs always give the same UID, so a result rebuilt for the same
 * study version is the same DICOM instance (idempotent re-send) and a lesion keeps its tracking
 * UID across versions. They are name-based UUIDs (RFC 4122 version 5, SHA-1) written as
 * "2.25.<decimal>" (ISO/IEC 9834-8, PS3.5 B.2).
 */
import { createHash } from 'node:crypto';

/** Namespace of every cd8-node UUID (a fixed random UUID). */
const NAMESPACE = Buffer.from('6f0b7a3e5c2d4e8f9a1b2c3d4e5f6a7b', 'hex');

export function nameBasedUid(...parts: Array<string | number>): string {
  const name = parts.map(String).join('\u0000');
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8] & 0x3f) | 0x80; // RFC 4122 variant
  return `2.25.${BigInt('0x' + hash.toString('hex')).toString(10)}`;
}

/** The SR of one study version. */
export const srInstanceUid = (studyUid: string, version: number) => nameBasedUid('sr-instance', studyUid, version);
/** One SR series per study: every version of the SR lands in it. */
export const srSeriesUid = (studyUid: string) => nameBasedUid('sr-series', studyUid);
export const summaryInstanceUid = (studyUid: string, version: number, kind: string) => nameBasedUid('summary-instance', kind, studyUid, version);
export const summarySeriesUid = (studyUid: string, kind: string) => nameBasedUid('summary-series', kind, studyUid);
/** Tracking UID of a study-level summary group (stable across versions). */
export const summaryTrackingUid = (studyUid: string, what: string) => nameBasedUid('summary-tracking', what, studyUid);
/** Our device, as the SR's device observer. */
export const DEVICE_OBSERVER_UID = nameBasedUid('device', 'cd8-node');
/** Tracking UID of a lesion: stable across versions of the study (same study, frame of reference, ROI number). */
export const lesionTrackingUid = (studyUid: string, frameOfReferenceUid: string, roiNumber: number) =>
  nameBasedUid('lesion-tracking', studyUid, frameOfReferenceUid, roiNumber);
