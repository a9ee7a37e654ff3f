/**
 * JPEG lossless process 14 (1.2.840.10008.1.2.4.57), the syntax many archives hold old CT in,
 * with every predictor (selection value) DCMTK's dcmcjpeg can write: dcmjs-codecs (libjpeg-turbo 3)
 * decodes each slice to exactly the stored values of the original, and the phantom converted
 * with predictor 7 and sent to the node in that syntax is scored with features identical to the
 * original's.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDicomHeader, readPixelSamples } from '../../../src/dicom/read';
import { readFileMeta } from '../../../src/dicom/part10';
import { imageHeader } from '../../../src/imaging/imageHeader';
import { run, runCli, SHARED, waitFor } from '../../support/process';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { openSqliteReadOnly } from '../../../src/db/sqlite';
import { openStorage } from '../../../src/db/storage';
import type { StudyAnalysis } from '../../../src/results/types';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const SLICE = join(PHANTOM, 'image', 'DCM_IMG_00030.dcm');
const RTSTRUCT = join(PHANTOM, 'mask', 'DCM_RS_00060.dcm');

async function process14(src: string, dest: string, predictor: number): Promise<void> {
  const r = await run('dcmcjpeg', ['+el', '+sv', String(predictor), src, dest]);
  if (r.code !== 0) throw new Error(`dcmcjpeg +sv ${predictor} ${src}: ${r.stderr}`);
}

describe('JPEG lossless process 14', () => {
  let node: NodeProcess | undefined;
  afterAll(async () => {
    await node?.stop();
  });

  it.each([1, 2, 3, 4, 5, 6, 7])('with predictor %i decodes to exactly the original stored values', async (predictor) => {
    const file = join(mkdtempSync(join(tmpdir(), 'cd8-jpeg57-')), 'ct.dcm');
    await process14(SLICE, file, predictor);
    expect(readFileMeta(readFileSync(file)).transferSyntaxUid).toBe('1.2.840.10008.1.2.4.57');
    const parsed = await readDicomHeader(SLICE);
    const layout = imageHeader(parsed.meta, parsed.dataset, SLICE).pixel;
    const [original, decoded] = await Promise.all([readPixelSamples(SLICE, layout), readPixelSamples(file, layout)]);
    expect(decoded.length).toBe(original.length);
    let differing = 0;
    for (let i = 0; i < original.length; i++) if (decoded[i] !== original[i]) differing++;
    expect(differing).toBe(0);
    expect(new Set(original).size).toBeGreaterThan(100); // a real CT slice, not a flat image
  });

  it('the phantom with predictor 7, sent by storescu proposing .57 only, is processed by the node with features identical to the original', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-jpeg57-phantom-'));
    const copy = join(dir, 'image');
    mkdirSync(copy);
    const files = readdirSync(join(PHANTOM, 'image'));
    for (let i = 0; i < files.length; i += 6) {
      await Promise.all(files.slice(i, i + 6).map((f) => process14(join(PHANTOM, 'image', f), join(copy, f), 7)));
    }
    // CT Image Storage in .57 only (as an archive holding old CT would propose it), the RTSTRUCT uncompressed.
    const profile = join(dir, 'storescu.cfg');
    writeFileSync(
      profile,
      [
        '[[TransferSyntaxes]]',
        '[Process14]',
        'TransferSyntax1 = 1.2.840.10008.1.2.4.57',
        '[Uncompressed]',
        'TransferSyntax1 = 1.2.840.10008.1.2.1',
        '[[PresentationContexts]]',
        '[Contexts]',
        'PresentationContext1 = 1.2.840.10008.5.1.4.1.1.2\\Process14',
        'PresentationContext2 = 1.2.840.10008.5.1.4.1.1.481.3\\Uncompressed',
        '[[Profiles]]',
        '[Archive]',
        'PresentationContexts = Contexts',
        '',
      ].join('\n'),
    );
    const n = await startNodeProcess({ CD8_SR_DESTINATION: '', CD8_HL7_DESTINATION: '', CD8_STABLE_AGE_S: '3600' });
    node = n;
    const [sent, plain] = await Promise.all([
      run('storescu', ['-aec', 'CD8NODE', '-xf', profile, 'Archive', '127.0.0.1', String(n.port), '+sd', copy, RTSTRUCT]),
      runCli(['score', '--ct', join(PHANTOM, 'image'), '--rtstruct', RTSTRUCT, '--json'], {}, { timeoutMs: 120000 }),
    ]);
    expect({ code: sent.code, output: sent.code === 0 ? '' : sent.stdout + sent.stderr }).toEqual({ code: 0, output: '' });
    expect(plain.code).toBe(0);
    await waitFor('the study processed', () => n.logs().find((l) => /^study processed: /.test(l.message)), 120000);
    const db = openSqliteReadOnly(n.dataDir);
    const storage = await openStorage({ url: '', dataDir: n.dataDir, readOnly: true });
    try {
      const stored = db.prepare(`SELECT DISTINCT transfer_syntax_uid AS ts FROM instances WHERE modality = 'CT'`).all();
      expect(stored).toEqual([{ ts: '1.2.840.10008.1.2.4.57' }]);
      const original = JSON.parse(plain.stdout) as StudyAnalysis;
      const analysed = (await storage.results.get(original.study.studyInstanceUid, 1))!;
      expect(original.lesions.length).toBeGreaterThan(0);
      expect(Object.keys(original.lesions[0].features?.tumour ?? {}).length).toBeGreaterThan(10);
      expect(analysed.lesions.map((l) => [l.score, l.features])).toEqual(original.lesions.map((l) => [l.score, l.features]));
    } finally {
      db.close();
      await storage.close();
    }
  }, 240000);
});
