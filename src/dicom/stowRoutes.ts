/**
 * POST /dicomweb/studies on the node's HTTP port (fastify): hands the raw request to the
 * framework-independent STOW-RS core (stowReceiver.ts) and sends its answer. The body is not
 * parsed by fastify (whatever its Content-Type), so the core sees the stream as it arrives and
 * applies its own bounds. Here: how many requests are read at once (each body is held in memory)
 * and how long a sender may stay silent mid-body.
 */
import type { IncomingMessage } from 'node:http';
import type { HttpRoutes } from '../ops/http';
import { handleStow, STOW_SOURCE, StowReceiverDeps } from './stowReceiver';

export const STOW_PATH = '/dicomweb/studies';
/** A sender silent this long mid-body is dropped (a client that stops without closing would hold its memory). */
export const STOW_IDLE_TIMEOUT_MS = 60_000;
/** A body not whole after this long is dropped, however steadily it trickles (512 MB at 2.5 Mbit/s fits). */
export const STOW_MAX_READ_MS = 30 * 60_000;

export interface StowTraffic {
  /** Requests read at the same time; one more is answered 503. */
  maxConcurrent: number;
  /** A request whose body stops arriving for this long is dropped (nothing of it stored). */
  idleTimeoutMs: number;
  /** A request whose body has not all arrived after this long is dropped (nothing of it stored). */
  maxReadMs: number;
}

export function stowRoutes(deps: StowReceiverDeps, traffic: StowTraffic): HttpRoutes {
  let active = 0;
  return {
    name: 'DICOMweb STOW-RS',
    register(app) {
      // In this plugin's scope only: every body stays a stream for the handler.
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', (_request, _payload, done) => done(null));
      // QIDO-RS and WADO-RS are not served: a search is told so, not sent to the console's 404.
      app.route({
        method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'],
        url: STOW_PATH,
        handler: (_request, reply) => reply.code(405).header('allow', 'POST').type('text/plain; charset=utf-8').send('this node receives by STOW-RS only (POST); it answers no QIDO-RS or WADO-RS.\n'),
      });
      app.post(STOW_PATH, async (request, reply) => {
        const h = request.headers;
        const peer = `${request.ip}:${request.socket.remotePort ?? ''}`;
        if (active >= traffic.maxConcurrent) {
          const message = `${active} STOW-RS requests are being read already (dicomweb.maxConcurrentRequests); send this one again in a few seconds.`;
          deps.logger.warn(`STOW-RS request from ${peer} refused (503): ${message}`);
          deps.audit.record({ event: 'instance.rejected', peer, callingAeTitle: STOW_SOURCE, status: 'HTTP 503', reason: message });
          return reply.code(503).header('retry-after', '5').header('connection', 'close').type('text/plain; charset=utf-8').send(`${message}\n`);
        }
        active++;
        let reading = true;
        // A refused request's rest is dropped without its slot: an unauthenticated client that
        // trickles a body must not keep the senders out.
        const release = () => {
          if (reading) active--;
          reading = false;
        };
        const socket = request.raw.socket;
        socket.setTimeout(traffic.idleTimeoutMs, () => {
          deps.logger.warn(`STOW-RS request from ${peer}: nothing arrived for ${traffic.idleTimeoutMs / 1000} s; connection closed, nothing of the request stored.`);
          socket.destroy();
        });
        // A sender that keeps sending a byte now and then is never idle: the read as a whole is bounded too.
        const readDeadline = setTimeout(() => {
          if (request.raw.complete) return;
          deps.logger.warn(`STOW-RS request from ${peer}: its body had not all arrived after ${traffic.maxReadMs / 1000} s; connection closed, nothing of the request stored.`);
          socket.destroy();
        }, traffic.maxReadMs);
        try {
          const answer = await handleStow({ contentType: h['content-type'], contentLength: h['content-length'], authorization: h.authorization, body: request.raw, peer, ip: request.ip }, deps);
          release();
          // A request refused before its body was read: the client is still sending. Answering
          // and closing at once would reset the connection before it reads the answer, so the
          // rest is read and dropped first, within bounds (beyond them the connection is cut).
          if (!request.raw.complete && !(await discardRest(request.raw, traffic.idleTimeoutMs))) return reply;
          return reply.code(answer.status).headers(answer.headers).send(answer.body);
        } finally {
          release();
          clearTimeout(readDeadline);
          socket.setTimeout(0);
        }
      });
    },
  };
}

/** What a refused client may still send before its connection is cut, however it declared its length. */
const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
const DISCARD_MAX_MS = 10_000;

/** Reads the rest of a refused body and drops it: true once it ended, false when it was cut off. */
function discardRest(body: IncomingMessage, idleTimeoutMs: number): Promise<boolean> {
  if (body.destroyed || body.socket.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let dropped = 0;
    const cut = () => {
      body.socket.destroy();
      resolve(false);
    };
    const timer = setTimeout(cut, Math.min(DISCARD_MAX_MS, idleTimeoutMs));
    body.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DISCARD_MAX_BYTES) cut();
    });
    body.on('end', () => resolve(true));
    // A reader that stopped mid-body (the core, at its size bound) left a 'readable' listener,
    // which would keep the stream from flowing to 'data'.
    body.removeAllListeners('readable');
    body.on('close', () => {
      clearTimeout(timer);
      resolve(body.complete);
    });
    body.resume();
  });
}
