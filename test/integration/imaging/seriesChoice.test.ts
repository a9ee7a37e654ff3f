/**
 * A study directory as the node's spool holds it: two CT series of the same frame of reference
 * (the original and a copy with new series and instance UIDs, made by dcmodify) and the RTSTRUCT
 * itself. The loader must take the series the RTSTRUCT references, skip the RTSTRUCT as a
 * non-image, and refuse to guess when the reference is gone.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImagingError, loadImagingStudy } from '../../../src/imaging/load';
import { DEFAULT_LESION_RULES } from '../../support/imaging';
import { run, SHARED } from '../../support/process';

const CT = join(SHARED, 'data', 'sts', 'STS_002', 'CT', 'image');
const RS = join(SHARED, 'data', 'sts', 'STS_002', 'CT', 'mask', 'RS.dcm');
const REFERENCED = '1.3.6.1.4.1.14519.5.2.1.5168.1900.672471348177659964935135533244';

describe('a study with several CT series', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-two-series-'));
  beforeAll(async () => {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    for (const f of readdirSync(CT)) {
      copyFileSync(join(CT, f), join(dir, 'a', f));
      copyFileSync(join(CT, f), join(dir, 'b', f));
    }
    copyFileSync(RS, join(dir, 'RS.dcm'));
    const b = readdirSync(join(dir, 'b')).map((f) => join(dir, 'b', f));
    // One Series Instance UID for the whole copy, new SOP Instance UIDs per file.
    const r = await run('dcmodify', ['-nb', '-m', '(0020,000e)=1.2.826.0.1.3680043.8.498.4242', '-m', '(0008,103e)=Copy', '-gin', ...b]);
    expect(r.code).toBe(0);
  });

  it('takes the series the RTSTRUCT references and skips the RTSTRUCT file', async () => {
    const study = await loadImagingStudy(dir, RS, { rules: DEFAULT_LESION_RULES });
    expect(study.series.facts.seriesInstanceUid).toBe(REFERENCED);
    expect(study.series.chosenBecause).toBe('referenced by the RTSTRUCT (RT Referenced Series)');
    expect(study.skippedFiles).toEqual([{ path: join(dir, 'RS.dcm'), reason: 'not an image (RTSTRUCT, SOP Class 1.2.840.10008.5.1.4.1.1.481.3)' }]);
    expect(study.lesions.map((l) => l.summary.voxelCount)).toEqual([17090]);
  });

  it('takes another series only when told to, and never guesses between two', async () => {
    const chosen = await loadImagingStudy(dir, RS, { rules: DEFAULT_LESION_RULES, seriesInstanceUid: '1.2.826.0.1.3680043.8.498.4242' });
    expect(chosen.series.facts.seriesDescription).toBe('Copy');
    expect(chosen.lesions.map((l) => l.summary.voxelCount)).toEqual([17090]);

    // Without the referenced series, two series share the frame of reference: an error, not a guess.
    const files = [...readdirSync(join(dir, 'b')).map((f) => join(dir, 'b', f))];
    const third = mkdtempSync(join(tmpdir(), 'cd8-third-'));
    for (const f of readdirSync(join(dir, 'b'))) copyFileSync(join(dir, 'b', f), join(third, f));
    const r = await run('dcmodify', ['-nb', '-m', '(0020,000e)=1.2.826.0.1.3680043.8.498.4343', '-gin', ...readdirSync(third).map((f) => join(third, f))]);
    expect(r.code).toBe(0);
    const err = await loadImagingStudy([...files, ...readdirSync(third).map((f) => join(third, f))], RS, { rules: DEFAULT_LESION_RULES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImagingError);
    expect((err as ImagingError).problems).toEqual([{ code: 'ambiguous-series', message: expect.stringMatching(/references series 1\.3\.6\.1\.4\.1\.14519\.5\.2\.1\.5168\.1900\.672471348177659964935135533244, which is not among the images, and 2 series share its frame of reference/) }]);
  });
});
