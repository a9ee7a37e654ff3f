/**
 * The UIDs cd8-node speaks: SOP classes it stores or creates, and transfer syntaxes in our order
 * of preference. dcmjs-dimse's constants lack RT Structure Set Storage and Comprehensive 3D SR,
 * so every module takes them from here.
 */
import { VERSION } from '../version';

export const SopClass = {
  Verification: '1.2.840.10008.1.1',
  CtImageStorage: '1.2.840.10008.5.1.4.1.1.2',
  EnhancedCtImageStorage: '1.2.840.10008.5.1.4.1.1.2.1',
  LegacyConvertedEnhancedCtImageStorage: '1.2.840.10008.5.1.4.1.1.2.2',
  RtStructureSetStorage: '1.2.840.10008.5.1.4.1.1.481.3',
  Comprehensive3dSrStorage: '1.2.840.10008.5.1.4.1.1.88.34',
  MrImageStorage: '1.2.840.10008.5.1.4.1.1.4',
  SecondaryCaptureImageStorage: '1.2.840.10008.5.1.4.1.1.7',
  EncapsulatedPdfStorage: '1.2.840.10008.5.1.4.1.1.104.1',
  /** Retired; what an RTSTRUCT's RT Referenced Study Sequence names as the referenced study's class. */
  DetachedStudyManagement: '1.2.840.10008.3.1.2.3.1',
} as const;

export const TransferSyntax = {
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVrLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVrBigEndian: '1.2.840.10008.1.2.2',
  RleLossless: '1.2.840.10008.1.2.5',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLossless: '1.2.840.10008.1.2.4.57',
  JpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  HtJpeg2000Lossless: '1.2.840.10008.1.2.4.201',
  HtJpeg2000RpclLossless: '1.2.840.10008.1.2.4.202',
  HtJpeg2000: '1.2.840.10008.1.2.4.203',
  JpegXlLossless: '1.2.840.10008.1.2.4.110',
  JpegXlJpegRecompression: '1.2.840.10008.1.2.4.111',
  JpegXl: '1.2.840.10008.1.2.4.112',
} as const;

/** Storage SOP classes the listener accepts, with a short name for logs and status. */
export const STORAGE_CLASSES: ReadonlyMap<string, string> = new Map([
  [SopClass.CtImageStorage, 'CT Image'],
  // Multi-frame: analysed frame by frame from their functional groups (imaging/multiFrame.ts).
  [SopClass.EnhancedCtImageStorage, 'Enhanced CT Image'],
  [SopClass.LegacyConvertedEnhancedCtImageStorage, 'Legacy Converted Enhanced CT Image'],
  [SopClass.RtStructureSetStorage, 'RT Structure Set'],
]);

/** SOP classes whose instances are CT images (series that can carry a lesion). */
export const CT_IMAGE_CLASSES: ReadonlySet<string> = new Set([SopClass.CtImageStorage, SopClass.EnhancedCtImageStorage, SopClass.LegacyConvertedEnhancedCtImageStorage]);

/**
 * Transfer syntaxes we accept, best first. Uncompressed first (nothing to decode later), then
 * the compressed ones dcmjs-codecs can decode. JPEG lossless process 14 with any predictor (.57,
 * what many archives hold old CT in) decodes exactly with dcmjs-codecs' libjpeg-turbo 3 (its
 * README lists only SV1, but the decoder reads every selection value; tested with dcmcjpeg
 * +el +sv 1..7). Never one we could not decode later: no JPEG baseline (lossy 8-bit, useless for
 * CT numbers), no big endian.
 */
export const TRANSFER_SYNTAX_PREFERENCE: readonly string[] = [
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.ImplicitVrLittleEndian,
  TransferSyntax.DeflatedExplicitVrLittleEndian,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.HtJpeg2000Lossless,
  TransferSyntax.HtJpeg2000RpclLossless,
  TransferSyntax.JpegLosslessSv1,
  TransferSyntax.JpegLossless,
  TransferSyntax.RleLossless,
  TransferSyntax.JpegLsNearLossless,
  TransferSyntax.Jpeg2000,
  TransferSyntax.HtJpeg2000,
];

/** For C-ECHO a dataset never travels; the uncompressed syntaxes are all that makes sense. */
export const VERIFICATION_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.ImplicitVrLittleEndian,
];

const TRANSFER_SYNTAX_NAMES: ReadonlyMap<string, string> = new Map([
  [TransferSyntax.ImplicitVrLittleEndian, 'Implicit VR Little Endian'],
  [TransferSyntax.ExplicitVrLittleEndian, 'Explicit VR Little Endian'],
  [TransferSyntax.DeflatedExplicitVrLittleEndian, 'Deflated Explicit VR Little Endian'],
  [TransferSyntax.ExplicitVrBigEndian, 'Explicit VR Big Endian'],
  [TransferSyntax.RleLossless, 'RLE Lossless'],
  [TransferSyntax.JpegBaseline, 'JPEG Baseline'],
  [TransferSyntax.JpegLossless, 'JPEG Lossless (process 14)'],
  [TransferSyntax.JpegLosslessSv1, 'JPEG Lossless SV1'],
  [TransferSyntax.JpegLsLossless, 'JPEG-LS Lossless'],
  [TransferSyntax.JpegLsNearLossless, 'JPEG-LS Near-Lossless'],
  [TransferSyntax.Jpeg2000Lossless, 'JPEG 2000 Lossless'],
  [TransferSyntax.Jpeg2000, 'JPEG 2000'],
  [TransferSyntax.HtJpeg2000Lossless, 'HTJ2K Lossless'],
  [TransferSyntax.HtJpeg2000RpclLossless, 'HTJ2K RPCL Lossless'],
  [TransferSyntax.HtJpeg2000, 'HTJ2K'],
]);

export function transferSyntaxName(uid: string): string {
  return TRANSFER_SYNTAX_NAMES.get(uid) ?? uid;
}

export function sopClassName(uid: string): string {
  if (uid === SopClass.Verification) return 'Verification';
  if (uid === SopClass.MrImageStorage) return 'MR Image';
  if (uid === SopClass.Comprehensive3dSrStorage) return 'Comprehensive 3D SR';
  return STORAGE_CLASSES.get(uid) ?? uid;
}

/** Every accepted syntax except Implicit VR Little Endian encodes VRs explicitly. */
export function isExplicitVr(transferSyntaxUid: string): boolean {
  return transferSyntaxUid !== TransferSyntax.ImplicitVrLittleEndian;
}

export function isDeflated(transferSyntaxUid: string): boolean {
  return transferSyntaxUid === TransferSyntax.DeflatedExplicitVrLittleEndian;
}

/**
 * cd8-node's implementation class UID (a UUID-derived 2.25 UID, fixed for the product): the one
 * in the meta information of every Part 10 file we write and in every association we open or accept.
 */
export const IMPLEMENTATION_CLASS_UID = '2.25.209702930315606532488488135105057547791';
/** Implementation Version Name: SH, at most 16 characters. */
export const IMPLEMENTATION_VERSION_NAME = `CD8NODE_${VERSION}`.slice(0, 16);
