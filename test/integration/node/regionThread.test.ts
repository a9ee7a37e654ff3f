/**
 * A lesion's tumour and peritumoral ring on two threads — the analysis worker and its region
 * thread (the compiled dist/pipeline/regionWorker.js) — give what one thread gives, bit for bit.
 * The part's pixels are let go before the features; lesions under 1 ml stay on one thread; a
 * region thread that has stopped costs time, not the answer; a rehearsal given up for a job stops
 * on both threads.
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
import { givenUp, measureLesions, RegionThread, RegionThreadLostError, startRegionThread } from '../../../src/pipeline/regionThread';
import { ExtractionResult, ExtractionStopped } from '../../../src/radiomics';

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

/** The regions a thread was asked for, and its answers (promises), as it answers them. */
function counting(thread: RegionThread): { asked: string[]; answers: Array<Promise<ExtractionResult>>; thread: RegionThread } {
  const asked: string[] = [];
  const answers: Array<Promise<ExtractionResult>> = [];
  const extract: RegionThread['extract'] = (prepared, s, region, shouldStop) => {
    asked.push(region);
    const answer = thread.extract(prepared, s, region, shouldStop);
    answers.push(answer);
    return answer;
  };
  return { asked, answers, thread: { ...thread, extract } };
}

/** A stop check that says "stop" from its `n`th question on. */
function stopAtQuestion(n: number): { check: () => boolean; asked: () => number } {
  let questions = 0;
  return { check: () => ++questions >= n, asked: () => questions };
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

describe("a rehearsal's lesion on two threads, given up for a job", () => {
  let thread: RegionThread;
  let part: ImagingStudy;
  beforeAll(async () => {
    thread = startRegionThread({ warmUpSettings: settings })!;
    part = await onlyPart(PHANTOM_CT_DIR, PHANTOM_RTSTRUCT);
  }, 120000);
  afterAll(() => thread.stop());

  it('stops the ring on the region thread once its stop check says so while the worker waits, and the thread then answers the next lesion in full', async () => {
    const prepared = prepareLesion(part, part.lesions[0], settings);
    let jobHasCome = false;
    const ring = thread.extract(prepared, settings, 'ring', () => jobHasCome);
    jobHasCome = true;
    // GTV-1's ring takes hundreds of milliseconds; the check is asked every 10 ms while this thread waits.
    await expect(ring).rejects.toBeInstanceOf(ExtractionStopped);
    const next = await thread.extract(prepared, settings, 'ring');
    const alone = measureLesion(part, part.lesions[0], settings);
    if ('failure' in alone) throw new Error(alone.failure);
    expect(next.features).toEqual(alone.regions.ring!.features);
  }, 120000);

  it('ends with ExtractionStopped, not a lesion failure, when the stop check says so during the tumour, and gives up what it asked of the region thread', async () => {
    const { asked, thread: counted } = counting(thread);
    let gaveUp = 0;
    const t: RegionThread = { ...counted, giveUp: () => (gaveUp++, thread.giveUp()) };
    const stop = stopAtQuestion(2);
    await expect(measureLesions(part, settings, t, () => undefined, stop.check)).rejects.toBeInstanceOf(ExtractionStopped);
    expect(asked).toEqual(['ring']);
    expect(gaveUp).toBe(1);
    // The answer "stop" holds (the job that ended a rehearsal lowers its signal as it starts): asked no more.
    expect(stop.asked()).toBe(2);
  }, 120000);

  it('gives up at once every pending request asked with a stop check, never one asked without', async () => {
    const prepared = prepareLesion(part, part.lesions[0], settings);
    const rehearsal = thread.extract(prepared, settings, 'ring', () => false);
    const job = thread.extract(prepared, settings, 'ring');
    thread.giveUp();
    await expect(rehearsal).rejects.toBeInstanceOf(ExtractionStopped);
    expect((await job).features.length).toBeGreaterThan(200);
  }, 120000);

  it('names the given-up requests by the highest id in one shared slot (ids only grow, answered in order)', () => {
    const slot = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(slot, 0, 7);
    expect(givenUp(slot, { id: 7, stoppable: true })!()).toBe(true);
    expect(givenUp(slot, { id: 6, stoppable: true })!()).toBe(true);
    expect(givenUp(slot, { id: 8, stoppable: true })!()).toBe(false);
    expect(givenUp(slot, { id: 5, stoppable: false })).toBeUndefined();
    expect(givenUp(undefined, { id: 5, stoppable: true })).toBeUndefined();
  });
});
