/**
 * dcmjs trusts the lengths in a file: crafted files of a few hundred bytes made it fill gigabytes
 * for seconds to minutes and end the process (src/dicom/dcmjsBounds.ts). With its read view
 * bounded, each is refused at once with an exception that names the file, and every real file
 * still parses. The hostile files are kept here gzipped (base64): they were found by fuzzing the
 * readers and by review, 2026-12-08.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as dcmjs from 'dcmjs';
import { boundDcmjsReads, DcmjsReadPastEnd } from '../../../src/dicom/dcmjsBounds';
import { readDicomFile, readDicomHeader } from '../../../src/dicom/read';
import { readPart10 } from '../../../src/dicom/part10';

const dir = mkdtempSync(join(tmpdir(), 'cd8-dcmjs-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What each file does, which reader it reaches, and its bytes (gzip, base64). */
const HOSTILE: Array<[string, 'file' | 'header', string]> = [
  ['a UN element inside a sequence item claiming 1 GiB', 'file', 'H4sIAAAAAAACA2NgGFjg4unsywSkQ31YGGKANBMDI4O/E4gGAkYmIB3qKcVgqGekZ2FioGdoYGBgoWeqZ6hnAsRAUaA8M1AFB1iFsZ4JkC8A5Iug6QDxDBk4GMQImMbBkMDgHMzE4BzCweAgGBzIwKACdMa//wwPZIA0B0OAYKgf2NkO6P54UC/A4B8OUoMAAJCu1MFcAQAA'],
  ['encapsulated Pixel Data whose offset table points into fragments at crafted 1 GiB item heads', 'file', 'H4sIAAAAAAACA8WPsQrCMBCG/8QOGSOISJ+ggxyJptBJxDpYUDpoNwffxCcV+iTWP0EEXQQXD36+/y53xwX4b2yb+qDJbp/hTGootJtIhtJk1+TwspAqOPHOuUpK8RIoVvk+YodJHUsJzC3zycdEzEoYTL9sM5i9bTO4oD5q1Kci7qXLUGD8clDRWfRXm64eGPcBveXxhsqpObWiYn33ZPpdcsT618otEg8/WIoSwgEAAA=='],
  ['an explicit UN of undefined length for a tag dcmjs knows as a sequence', 'file', 'H4sIAAAAAAACA8WOvQoCMRCE56LINgceiIUPsSQa4UoxNgH/QNNZ3IsLPonn7GllY+nA8jH7D/xXu5wOjiz7MW6kQ4XT1khVjix5gaBLbaPX4L1vda1BI4NZ1kfskKFjpZF+Sj/7mjAXIJj/2CbokC4O6SrYNOUI9NSzx8PeMZoXnJuSJ++bzNaf6n3gC5rvUapSAQAA'],
  ['big endian, a UN value holding a little-endian item with a 1 GiB UN', 'file', 'H4sIAAAAAAACA2NgGFjg4unsywSkQ31YGGKANBMDI4O/E4gGAkYmIB3qKcVgqGekZ2FioGdoYGBgoWeqZ6hnAsRAUaA8M1AFB1iFsZ4JkC8A5Iug6QDxjBgYOBgSnIMZmJxDGDgEHUL9wA6w+P/vAYg2YOAUYATZDAQq//4zPJABsTgEA0DqHLCEEgDkVyWYOgEAAA=='],
  ['a sequence in the file meta group', 'header', 'H4sIAAAAAAACA2NgGFjg4unsywSkQ31YGHqANBMDI4O/E4gGAkYmIB3qKcVgqGekZ2FioGdoYGBgoWeqZ6hnAsRAUaA8M1AFB1iFsZ4JkC8A5Iug6QDxDEFmMgUHMjCoAI3+95/hgQyQ5mAIEAz1AzvFAd1tHAwJDM7BTAzOIQBPVJtQJgEAAA=='],
  ['a defined-length sequence that starts with a sequence delimitation', 'header', 'H4sIAAAAAAACA2NgGFjg4unsywSkQ31YGGKANBMDI4O/E4gGAkYmIB3qKcVgqGekZ2FioGdoYGBgoWeqZ6hnAsRAUaA8M1AFB1iFsZ4JkC8A5Iug6QDxDBk4GBIYnIOZGJxDOBgcBIMDGRhUgJb8+3/3AcgyDoYAwVA/sKMc0AMFAIUQKpAmAQAA'],
  ['a US value of odd length, which dcmjs reads a byte ahead', 'header', 'H4sIAAAAAAACA2NgGFjg4unsywSkQ31YGGKANBMDI4O/E4gGAkYmIB3qKcVgqGekZ2FioGdoYGBgoWeqZ6hnAsRAUaA8M1AFB1iFsZ4JkC8A5Iug6QDxDBk4GBIYnIOZGJxDNECqghmBVnAwBAiG+oGd4oAUFADh2nmiFwEAAA=='],
  ['an item of undefined length holding item delimitations of non-zero length', 'file', 'H4sIAAAAAAACA+3Oz0rDQBAH4EnqIT0ICXjyCTwtiVbosRgvBf9Sc/Pgo/dJGifFky8gwvfB8mNmZ9mJ+FuP+/G5zpyeLuIzs44qXh+WTFWdOe2vYyi3Zbvpy9D3/bbcl6Fs8mQ371c50Zwn7som6zbrq18vlmqIJr5iPNQxfjSx6w7vETf5yWmO45xO8+VxHVW7ZJP97sdSL8usY9U28dZNL+fFdwEAAAAAAAAAAAAAAAAAAAAAAADA//QNw8Yc9YtPAAA='],
  ['a transfer syntax UID with a stray letter (dcmjs keeps only digits and dots)', 'file', 'H4sIAAAAAAACA+3cMWoCQRQG4LebFKZbUlqnHnaTFSyDSSMkWAniZTyGpxM8SfTNkiqkF+T74PHPPzszR9iI2/pcf3y3mduvx9hnttHEZlUzNW3mdj2PobyW5diXoe/7ZVmUoYw5uZvfH/LEbDrxVsbsXfbnPzey7Z6i6erLx1UAAAAAAAAAAAAAAAAAAAAAcD/Ohy4u6ecS51n2OvOc2l9+c/qZxbTKeP9v51QzrvXFzUyNQwAA'],
];

