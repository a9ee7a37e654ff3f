/**
 * Warms up a fresh analysis worker (at start, and after one is recycled) before its study arrives.
 * Without this its first study ran on cold code: V8 had not yet optimised the feature loops, and
 * the first extraction of a lesion took ~1.6x as long as the same extraction warmed up (measured
 * on the IBSI phantom's GTV-1 with the CD8 settings: ~2.0 s against ~1.25 s). A few extractions of
 * synthetic lesions with the node's own settings, while the worker waits for its job, optimise the
 * same functions for the same array types, so the real lesion runs at warm speed.
 *
 * Pure computation apart from yielding to the event loop between rounds: `stop()` is asked before
 * each round, so a job that arrives waits at most for the round under way (the first, cold one
 * takes ~0.2 s; a warm one a few tens of milliseconds). Only a spare warms up: a worker started
 * for a job that is already waiting does not.
 */
import { MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { AIR_HU, extractRegions, RadiomicsSettings } from '../radiomics';
import { ringOutsideBodyFraction } from '../imaging/body';
import type { Mask, Vec3, Volume } from '../radiomics';

/** Rounds of the default warm-up: 6 of a 1 ml lesion (4–6 were enough for its loops), then 2 of a 30 ml lesion. */
export const WARM_UP_ROUNDS = 8;

/**
 * The first rounds use a 1 ml lesion (a job that arrives waits at most for one of them, tens of
 * milliseconds); the last ones a 30 ml lesion, whose loops run long enough for V8 to optimise them
 * as a real lesion's (measured on the IBSI phantom's GTV-1 after the warm-up: ~60 ms less CPU for
 * each of the first two real extractions).
 */
const LARGE_FROM_ROUND = 6;
const SMALL_ML = 1;
const LARGE_ML = 30;

/**
 * A CT-like volume (Float32 HU, as the series loader fills it) with a spherical lesion of `ml`
 * millilitres at its centre, textured so that every texture matrix has several grey levels, and
 * with room around the lesion for the peritumoral ring, the local intensity sphere and resampling.
 */
export function syntheticLesion(ml: number, spacing: Vec3 = [0.8, 0.8, 2.5], ringMm = 5): { image: Volume; mask: Mask } {
  const radius = Math.cbrt((3 * ml * 1000) / (4 * Math.PI));
  const half = radius + ringMm + 12;
  const dims = spacing.map((s) => 2 * Math.ceil(half / s) + 1) as Vec3;
  const n = dims[0] * dims[1] * dims[2];
  const data = new Float32Array(n);
  const inside = new Uint8Array(n);
  const centre = dims.map((d, i) => ((d - 1) * spacing[i]) / 2);
  let seed = 12345;
  for (let z = 0, i = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, i++) {
        const px = x * spacing[0] - centre[0];
        const py = y * spacing[1] - centre[1];
        const pz = z * spacing[2] - centre[2];
        const isLesion = Math.hypot(px, py, pz) <= radius;
        seed = (seed * 1664525 + 1013904223) >>> 0;
        data[i] = Math.round((isLesion ? 60 : -40) + 40 * Math.sin(px / 3) * Math.cos(py / 4) + 30 * (seed / 4294967296 - 0.5));
        inside[i] = isLesion ? 1 : 0;
      }
  const grid = { dims, spacing, origin: [0, 0, 0] as Vec3 };
  return { image: { ...grid, data }, mask: { ...grid, dims: [...dims] as Vec3, data: inside } };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

type SyntheticLesion = ReturnType<typeof syntheticLesion>;

/**
 * The lesion's image with room air from 2 mm beyond its +x edge to the image's border, so that
 * the ring-outside-body check traces air, as for a lesion near the skin (measured on the IBSI
 * phantom's GTV-1: its first check took ~165 ms of CPU, ~20 ms once warm).
 */
export function withRoomAir({ image, mask }: SyntheticLesion): Volume<Float32Array> {
  const nx = mask.dims[0];
  let edge = -1;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] && i % nx > edge) edge = i % nx;
  const from = edge + Math.ceil(2 / mask.spacing[0]) + 1;
  const data = Float32Array.from(image.data);
  for (let i = 0; i < data.length; i++) if (i % nx >= from) data[i] = 2 * AIR_HU;
  return { ...image, data };
}

/** What the analysis computes from a lesion's pixels: its two regions' features and the ring-outside-body check. */
function asAStudysLesion(settings: RadiomicsSettings): (lesion: SyntheticLesion) => void {
  const airImages = new WeakMap<SyntheticLesion, Volume<Float32Array>>();
  return (lesion) => {
    extractRegions(lesion.image, lesion.mask, settings, ['roi', 'ring'], { alignTo: lesion.image });
    let air = airImages.get(lesion);
    if (!air) airImages.set(lesion, (air = withRoomAir(lesion)));
    ringOutsideBodyFraction(air, lesion.mask, settings.ring);
  };
}

/**
 * Runs up to `rounds` extractions of a synthetic lesion with `settings` (tumour and ring, and the
 * ring-outside-body check, as for a study's lesion, unless `extract` says otherwise), yielding
 * between rounds and stopping as soon as `stop()` is true. A failure ends the warm-up quietly: the
 * study's own analysis reports what is wrong. Returns the number of rounds done.
 */
export async function warmUpExtraction(
  settings: RadiomicsSettings,
  stop: () => boolean,
  rounds = WARM_UP_ROUNDS,
  extract: (lesion: SyntheticLesion) => void = asAStudysLesion(settings),
): Promise<number> {
  const lesions = new Map<number, SyntheticLesion>();
  let done = 0;
  for (; done < rounds; done++) {
    await nextTurn();
    if (stop()) break;
    try {
      const ml = done < LARGE_FROM_ROUND ? SMALL_ML : LARGE_ML;
      let lesion = lesions.get(ml);
      if (!lesion) lesions.set(ml, (lesion = syntheticLesion(ml, [0.8, 0.8, 2.5], settings.ring.outerMm)));
      extract(lesion);
    } catch {
      break;
    }
  }
  return done;
}

/**
 * A worker's warm-up `stop`: true once its work has started. Before each round a message already
 * queued on `port` is taken at once and handed to `take` (its 'message' event would only fire
 * after the next round), so work never waits for a round to start.
 */
export function untilWorkComes<T>(port: MessagePort, take: (message: T) => void, started: () => boolean): () => boolean {
  return () => {
    if (started()) return true;
    const queued = receiveMessageOnPort(port);
    if (queued) take(queued.message as T);
    return started();
  };
}
