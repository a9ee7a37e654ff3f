/**
 * Enhanced CT and Legacy Converted Enhanced CT: the phantom's 60 slices rebuilt as one
 * multi-frame object by python3-pydicom (test/support/enhanced_ct.py), frames stored head to feet
 * so that only the functional groups can order them. Each frame is placed and rescaled from its
 * functional groups and decoded on its own: the HU volume and the lesion mask are those of the
 * original series, and the node, sent the Enhanced CT and the RTSTRUCT, scores the lesion with
 * features identical to the original's. A frame count that does not match the object is refused
 * with the reason.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImagingError, loadImagingStudy } from '../../../src/imaging/load';
import { openStorage } from '../../../src/db/storage';
import type { StudyAnalysis } from '../../../src/results/types';
import { DEFAULT_LESION_RULES } from '../../support/imaging';
import { sameBytes } from '../../support/masks';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { ROOT, run, runCli, SHARED, waitFor } from '../../support/process';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const RTSTRUCT = join(PHANTOM, 'mask', 'DCM_RS_00060.dcm');
const BUILDER = join(ROOT, 'test', 'support', 'enhanced_ct.py');

async function build(name: string, args: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `cd8-${name}-`));
  const file = join(dir, `${name}.dcm`);
  const r = await run('/usr/bin/python3', [BUILDER, join(PHANTOM, 'image'), file, ...args]);
  if (r.code !== 0) throw new Error(`enhanced_ct.py: ${r.stderr}`);
  return dir;
}

function differing(a: Float32Array, b: Float32Array): number {
  let n = Math.abs(a.length - b.length);
  for (let p = 0; p < Math.min(a.length, b.length); p++) if (a[p] !== b[p]) n++;
  return n;
}

describe('a multi-frame CT', () => {
  let node: NodeProcess | undefined;
  afterAll(async () => {
    await node?.stop();
  });

  it.each([
    ['Enhanced CT', [] as string[], '1.2.840.10008.5.1.4.1.1.2.1'],
    ['Legacy Converted Enhanced CT', ['--legacy'], '1.2.840.10008.5.1.4.1.1.2.2'],
  ])('%s (frames stored head to feet) loads to the same HU volume and lesion mask as the single-frame series', async (_name, args, sopClass) => {
    const dir = await build('enhanced', ['--reverse', ...args]);
    const [plain, multi] = await Promise.all([
      loadImagingStudy(join(PHANTOM, 'image'), RTSTRUCT, { rules: DEFAULT_LESION_RULES, wholeSeries: true }),
      loadImagingStudy(dir, RTSTRUCT, { rules: DEFAULT_LESION_RULES, wholeSeries: true }),
    ]);
    expect(multi.series.slices).toHaveLength(60);
    expect(new Set(multi.series.slices.map((s) => s.sopClassUid))).toEqual(new Set([sopClass]));
    // Frames in slice order: frame 60 (stored last, the feet end) comes first.
    expect(multi.series.slices[0].frameNumber).toBe(60);
    expect(multi.series.slices.map((s) => s.position[2])).toEqual(plain.series.slices.map((s) => s.position[2]));
    expect(multi.series.geometry).toEqual(plain.series.geometry);
    expect(differing(multi.volumes[0].image.data, plain.volumes[0].image.data)).toBe(0);
    expect(sameBytes(multi.lesions[0].mask.data, plain.lesions[0].mask.data)).toBe(true);
    expect(multi.lesions[0].outline?.image).toMatchObject({ sopClassUid: sopClass, frameNumber: expect.any(Number) });
  });

  it('refuses an object whose Number of Frames does not match its functional groups, or its Pixel Data, saying which', async () => {
    const declared = await build('declared', ['--declare-frames', '61']);
    await expect(loadImagingStudy(declared, RTSTRUCT, { rules: DEFAULT_LESION_RULES })).rejects.toThrow(
      /declares 61 frames \(Number of Frames\) but its Per-frame Functional Groups Sequence has 60 items; the object is inconsistent/,
    );
    const short = await build('short', ['--short-pixel-data', '2']);
    const error = await loadImagingStudy(short, RTSTRUCT, { rules: DEFAULT_LESION_RULES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImagingError);
    expect((error as ImagingError).problems).toEqual([
      {
        code: 'multi-frame-inconsistent',
        message: expect.stringMatching(/short\.dcm declares 60 frames \(Number of Frames\) of 204 × 201 × 16 bits, but its Pixel Data holds 4756464 bytes \(58\.00 frames\); the object is damaged/),
      },
    ]);
    // The lesions command says the same to an admin.
    const cli = await runCli(['lesions', '--ct', short, '--rtstruct', RTSTRUCT]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/\[multi-frame-inconsistent\] .*declares 60 frames/);
  });

  it('sent to the node with its RTSTRUCT, is scored with features identical to the original series', async () => {
    const dir = await build('enhanced');
    const n = await startNodeProcess({ CD8_SR_DESTINATION: '', CD8_HL7_DESTINATION: '', CD8_STABLE_AGE_S: '2' });
    node = n;
    const [sent, plain] = await Promise.all([
      run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(n.port), '+sd', dir, RTSTRUCT]),
      runCli(['score', '--ct', join(PHANTOM, 'image'), '--rtstruct', RTSTRUCT, '--json'], {}, { timeoutMs: 120000 }),
    ]);
    expect({ code: sent.code, output: sent.code === 0 ? '' : sent.stdout + sent.stderr }).toEqual({ code: 0, output: '' });
    expect(plain.code).toBe(0);
    await waitFor('the study processed', () => n.logs().find((l) => /^study processed: /.test(l.message)), 120000);
    const original = JSON.parse(plain.stdout) as StudyAnalysis;
    const storage = await openStorage({ url: '', dataDir: n.dataDir, readOnly: true });
    try {
      const analysed = (await storage.results.get(original.study.studyInstanceUid, 1))!;
      expect(analysed.evidence?.ct.instances).toEqual([{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2.1', sopInstanceUid: expect.any(String) }]);
      expect(Object.keys(original.lesions[0].features?.tumour ?? {}).length).toBeGreaterThan(10);
      expect(analysed.lesions.map((l) => [l.score, l.features])).toEqual(original.lesions.map((l) => [l.score, l.features]));
    } finally {
      await storage.close();
    }
  }, 240000);
});
