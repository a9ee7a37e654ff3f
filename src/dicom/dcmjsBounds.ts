/**
 * dcmjs trusts the lengths in a file. Its read stream's view (SplitDataView) copies a value's
 * bytes with `slice(start, end)`, allocating `end - start` bytes before it knows they are there
 * (past the end of the data it fills zeros, up to 4 GiB per value), and its string, sequence and
 * fragment code then loops over that copy. A crafted file of a few hundred bytes, in a nested
 * item, an offset table, a UN value or the file meta group, made it fill gigabytes for seconds to
 * minutes and end the process with a fatal out-of-memory error, not an exception (found by fuzzing
 * the readers and by review, 2026-12-08). That one allocation is bounded here, once per process:
 * a read past the data throws, so dcmjs' parse fails with an exception as for any damaged file,
 * which the readers turn into a message that names the file. Files that are whole are read as
 * before (every file of the test data parses the same).
 *
 * This reaches into a dcmjs class that the package does not export by name, so the version is
 * pinned (package.json `~0.50.3`) and `boundDcmjsReads` throws at once if the class has changed,
 * rather than leave the node unprotected.
 */
import * as dcmjs from 'dcmjs';

/** dcmjs was asked for bytes past the end of the data it reads from: the file's lengths are damaged. */
export class DcmjsReadPastEnd extends RangeError {
  override readonly name = 'DcmjsReadPastEnd';
}

interface SplitView {
  readonly byteLength: number;
  slice(start?: number, end?: number): ArrayBuffer;
}

let bounded = false;

/** Installs the bound (idempotent). Throws when dcmjs' read view is not where this version keeps it. */
export function boundDcmjsReads(): void {
  if (bounded) return;
  const probe = new dcmjs.data.ReadBufferStream(new ArrayBuffer(8)) as unknown as { view?: { constructor?: { prototype?: Partial<SplitView> } } };
  const proto = probe.view?.constructor?.prototype;
  if (!proto || typeof proto.slice !== 'function') throw new Error('dcmjs has changed: its read view (SplitDataView.slice) is not where dcmjs 0.50 keeps it, so reads of damaged files cannot be bounded; pin dcmjs to ~0.50.3 or port src/dicom/dcmjsBounds.ts.');
  const slice = proto.slice;
  proto.slice = function boundedSlice(this: SplitView, start = 0, end = this.byteLength): ArrayBuffer {
    if (start < 0 || end < start || end > this.byteLength) {
      throw new DcmjsReadPastEnd(`a length in the file points past the end of its data (bytes ${start}–${end} of ${this.byteLength}): the file is damaged.`);
    }
    return slice.call(this, start, end);
  };
  bounded = true;
}