const bytesOf = (gz: string) => gunzipSync(Buffer.from(gz, 'base64'));

describe('files whose lengths point past their data', () => {
  it.each(HOSTILE)('are refused at once, with the file named: %s', async (what, reader, gz) => {
    const bytes = bytesOf(gz);
    expect(bytes.length).toBeLessThan(25_000);
    const path = join(dir, `${what.replace(/\W+/g, '-').slice(0, 40)}.dcm`);
    writeFileSync(path, bytes);
    const started = Date.now();
    const rssBefore = process.memoryUsage().rss;
    const read = reader === 'file' ? readDicomFile(path) : readDicomHeader(path);
    await expect(read).rejects.toThrow(path);
    expect(Date.now() - started).toBeLessThan(2000);
    // Not gigabytes: dcmjs never got to fill what the lengths claimed.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it('says what was wrong: a length past the end of the data', () => {
    boundDcmjsReads();
    const bytes = bytesOf(HOSTILE[0][2]);
    let error: unknown;
    try {
      dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, { ignoreErrors: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DcmjsReadPastEnd);
    expect(String((error as Error).message)).toMatch(/a length in the file points past the end of its data \(bytes \d+–\d+ of \d+\): the file is damaged/);
    // Our own files' reader (which asks dcmjs to skip what it cannot read) is bounded as well: it returns at once.
    const started = Date.now();
    readPart10(bytes);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('whole files', () => {
  it('parse as before: every DICOM file of the shared test data', () => {
    boundDcmjsReads();
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(join(__dirname, '..', '..', '..', '..', 'shared', 'data'));
    let dicom = 0;
    for (const p of files) {
      const bytes = readFileSync(p);
      if (bytes.length < 132 || bytes.toString('latin1', 128, 132) !== 'DICM') continue;
      dicom++;
      const parsed = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, { ignoreErrors: false });
      expect(Object.keys(parsed.dict).length).toBeGreaterThan(5);
    }
    expect(dicom).toBeGreaterThan(150);
  });

  it('refuses a known sequence sent as UN with implicit VR content (PS3.5 6.2.2), which dcmjs reads in the file\'s explicit syntax and used to "read" by filling 775 MB', async () => {
    // dcmjs' own defect: it parses the UN value's items in the file's syntax, so it takes a value's
    // bytes for a length. Refused with the reason rather than read wrongly at that price.
    const path = join(dir, 'un-sequence.dcm');
    writeFileSync(path, bytesOf('H4sIAAAAAAACA8WNsQrCQBBEJ6fIkioHVvmI5U4vkMJCvFhENAnodUH8dL9EnYiVYO3A8pjdWQb4r5o2ngyZjnOMpEGGfjeRygyZ2hJeV1oHp945V2ulXgOHW95nTMg7sdZAX9Avvz4m5yG4IZ4N4kWwtakDNix5PHEPpGCwJfm7S5Bs/kmwSyt2FRi6BZp+fz3gBSoqRwNMAQAA'));
    await expect(readDicomFile(path)).rejects.toThrow(/points past the end of its data \(bytes 12–775040573 of 52\)/);
  });
});
