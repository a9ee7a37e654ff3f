/**
 * The spare analysis worker warms up its feature code on a synthetic lesion while it waits for a
 * study, and stops warming up as soon as its job arrives.
 */
import { join } from 'node:path';
import { extractRegions, loadRadiomicsSettings } from '../../../src/radiomics';
import { syntheticLesion, warmUpExtraction, withRoomAir, WARM_UP_ROUNDS } from '../../../src/pipeline/warmUp';
import { ringOutsideBodyFraction } from '../../../src/imaging/body';

const cd8Settings = loadRadiomicsSettings(join(__dirname, '..', '..', '..', 'config', 'radiomics', 'cd8.json'));

describe('the synthetic warm-up lesion', () => {
  const { image, mask } = syntheticLesion(1);

  it('is a 1 ml sphere on a CT-like Float32 grid, with room for the ring and the local intensity sphere', () => {
    const voxelMl = (image.spacing[0] * image.spacing[1] * image.spacing[2]) / 1000;
    const inside = mask.data.reduce((n, v) => n + v, 0);
    expect(inside * voxelMl).toBeGreaterThan(0.9);
    expect(inside * voxelMl).toBeLessThan(1.1);
    expect(image.data).toBeInstanceOf(Float32Array);
    expect(mask.dims).toEqual(image.dims);
    // 6.2 mm (radius of 1 ml) + 5 mm ring + 12 mm margin on each side of the centre.
    expect(image.dims[0] * image.spacing[0]).toBeGreaterThan(2 * (6.2 + 5 + 12));
  });

  it('gives every feature family of the CD8 settings something to compute, in both regions', () => {
    const regions = extractRegions(image, mask, cd8Settings, ['roi', 'ring'], { alignTo: image });
    for (const region of [regions.roi!, regions.ring!]) {
      const families = new Set(region.features.filter((f) => Number.isFinite(f.value)).map((f) => f.family));
      expect([...families].sort()).toEqual([...cd8Settings.features.families].sort());
    }
  });
});

describe('the warm-up lesion with room air beside it', () => {
  it('puts part of the peritumoral ring in outside air, so that the ring-outside-body check traces air', () => {
    const lesion = syntheticLesion(1);
    const soft = { ...lesion.image, data: Float32Array.from(lesion.image.data) };
    expect(ringOutsideBodyFraction(soft, lesion.mask, cd8Settings.ring)).toBe(0);
    // The ring reaches 5 mm beyond the contour; the air starts 2 mm beyond it, on one side.
    const fraction = ringOutsideBodyFraction(withRoomAir(lesion), lesion.mask, cd8Settings.ring);
    expect(fraction).toBeGreaterThan(0.01);
    expect(fraction).toBeLessThan(0.5);
  });

  it('leaves the lesion itself and the synthetic image untouched', () => {
    const lesion = syntheticLesion(1);
    const before = Float32Array.from(lesion.image.data);
    const air = withRoomAir(lesion);
    expect(lesion.image.data).toEqual(before);
    for (let i = 0; i < lesion.mask.data.length; i++) if (lesion.mask.data[i]) expect(air.data[i]).toBe(before[i]);
  });
});

describe('warmUpExtraction', () => {
  it('runs its rounds while nothing else is asked of it', async () => {
    expect(await warmUpExtraction(cd8Settings, () => false, 2)).toBe(2);
    expect(WARM_UP_ROUNDS).toBeGreaterThanOrEqual(4);
  });

  it('warms up on a 1 ml lesion first and on a 30 ml lesion last, whose loops run as long as a real lesion\'s', async () => {
    const sizesMl: number[] = [];
    const rounds = await warmUpExtraction(cd8Settings, () => false, WARM_UP_ROUNDS, ({ mask }) => {
      const voxelMl = (mask.spacing[0] * mask.spacing[1] * mask.spacing[2]) / 1000;
      sizesMl.push(Math.round(mask.data.reduce((n, v) => n + v, 0) * voxelMl));
    });
    expect(rounds).toBe(WARM_UP_ROUNDS);
    expect(sizesMl).toEqual([1, 1, 1, 1, 1, 1, 30, 30]);
  });

  it('stops after the round under way when the job arrives', async () => {
    let jobArrived = false;
    const warming = warmUpExtraction(cd8Settings, () => jobArrived, 50);
    // The job arrives while the first round is queued: no round starts after it.
    jobArrived = true;
    expect(await warming).toBe(0);
    let rounds = 0;
    expect(await warmUpExtraction(cd8Settings, () => ++rounds > 1, 50)).toBe(1);
  });
});
