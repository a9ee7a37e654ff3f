/**
 * Worker-thread entry of the region thread (regionThread.ts): the features of one region of a
 * lesion prepared by the analysis worker — the peritumoral ring, while the analysis worker
 * computes the tumour's — so that one lesion's two regions use two cores. Started by the
 * analysis worker and ended with it; it warms up on the synthetic lesion while it waits, as the
 * analysis worker does, and stops warming up when the first request comes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ExtractionStopped, extractFromPrepared, prepareImage, RadiomicsSettings } from '../radiomics';
import { errorText } from '../ops/errorText';
import { givenUp, RegionReply, RegionRequest, RegionWorkerData } from './regionThread';
import { syntheticLesion, untilWorkComes, warmUpExtraction } from './warmUp';
import { collectGarbage } from './threadMemory';

const port = parentPort!;
let requested = false;
const { warmUpSettings, stopSlot } = (workerData ?? {}) as RegionWorkerData;
const stopped = stopSlot && new Int32Array(stopSlot);

function answer(request: RegionRequest): void {
  requested = true;
  let reply: RegionReply;
  try {
    reply = { id: request.id, result: extractFromPrepared(request.prepared, request.settings, request.region, givenUp(stopped, request)) };
  } catch (e) {
    reply = e instanceof ExtractionStopped ? { id: request.id, stopped: true } : { id: request.id, error: errorText(e) };
  }
  port.postMessage(reply);
  // Nothing else runs here until the next lesion: give its arrays back now.
  setImmediate(collectGarbage);
}

port.on('message', answer);

const requestHasCome = untilWorkComes(port, answer, () => requested);

// A warm-up that fails is only a missed optimisation: the lesion's own extraction reports problems.
/**
 * The warm-up goes the way a request does: the prepared lesion arrives as a structured clone, whose
 * objects V8 gives other hidden classes than the object literals prepareImage makes; warmed up on
 * those, the ring's code would be optimised for shapes the requests never have.
 */
function ringAsRequested(lesion: ReturnType<typeof syntheticLesion>, settings: RadiomicsSettings): void {
  const { shared: _perThread, ...prepared } = prepareImage(lesion.image, lesion.mask, settings, ['roi', 'ring'], { alignTo: lesion.image });
  extractFromPrepared(structuredClone(prepared), settings, 'ring');
}

if (warmUpSettings) warmUpExtraction(warmUpSettings, requestHasCome, undefined, (l) => ringAsRequested(l, warmUpSettings)).catch(() => undefined);

