/**
 * A lesion's tumour and peritumoral ring on two threads — the analysis worker and its region
 * thread (the compiled dist/pipeline/regionWorker.js) — give what one thread gives, bit for bit.
 * The part's pixels are let go before the features; lesions under 1 ml stay on one thread; a
 * region thread that has stopped costs time, not the answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PHANTOM_CT_DIR, PHANTOM_RTSTRUCT } from '../../support/studyFixtures';
import { writeSyntheticStudy } from '../../support/syntheticStudy';
import { configSchema } from '../../../src/config/schema';
import { loadScoringSetup } from '../../../src/pipeline/setup';
import { loadMarginMm } from '../../../src/pipeline/analyseFiles';
import { imagingStudyParts, planImagingStudy, releasePixels } from '../../../src/imaging/load';
import type { ImagingStudy } from '../../../src/imaging/study';
import { LesionMeasures, measureLesion, prepareLesion } from '../../../src/cd8/scoreStudy';
import { measureLesions, RegionThread, RegionThreadLostError, startRegionThread } from '../../../src/pipeline/regionThread';

const config = configSchema.defaultValue();
const setup = loadScoringSetup(config);
const settings = setup.radiomics;
const dir = mkdtempSync(join(tmpdir(), 'cd8-region-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first (here: only) decoded part of a study. */
async function onlyPart(ct: string, rtstruct: string): Promise<ImagingStudy> {
  const planned = await planImagingStudy(ct, rtstruct, { rules: config.lesions, marginMm: loadMarginMm(config, setup) });
  expect(planned.plan.ranges).toHaveLength(1);
  for await (const part of imagingStudyParts(planned)) return part;
  throw new Error('no part');
}

/** Every feature value as its 64 bits, so NaN and -0 must match too. */
function bits(measures: LesionMeasures[]): string[] {
  const out: string[] = [];
  const b = Buffer.alloc(8);
  for (const m of measures) {
    if ('failure' in m) {
      out.push(m.failure);
      continue;
    }
    b.writeDoubleLE(m.ringOutsideBodyFraction);
    out.push(`outside ${b.toString('hex')}`);
    for (const region of [m.regions.roi!, m.regions.ring!])
      for (const f of region.features) {
        b.writeDoubleLE(f.value);
        out.push(`${region.diagnostics.region} ${f.tag}${f.aggregation ?? ''} ${b.toString('hex')}`);
      }
  }
  return out;
}

/** The measures without how long each step took (the only thing allowed to differ). */
function withoutTimings(measures: LesionMeasures[]): unknown {
  return JSON.parse(JSON.stringify(measures, (key, value: unknown) => (key === 'timingsMs' ? undefined : value)));
}

/** The regions a thread was asked for, as it answers them. */
function counting(thread: RegionThread): { asked: string[]; thread: RegionThread } {
  const asked: string[] = [];
  return { asked, thread: { ...thread, extract: (prepared, s, region) => (asked.push(region), thread.extract(prepared, s, region)) } };
}

describe('measuring lesions on two threads', () => {
  let thread: RegionThread;
  beforeAll(() => {
    thread = startRegionThread({ warmUpSettings: settings })!;
  });
  afterAll(() => thread.stop());

  it("gives the IBSI phantom's GTV-1 (367 ml) the measures of one thread, bit for bit, after letting go of the part's pixels", async () => {
    const part = await onlyPart(PHANTOM_CT_DIR, PHANTOM_RTSTRUCT);
    const one = part.lesions.map((l) => measureLesion(part, l, settings));
    const { asked, thread: t } = counting(thread);
    let released = 0;
    const two = await measureLesions(part, settings, t, () => {
      released++;
      releasePixels(part);
    });
    expect(asked).toEqual(['ring']);
    expect(released).toBe(1);
    expect(part.volumes[0].image.data).toHaveLength(0);
    expect(part.lesions[0].mask.data).toHaveLength(0);
    expect(bits(two)).toEqual(bits(one));
    expect(bits(one).length).toBeGreaterThan(400);
    expect(withoutTimings(two)).toEqual(withoutTimings(one));
  }, 120000);

  it('keeps a lesion under 1 ml on one thread, and gives a lesion whose features fail the same reason', async () => {
    const study = writeSyntheticStudy(join(dir, 'small-and-large'), {
      dims: [48, 48, 40],
      background: 40,
      kvp: 120,
      lesions: [
        { roiNumber: 1, name: 'GTV small', interpretedType: 'GTV', centre: [14, 24, 20], radiusMm: 5, value: 100 },
        { roiNumber: 2, name: 'GTV large', interpretedType: 'GTV', centre: [33.5, 24, 20], radiusMm: 8, value: 60, rightValue: 140 },
      ],
    });
    const part = await onlyPart(study.ctDir, study.rtstruct);
    expect(part.lesions.map((l) => l.summary.volumeMl >= 1)).toEqual([false, true]);
    // A third lesion whose mask lost every voxel: its features cannot be computed.
    const big = part.lesions[1];
    const empty = { ...big, roiNumber: 3, mask: { ...big.mask, data: new Uint8Array(big.mask.data.length) } };
    const withFailure = { ...part, lesions: [...part.lesions, empty] };
    const one = withFailure.lesions.map((l) => measureLesion(withFailure, l, settings));
    expect(one[2]).toEqual({ failure: expect.stringMatching(/^features could not be computed: the ROI mask is empty/) });
    const { asked, thread: t } = counting(thread);
    const two = await measureLesions(withFailure, settings, t, () => releasePixels(withFailure));
    expect(asked).toEqual(['ring']);
    expect(bits(two)).toEqual(bits(one));
  }, 60000);

  it('computes the ring itself when its region thread stops, before or while it is asked', async () => {
    const study = writeSyntheticStudy(join(dir, 'one'), {
      dims: [40, 40, 36],
      background: 40,
      kvp: 120,
      lesions: [{ roiNumber: 1, name: 'GTV', interpretedType: 'GTV', centre: [19.5, 20, 18], radiusMm: 8, value: 60, rightValue: 140 }],
    });
    const part = await onlyPart(study.ctDir, study.rtstruct);
    const one = part.lesions.map((l) => measureLesion(part, l, settings));

    // Stopping while asked: the answer is a RegionThreadLostError, and the ring is computed here.
    const dying = startRegionThread()!;
    const stopsOnRequest: RegionThread = { ...dying, extract: (p, s, r) => { const answer = dying.extract(p, s, r); void dying.stop(); return answer; } };
    const lost = dying.extract(prepareLesion(part, part.lesions[0], settings), settings, 'ring');
    const meanwhile = await measureLesions(part, settings, stopsOnRequest, () => undefined);
    await expect(lost).rejects.toBeInstanceOf(RegionThreadLostError);
    expect(bits(meanwhile)).toEqual(bits(one));

    // Stopped before: one thread, and the pixels are kept (measureLesion reads them).
    expect(dying.alive()).toBe(false);
    await expect(dying.extract(prepareLesion(part, part.lesions[0], settings), settings, 'ring')).rejects.toBeInstanceOf(RegionThreadLostError);
    let released = false;
    const after = await measureLesions(part, settings, dying, () => (released = true));
    expect(released).toBe(false);
    expect(bits(after)).toEqual(bits(one));
  }, 60000);
});
