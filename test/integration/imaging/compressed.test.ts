/**
 * Compressed copies of real series (made by DCMTK) load to exactly the same HU volume as the
 * originals: JPEG-LS lossless, RLE lossless, JPEG lossless SV1.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImagingStudy } from '../../../src/imaging/load';
import { DEFAULT_LESION_RULES } from '../../support/imaging';
import { sameBytes } from '../../support/masks';
import { run, SHARED } from '../../support/process';

async function compressedCopy(tool: string, args: string[], srcDir: string): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), `${tool}-`));
  const files = readdirSync(srcDir);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      const r = await run(tool, [...args, join(srcDir, f), join(out, f)]);
      if (r.code !== 0) throw new Error(`${tool} ${f}: ${r.stderr}`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return out;
}

function sameValues(a: Float32Array, b: Float32Array): { differing: number; length: [number, number] } {
  let differing = 0;
  for (let p = 0; p < Math.min(a.length, b.length); p++) if (a[p] !== b[p]) differing++;
  return { differing, length: [a.length, b.length] };
}

describe.each([
  ['JPEG-LS lossless', 'dcmcjpls', [] as string[], 'sts/STS_002/CT/image', 'sts/STS_002/CT/mask/RS.dcm', '1.2.840.10008.1.2.4.80'],
  ['RLE lossless', 'dcmcrle', [], 'ibsi-ct-phantom/dicom/image', 'ibsi-ct-phantom/dicom/mask/DCM_RS_00060.dcm', '1.2.840.10008.1.2.5'],
  ['JPEG lossless SV1', 'dcmcjpeg', ['+e1'], 'sts/STS_002/CT/image', 'sts/STS_002/CT/mask/RS.dcm', '1.2.840.10008.1.2.4.70'],
])('a %s copy', (_name, tool, args, ctDir, rsFile, syntax) => {
  it('loads to the same HU volume and the same lesion mask as the uncompressed series', async () => {
    const ct = join(SHARED, 'data', ctDir);
    const rs = join(SHARED, 'data', rsFile);
    const copy = await compressedCopy(tool, args, ct);
    const [plain, packed] = await Promise.all([
      loadImagingStudy(ct, rs, { rules: DEFAULT_LESION_RULES, wholeSeries: true }),
      loadImagingStudy(copy, rs, { rules: DEFAULT_LESION_RULES, wholeSeries: true }),
    ]);
    expect(packed.series.transferSyntaxes).toEqual([syntax]);
    expect(plain.series.transferSyntaxes).toEqual(['1.2.840.10008.1.2']);
    expect(packed.warnings.filter((w) => /lossy/.test(w))).toEqual([]);
    expect(sameValues(plain.volumes[0].image.data, packed.volumes[0].image.data)).toEqual({ differing: 0, length: [plain.volumes[0].image.data.length, plain.volumes[0].image.data.length] });
    expect(sameBytes(packed.lesions[0].mask.data, plain.lesions[0].mask.data)).toBe(true);
    // Not all air: the values are real HU.
    const data = packed.volumes[0].image.data;
    expect(Math.min(...data.subarray(0, 50000))).toBeLessThan(-500);
    expect(Math.max(...data.subarray(0, 50000))).toBeGreaterThan(0);
  });
});
